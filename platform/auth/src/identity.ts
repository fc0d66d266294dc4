import type { X509Certificate } from "@peculiar/x509";

/** How the person proved who they are (OpenID Connect `amr`, as TARA names them). */
export type AuthenticationMethod = "idcard" | "app";

/** eIDAS level of assurance as TARA's `acr`: the ID card is high, the app login substantial. */
export type AssuranceLevel = "high" | "substantial";

/** A person whose identity a login method has proven, before any session or token exists. */
export interface AuthenticatedIdentity {
  /** `sub` as TARA gives it: the country prefix and the personal code, e.g. `EE38001085718`. */
  readonly subject: string;
  readonly country: string;
  readonly personalCode: string;
  readonly givenName: string;
  readonly familyName: string;
  /** ISO 8601 date (YYYY-MM-DD), from the personal code where the country encodes it. */
  readonly birthdate?: string;
  readonly amr: AuthenticationMethod;
  readonly acr: AssuranceLevel;
  /** The authentication certificate the proof was made with (checked against the anchors). */
  readonly certificate: X509Certificate;
}
