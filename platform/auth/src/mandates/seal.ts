import { canonicalJson } from "@riik/core";
import type { ExternalSigningKey } from "oidc-provider";

/** The JWS `typ` of a sealed mandate (RFC 7515 4.1.9; media type without `application/`). */
export const MANDATE_SEAL_TYPE = "riik-mandate+jws";

/** What a seal covers: the mandate as stored, and its revocation once revoked. */
export interface SealedMandate {
  id: string;
  /** The provider's issuer: who keeps the record and publishes the keys (its JWKS). */
  iss: string;
  grantor: string;
  representative: string;
  role: string;
  validFrom: string;
  validUntil: string | null;
  grantedAt: string;
  grantedBy: string;
  revokedAt?: string;
  revokedBy?: string;
}

/**
 * Seals a mandate: a JWS in compact serialization (RFC 7515 7.1) whose payload is the
 * mandate's canonical JSON (RFC 8785 subset of @riik/core), signed with the provider's
 * current signing key (RS256 or ES256, `kid` in the header). Anyone with the provider's
 * JWKS can verify it with any JOSE library, e.g. `compactVerify(seal, createRemoteJWKSet(jwks))`.
 */
export async function sealMandate(key: ExternalSigningKey, mandate: SealedMandate): Promise<string> {
  if (key.alg !== "RS256" && key.alg !== "ES256")
    throw new TypeError(`a mandate seal is RS256 or ES256, not ${key.alg}`);
  const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: MANDATE_SEAL_TYPE })).toString(
    "base64url",
  );
  const payload = Buffer.from(canonicalJson(mandate)).toString("base64url");
  const input = `${header}.${payload}`;
  const signature = await key.sign(new Uint8Array(Buffer.from(input, "ascii")));
  return `${input}.${Buffer.from(signature).toString("base64url")}`;
}
