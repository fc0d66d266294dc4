import type { AssuranceLevel, AuthenticationMethod } from "./identity.ts";

/**
 * Scopes as TARA and GovSSO name them: `openid` (sub, names, birthdate), `idcard` and `app`
 * (which login methods the relying party offers; neither means all), `phone`, and the
 * representation scopes of GovSSO: `representee_list` (whom the person may act for) and
 * `representee.<id>` (act for that person or company), served by the mandates service
 * (`mandates/`). `representee.<id>` is not a configured scope of oidc-provider (its ids are
 * open-ended and oidc-provider 9 has no dynamic scopes): the provider keeps the one asked
 * for in the grant and releases the `representee` claim under `openid` (provider.ts).
 */
export const SCOPES = ["openid", "idcard", "app", "phone", "representee_list", "mandates"] as const;
export type Scope = (typeof SCOPES)[number];

/** `representee.EE38001085718` (a person) or `representee.EE12345678` (a company's registry code). */
export const REPRESENTEE_SCOPE = /^representee\.[A-Z]{2}[0-9A-Z]{1,32}$/;

/** Claims each scope releases (OpenID Connect Core 5.4; the representation claim as GovSSO names it). */
export const SCOPE_CLAIMS: Readonly<Record<Scope, readonly string[]>> = {
  // `representee` is released only when the grant holds a `representee.<id>` (GovSSO 4.2).
  openid: ["sub", "acr", "amr", "given_name", "family_name", "birthdate", "representee"],
  idcard: [],
  app: [],
  phone: ["phone_number", "phone_number_verified"],
  representee_list: ["representee_list"],
  // riik's own: the access token may manage the person's mandates at /mandates (no claims).
  mandates: [],
};

export type { Representee, RepresenteeList } from "./mandates/claims.ts";

/** The scopes of `requested` that are neither known nor a representation of someone. */
export function unknownScopes(requested: readonly string[]): string[] {
  return requested.filter((scope) => !(SCOPES as readonly string[]).includes(scope) && !REPRESENTEE_SCOPE.test(scope));
}

/** eIDAS levels of assurance in order (TARA's `acr` values). */
export const ACR_VALUES: readonly AssuranceLevel[] = ["substantial", "high"];

export function acrAtLeast(level: AssuranceLevel, minimum: AssuranceLevel): boolean {
  return ACR_VALUES.indexOf(level) >= ACR_VALUES.indexOf(minimum);
}

export function isAssuranceLevel(value: unknown): value is AssuranceLevel {
  return (ACR_VALUES as readonly unknown[]).includes(value);
}

/** The level each login method gives (TARA: ID card high, Smart-ID substantial). */
export const METHOD_ACR: Readonly<Record<AuthenticationMethod, AssuranceLevel>> = {
  idcard: "high",
  app: "substantial",
};

/**
 * The login methods to offer: those the request names by scope (all when it names none),
 * that this service has, and whose level reaches the minimum.
 */
export function offeredMethods(
  scopes: readonly string[],
  minimum: AssuranceLevel,
  available: readonly AuthenticationMethod[],
): AuthenticationMethod[] {
  const named = (Object.keys(METHOD_ACR) as AuthenticationMethod[]).filter((method) => scopes.includes(method));
  return available
    .filter((method) => named.length === 0 || named.includes(method))
    .filter((method) => acrAtLeast(METHOD_ACR[method], minimum));
}

/** The highest of the client's minimum and the `acr_values` the request asks for (OIDC Core 3.1.2.1). */
export function requiredAcr(clientMinimum: AssuranceLevel, acrValues: unknown): AssuranceLevel {
  const asked = typeof acrValues === "string" ? acrValues.split(" ").filter(isAssuranceLevel) : [];
  return [clientMinimum, ...asked].reduce((a, b) => (acrAtLeast(a, b) ? a : b));
}
