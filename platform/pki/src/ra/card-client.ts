import * as x509 from "@peculiar/x509";
import { PkiError, type PkiErrorCode } from "../errors.ts";
import { parseCardFile } from "../identity/card-file.ts";
import { normaliseSerial } from "../registry/certificate-registry.ts";
import type { RegistrationAuthorityAccess } from "./app-certificate-client.ts";
import type { RaCard, RaCardRequest, RaRevocationReason } from "./cards.ts";

/** Refusals a caller can act on, passed on with their code; anything else is PKI_RA_UNAVAILABLE. */
const PASSED_ON: readonly PkiErrorCode[] = [
  "PKI_ARGUMENT",
  "PKI_RA_UNAUTHORIZED",
  "PKI_RA_FORBIDDEN",
  "PKI_RA_QUOTA",
  "PKI_STATUS_TRANSITION",
];

async function post(access: RegistrationAuthorityAccess, path: string, body: unknown, what: string) {
  const url = new URL(path, access.url);
  let reply: Response;
  try {
    reply = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${access.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new PkiError("PKI_RA_UNAVAILABLE", `the trust services at ${url.origin} did not answer`, { cause });
  }
  const answer = (await reply.json().catch(() => ({}))) as Record<string, unknown>;
  if (!reply.ok) {
    const code = PASSED_ON.find((known) => known === answer.code) ?? "PKI_RA_UNAVAILABLE";
    // A personal code the trust services refused is the caller's bad argument.
    const passed = typeof answer.code === "string" && answer.code.startsWith("PERSONAL_CODE_") ? "PKI_ARGUMENT" : code;
    throw new PkiError(passed, `the trust services refused the ${what}: ${String(answer.message ?? reply.status)}`, {
      details: { status: reply.status, ...(typeof answer.code === "string" ? { code: answer.code } : {}) },
    });
  }
  return answer;
}

/**
 * Asks the trust services for a card (POST /ra/cards) as a registration authority with the
 * `cards` permission. The answer is checked: a card file for the person asked, whose
 * certificates are the serials named.
 */
export async function requestCard(access: RegistrationAuthorityAccess, request: RaCardRequest): Promise<RaCard> {
  const answer = await post(access, "/ra/cards", request, "card");
  try {
    const card = parseCardFile(JSON.stringify(answer.card));
    const { pin1, pin2 } = answer.pinEnvelope as RaCard["pinEnvelope"];
    const authentication = answer.authentication as RaCard["authentication"];
    const signing = answer.signing as RaCard["signing"];
    const serialOf = (pem: string) => normaliseSerial(new x509.X509Certificate(pem).serialNumber);
    if (
      card.personalCode !== request.personalCode ||
      card.documentNumber !== answer.documentNumber ||
      card.kind !== (request.eResident ? "e-resident" : "id-card") ||
      typeof pin1 !== "string" ||
      typeof pin2 !== "string" ||
      serialOf(card.authentication.certificate) !== authentication?.serial ||
      serialOf(card.signing.certificate) !== signing?.serial
    )
      throw new Error("the card does not match what was asked or what the answer names");
    return {
      documentNumber: card.documentNumber,
      card,
      pinEnvelope: { pin1, pin2 },
      authentication: { serial: authentication.serial, notAfter: authentication.notAfter },
      signing: { serial: signing.serial, notAfter: signing.notAfter },
    };
  } catch (cause) {
    throw new PkiError("PKI_RA_UNAVAILABLE", "the trust services answered without a usable card", { cause });
  }
}

/**
 * Revokes every certificate of a document this authority asked for (POST /ra/revocations);
 * returns their serials. Another authority's document is PKI_RA_FORBIDDEN.
 */
export async function revokeDocument(
  access: RegistrationAuthorityAccess,
  documentNumber: string,
  reason: RaRevocationReason,
): Promise<string[]> {
  const answer = await post(access, "/ra/revocations", { documentNumber, reason }, "revocation");
  if (!Array.isArray(answer.revoked) || !answer.revoked.every((serial) => typeof serial === "string"))
    throw new PkiError("PKI_RA_UNAVAILABLE", "the trust services answered the revocation without its serials");
  return answer.revoked as string[];
}
