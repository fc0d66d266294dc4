import { createHash, randomBytes, randomInt } from "node:crypto";
import type { X509Certificate } from "@peculiar/x509";
import { parsePersonalCode } from "@riik/core";
import { type AppCertificateRequest, assertPersonNames } from "@riik/pki";
import type { Kysely } from "kysely";
import { enrolmentProofData, normaliseEnrolmentCode, verifyAppSignature } from "./app-key.ts";
import { AppLoginError } from "./errors.ts";
import type { AppLoginDb } from "./schema.ts";

/** How long an enrolment code can be used: the person enrols at the service point or soon after. */
export const ENROLMENT_CODE_TTL_MS = 60 * 60 * 1000;
/** Unused, unexpired codes a person may hold at once. */
export const MAX_CODES_PER_PERSON = 3;
/** Apps a person may have enrolled; a further enrolment retires the oldest account. */
export const MAX_ACCOUNTS_PER_PERSON = 3;

// RFC 4648 6 base32 alphabet: no 0/1/8/9 to mistake for O/I/B/g when read aloud or copied.
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const CODE = /^[A-Z2-7]{16}$/;

export const hashSecret = (secret: string): string => createHash("sha256").update(secret, "utf8").digest("hex");

export interface EnrolmentCodeRequest {
  personalCode: string;
  givenName: string;
  surname: string;
}

export interface EnrolmentCode {
  /** 80 random bits as 16 base32 letters in groups of four, e.g. `QX7T-MB2K-…`; shown once, stored hashed. */
  code: string;
  personalCode: string;
  expiresAt: Date;
}

/**
 * `riik auth app-enrolment`: after checking the person's identity document, the operator
 * creates a one-time code that lets one app enrol for this person (as a Smart-ID account is
 * registered at a service point). Single use, expires, stored as its SHA-256 only (the code
 * has 80 random bits, so no salt or slow hash is needed), at most MAX_CODES_PER_PERSON open.
 */
export async function createEnrolmentCode(
  db: Kysely<AppLoginDb>,
  request: EnrolmentCodeRequest,
  options: { now?: Date; ttlMs?: number } = {},
): Promise<EnrolmentCode> {
  const personalCode = parsePersonalCode(request.personalCode).code;
  try {
    assertPersonNames(request);
  } catch (error) {
    throw new AppLoginError("APP_ARGUMENT", (error as Error).message, { cause: error });
  }
  const now = (options.now ?? new Date()).getTime();
  const code = Array.from({ length: 16 }, () => BASE32[randomInt(32)]).join("");
  const expiresAt = now + (options.ttlMs ?? ENROLMENT_CODE_TTL_MS);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("app_enrolment_code").where("expires_at", "<", now).execute();
    const open = await trx
      .selectFrom("app_enrolment_code")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("personal_code", "=", personalCode)
      .where("used_at", "is", null)
      .executeTakeFirstOrThrow();
    if (Number(open.n) >= MAX_CODES_PER_PERSON)
      throw new AppLoginError(
        "APP_TOO_MANY_CODES",
        `${personalCode} already holds ${MAX_CODES_PER_PERSON} unused enrolment codes; let one be used or expire`,
      );
    await trx
      .insertInto("app_enrolment_code")
      .values({
        code_hash: hashSecret(code),
        personal_code: personalCode,
        given_name: request.givenName,
        surname: request.surname,
        created_at: now,
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
  });
  return { code: code.match(/.{4}/g)!.join("-"), personalCode, expiresAt: new Date(expiresAt) };
}

export interface EnrolmentRequest {
  code: string;
  /** The app's public key, SubjectPublicKeyInfo DER. */
  publicKey: Uint8Array;
  /** The app's signature over enrolmentProofData(code), proving it holds the key. */
  proof: Uint8Array;
}

export interface EnrolledApp {
  accountId: string;
  /** The app's credential for polling and answering (`Bearer <accountId>.<secret>`); stored hashed. */
  credential: string;
  certificate: X509Certificate;
}

export type AppCertificateIssuer = (request: AppCertificateRequest) => Promise<X509Certificate>;

/**
 * Enrols an app: the code is spent first (a conditional update, so of two concurrent uses
 * one wins), then the key's proof of possession is checked and the trust services issue
 * the certificate. A failure after the code is spent leaves it spent: the operator gives a
 * new one, never a second chance to the same code.
 */
export async function enrolApp(
  db: Kysely<AppLoginDb>,
  issue: AppCertificateIssuer,
  request: EnrolmentRequest,
  now: Date,
): Promise<EnrolledApp> {
  const code = normaliseEnrolmentCode(request.code);
  const refused = () =>
    new AppLoginError("APP_ENROLMENT_CODE", "this enrolment code is unknown, used or expired; ask for a new one");
  if (!CODE.test(code)) throw refused();
  const at = now.getTime();
  const codeHash = hashSecret(code);
  const row = await db.transaction().execute(async (trx) => {
    const spent = await trx
      .updateTable("app_enrolment_code")
      .set({ used_at: at })
      .where("code_hash", "=", codeHash)
      .where("used_at", "is", null)
      .where("expires_at", ">=", at)
      .executeTakeFirst();
    if (spent.numUpdatedRows !== 1n) return undefined;
    return trx.selectFrom("app_enrolment_code").selectAll().where("code_hash", "=", codeHash).executeTakeFirst();
  });
  if (!row) throw refused();
  let publicKey: CryptoKey;
  try {
    publicKey = await crypto.subtle.importKey(
      "spki",
      request.publicKey as Uint8Array<ArrayBuffer>,
      { name: "ECDSA", namedCurve: "P-256" },
      true,
      ["verify"],
    );
  } catch (cause) {
    throw new AppLoginError("APP_ARGUMENT", "publicKey must be an ECDSA P-256 SubjectPublicKeyInfo", { cause });
  }
  if (!(await verifyAppSignature(request.publicKey, enrolmentProofData(code), request.proof)))
    throw new AppLoginError("APP_SIGNATURE_INVALID", "the proof does not verify with the public key sent");
  let certificate: X509Certificate;
  try {
    certificate = await issue({
      personalCode: row.personal_code,
      givenName: row.given_name,
      surname: row.surname,
      publicKey,
      actor: "riik auth app enrolment",
    });
  } catch (cause) {
    throw new AppLoginError("APP_ENROLMENT_FAILED", "the trust services did not issue the app's certificate", {
      cause,
    });
  }
  const accountId = randomBytes(16).toString("base64url");
  const secret = randomBytes(32).toString("base64url");
  await db.transaction().execute(async (trx) => {
    const accounts = await trx
      .selectFrom("app_account")
      .select("id")
      .where("personal_code", "=", row.personal_code)
      .orderBy("created_at", "desc")
      .orderBy("id")
      .execute();
    const retired = accounts.slice(MAX_ACCOUNTS_PER_PERSON - 1).map((a) => a.id);
    if (retired.length > 0) await trx.deleteFrom("app_account").where("id", "in", retired).execute();
    await trx
      .insertInto("app_account")
      .values({
        id: accountId,
        personal_code: row.personal_code,
        certificate: new Uint8Array(certificate.rawData),
        secret_hash: hashSecret(secret),
        created_at: at,
      })
      .execute();
  });
  return { accountId, credential: `${accountId}.${secret}`, certificate };
}
