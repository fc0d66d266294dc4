import { createPrivateKey, randomInt } from "node:crypto";
import { parsePersonalCode } from "@riik/core";
import { generationParams, type KeyAlgorithm, subtle } from "../algorithms.ts";
import { personName } from "../ca/names.ts";
import type { TrustServices } from "../ca/trust-services.ts";
import { PkiError } from "../errors.ts";
import type { CardFile } from "./card-file.ts";
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

/**
 * Issues an identity document: two key pairs, an authentication certificate and a
 * qualified signing certificate from the identity-document CA, as ESTEID does.
 */
export async function issueCard(services: TrustServices, request: CardRequest): Promise<CardFile> {
  const code = parsePersonalCode(request.personalCode).code;
  for (const [field, value] of [
    ["given name", request.givenName],
    ["surname", request.surname],
  ] as const) {
    if (!NAME.test(value))
      throw new PkiError(
        "PKI_ARGUMENT",
        `${field} ${JSON.stringify(value)} must be letters, spaces, hyphens or apostrophes`,
      );
  }
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
  const issueOne = async (purpose: "id-authentication" | "id-signing", pin: string) => {
    const pair = (await subtle.generateKey(generationParams(algorithm), true, ["sign", "verify"])) as CryptoKeyPair;
    const certificate = await ca.issue({ ...common, purpose, publicKey: pair.publicKey });
    const pkcs8 = Buffer.from(await subtle.exportKey("pkcs8", pair.privateKey));
    const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({
      type: "pkcs8",
      format: "pem",
      cipher: "aes-256-cbc",
      passphrase: pin,
    }) as string;
    return { certificate: certificate.toString("pem"), privateKey };
  };
  return {
    format: "riik-card/1",
    kind: eResident ? "e-resident" : "id-card",
    personalCode: code,
    givenName: request.givenName,
    surname: request.surname,
    documentNumber,
    authentication: await issueOne("id-authentication", request.pin1),
    signing: await issueOne("id-signing", request.pin2),
  };
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
