// The holder's side of a remote renewal (renewal.ts): what the card and its client do.
import * as x509 from "@peculiar/x509";
import { subtle } from "../algorithms.ts";
import { PkiError, type PkiErrorCode } from "../errors.ts";
import type { CardFile } from "../identity/card-file.ts";
import { newCardKey } from "../identity/issue-card.ts";
import { assertPin } from "../identity/pin.ts";
import { createAuthToken } from "../webeid/auth-token.ts";

export interface RemoteRenewal {
  card: CardFile;
  pin1: string;
  pin2: string;
  /** The trust services' URL (`riik pki serve`): the token is made for its origin. */
  url: string;
  incident: string;
}

/** Refusals the holder can act on, passed on with their code; anything else is PKI_RA_UNAVAILABLE. */
const PASSED_ON: readonly PkiErrorCode[] = [
  "PKI_STATUS_TRANSITION",
  "PKI_RENEWAL_REFUSED",
  "PKI_INCIDENT_UNKNOWN",
  "PKI_ARGUMENT",
  "PKI_RA_QUOTA",
];

async function post(url: URL, body: unknown): Promise<Record<string, unknown>> {
  let reply: Response;
  try {
    reply = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new PkiError("PKI_RA_UNAVAILABLE", `the trust services at ${url.origin} did not answer`, { cause });
  }
  const answer = (await reply.json().catch(() => ({}))) as Record<string, unknown>;
  if (!reply.ok)
    throw new PkiError(
      PASSED_ON.find((code) => code === answer.code) ?? "PKI_RA_UNAVAILABLE",
      `the trust services refused the renewal: ${String(answer.message ?? reply.status)}`,
      { details: { status: reply.status, ...(typeof answer.code === "string" ? { code: answer.code } : {}) } },
    );
  return answer;
}

const spkiOf = async (key: CryptoKey) => Buffer.from(await subtle.exportKey("spki", key));

/**
 * Renews a software card during an incident: a challenge, a Web eID token with the old
 * authentication key (PIN1), two new P-384 key pairs made here and encrypted under the same
 * PINs, and the new certificates, checked to be for exactly these keys. Returns the new card.
 */
export async function renewCardRemotely(request: RemoteRenewal): Promise<CardFile> {
  assertPin("pin1", request.pin1);
  assertPin("pin2", request.pin2);
  const base = new URL(`incidents/${encodeURIComponent(request.incident)}/`, `${request.url.replace(/\/$/, "")}/`);
  const { nonce } = (await post(new URL("renewal-challenges", base), {})) as { nonce: string };
  const authToken = await createAuthToken({ card: request.card, pin1: request.pin1, origin: base.origin, nonce });
  const keys = {
    authentication: await newCardKey("p384", request.pin1),
    signing: await newCardKey("p384", request.pin2),
  };
  const spki = {
    authentication: await spkiOf(keys.authentication.publicKey),
    signing: await spkiOf(keys.signing.publicKey),
  };
  const answer = await post(new URL("renewals", base), {
    authToken,
    nonce,
    authenticationKey: spki.authentication.toString("base64"),
    signingKey: spki.signing.toString("base64"),
  });
  const certificateFor = async (role: "authentication" | "signing") => {
    const pem = answer[role];
    if (typeof pem !== "string") throw new PkiError("PKI_RA_UNAVAILABLE", `the answer has no ${role} certificate`);
    const key = Buffer.from(new x509.X509Certificate(pem).publicKey.rawData);
    if (!key.equals(spki[role]))
      throw new PkiError("PKI_RA_UNAVAILABLE", `the ${role} certificate is not for the key this card made`);
    return { certificate: pem, privateKey: keys[role].privateKey };
  };
  return {
    ...request.card,
    documentNumber: typeof answer.documentNumber === "string" ? answer.documentNumber : request.card.documentNumber,
    authentication: await certificateFor("authentication"),
    signing: await certificateFor("signing"),
  };
}
