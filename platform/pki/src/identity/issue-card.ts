import { createPrivateKey, randomInt } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { parsePersonalCode } from "@riik/core";
import { generationParams, type KeyAlgorithm, subtle } from "../algorithms.ts";
import { personName } from "../ca/names.ts";
import type { TrustServices } from "../ca/trust-services.ts";
import { PkiError } from "../errors.ts";
import { normaliseSerial } from "../registry/certificate-registry.ts";
import { assertCardFileTarget, type CardFile, writeCardFile } from "./card-file.ts";
import { assertPin } from "./pin.ts";

export interface CardRequest {
  personalCode: string;
  givenName: string;
  surname: string;
  pin1: string;
  pin2: string;
  eResident?: boolean;
  algorithm?: KeyAlgorithm;
  validityYears?: number;
  actor?: string;
}

const NAME = /^[\p{L}][\p{L}' -]{0,63}$/u;

/** The names a person's certificate subject carries: letters, spaces, hyphens, apostrophes. */
export function assertPersonNames(request: { givenName: string; surname: string }): void {
  for (const [field, value] of [
    ["given name", request.givenName],
    ["surname", request.surname],
  ] as const) {
    if (typeof value !== "string" || !NAME.test(value))
      throw new PkiError(
        "PKI_ARGUMENT",
        `${field} ${JSON.stringify(value)} must be letters, spaces, hyphens or apostrophes`,
      );
  }
}

/**
 * A key pair as the card's chip makes it: the public key, and the private key only as PKCS#8
 * encrypted under its PIN (what the card file keeps).
 */
export async function newCardKey(
  algorithm: KeyAlgorithm,
  pin: string,
): Promise<{ publicKey: CryptoKey; privateKey: string }> {
  const pair = (await subtle.generateKey(generationParams(algorithm), true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = Buffer.from(await subtle.exportKey("pkcs8", pair.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase: pin,
  }) as string;
  return { publicKey: pair.publicKey, privateKey };
}

/**
 * Issues an identity document: two key pairs, an authentication certificate and a
 * qualified signing certificate from the identity-document CA, as ESTEID does.
 */
export async function issueCard(services: TrustServices, request: CardRequest): Promise<CardFile> {
  const code = parsePersonalCode(request.personalCode).code;
  assertPersonNames(request);
  assertPin("pin1", request.pin1);
  assertPin("pin2", request.pin2);
  const algorithm = request.algorithm ?? "p384";
  const eResident = request.eResident ?? false;
  const documentNumber = await newDocumentNumber(services, eResident);
  const ca = services.cas.esteid;
  const subject = personName(request, eResident ? "E-RESIDENT" : undefined);
  const common = {
    subject,
    personalCode: code,
    documentNumber,
    validityDays: (request.validityYears ?? 5) * 365,
    eResident,
    actor: request.actor ?? "riik id issue",
  };
  // Both keys are encrypted under their PINs before anything is issued, so no certificate
  // exists whose key could still be lost here.
  const keys = {
    authentication: await newCardKey(algorithm, request.pin1),
    signing: await newCardKey(algorithm, request.pin2),
  };
  const issued: string[] = [];
  try {
    const issueOne = async (purpose: "id-authentication" | "id-signing", key: typeof keys.signing) => {
      const certificate = await ca.issue({ ...common, purpose, publicKey: key.publicKey });
      issued.push(certificate.serialNumber);
      return { certificate: certificate.toString("pem"), privateKey: key.privateKey };
    };
    return {
      format: "riik-card/1",
      kind: eResident ? "e-resident" : "id-card",
      personalCode: code,
      givenName: request.givenName,
      surname: request.surname,
      documentNumber,
      authentication: await issueOne("id-authentication", keys.authentication),
      signing: await issueOne("id-signing", keys.signing),
    };
  } catch (error) {
    await revokeUndelivered(services, issued, "issuance failed");
    throw error;
  }
}

/**
 * `riik id issue --out`: checks the target first, issues, then writes the card file
 * atomically. A certificate whose key never reached its holder must not stay valid, so
 * when writing fails both certificates are revoked (cessationOfOperation, RFC 5280 5.3.1).
 */
export async function issueCardFile(
  services: TrustServices,
  request: CardRequest,
  path: string,
  write: (path: string, card: CardFile) => void = writeCardFile,
): Promise<CardFile> {
  assertCardFileTarget(path);
  const card = await issueCard(services, request);
  try {
    write(path, card);
  } catch (cause) {
    const serials = [card.authentication, card.signing].map(
      (c) => new x509.X509Certificate(c.certificate).serialNumber,
    );
    await revokeUndelivered(services, serials, `card file ${path} not written`);
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new PkiError(
      cause instanceof PkiError && cause.code === "CARD_FILE_EXISTS" ? "CARD_FILE_EXISTS" : "CARD_FILE_WRITE",
      `cannot write ${path} (${reason}); certificates ${serials.join(", ")} were revoked`,
      { cause, details: { revoked: serials } },
    );
  }
  return card;
}

async function revokeUndelivered(services: TrustServices, serials: readonly string[], why: string): Promise<void> {
  for (const serial of serials)
    await services.registry.changeStatus("esteid", normaliseSerial(serial), {
      event: "revoked",
      reason: "cessationOfOperation",
      actor: `riik id issue: ${why}`,
    });
}

/** ID cards have numbers like AB0012345, e-residents' digi-IDs N0012345; never one twice. */
async function newDocumentNumber(services: TrustServices, eResident: boolean): Promise<string> {
  for (;;) {
    const candidate = `${eResident ? "N" : "AB"}${String(randomInt(0, 10_000_000)).padStart(7, "0")}`;
    const taken = await services.registry.db
      .selectFrom("certificate")
      .select("serial")
      .where("document_number", "=", candidate)
      .executeTakeFirst();
    if (!taken) return candidate;
  }
}
