import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { parsePersonalCode } from "@riik/core";
import {
  checkOcsp,
  type OcspCertStatus,
  type OcspCheck,
  type OcspStatusChecker,
  OID,
  ocspUrlOf,
  validatePath,
} from "@riik/pki";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { AuthenticatedIdentity } from "../identity.ts";
import { base64url, fromBase64url, verifyAppSignature } from "./app-key.ts";
import {
  type AppCertificateIssuer,
  type EnrolledApp,
  type EnrolmentRequest,
  enrolApp,
  hashSecret,
} from "./enrolment.ts";
import { AppLoginError } from "./errors.ts";
import type { AppLoginDb } from "./schema.ts";
import { verificationCode } from "./verification-code.ts";

export type AppLoginFailure =
  | "USER_REFUSED"
  | "TIMEOUT"
  | "WRONG_VERIFICATION_CODE"
  | "CERTIFICATE_INVALID"
  | "NO_ACCOUNT";

export type AppLoginStatus =
  | { state: "RUNNING" }
  | { state: "COMPLETE"; identity: AuthenticatedIdentity }
  | { state: "FAILED"; code: AppLoginFailure };

/** What the provider (the relying side) calls. */
export interface AppLoginService {
  /** Starts a login for a person; refuses with AppLoginError NO_ACCOUNT when nobody enrolled an app. */
  start(input: { personalCode: string; country?: string }): Promise<AppLoginStarted>;
  /**
   * Polled by the provider's interaction page. COMPLETE is answered once (a completion logs
   * in one interaction); a later call is AppLoginError APP_SESSION_USED. An unknown id is
   * APP_SESSION_UNKNOWN.
   */
  status(sessionId: string): Promise<AppLoginStatus>;
}

export interface AppLoginStarted {
  sessionId: string;
  verificationCode: string;
  expiresAt: Date;
}

/** A login waiting for the app, as the app sees it. */
export interface PendingLogin {
  sessionId: string;
  /** The hash to be signed, base64url; the app computes the verification code from it. */
  hash: string;
  /** VCCHOICE: three codes, the right one among them. */
  choices: string[];
  expiresAt: Date;
}

/** The phone side, called by appLoginPlugin's JSON API. */
export interface AppSide {
  enrol(request: EnrolmentRequest): Promise<EnrolledApp>;
  pending(credential: string): Promise<{ personalCode: string; logins: PendingLogin[] }>;
  /** The person chose `verificationCode` and signed the hash with PIN1. */
  confirm(
    credential: string,
    sessionId: string,
    answer: { verificationCode: string; signature: Uint8Array },
  ): Promise<AppLoginStatus>;
  refuse(credential: string, sessionId: string): Promise<AppLoginStatus>;
}

export interface AppLoginServiceOptions {
  db: Kysely<AppLoginDb>;
  /** The CAs app certificates chain to (the ESTEID-like CA, or the root with it as intermediate); configuration only. */
  anchors: readonly x509.X509Certificate[];
  intermediates?: readonly x509.X509Certificate[];
  /** Issues an enrolling app's certificate (in the sandbox: `issueAppCertificate` on the trust services). */
  issueCertificate: AppCertificateIssuer;
  /**
   * "required" (default): ask the OCSP responder the certificate names (or `ocspUrl`) and
   * refuse if it cannot answer; "off" for offline tests only; or the service's own checker.
   */
  ocsp?: "required" | "off" | OcspStatusChecker;
  ocspUrl?: string;
  clock?: () => Date;
  /** Where the reason a certificate was refused goes (the outcome says only CERTIFICATE_INVALID). */
  logger?: Pick<Logger, "warn">;
  /** How long the person has to answer in the app; Smart-ID's own limit is in minutes, 2 here. */
  timeoutMs?: number;
}

/** Logins a person may have waiting for the app at once. */
export const MAX_PENDING_PER_PERSON = 3;
/** Finished and expired sessions are kept this long (for status polls), then removed. */
const RETENTION_MS = 60 * 60 * 1000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * The app login, as Smart-ID's notification-based authentication: `start` makes a random
 * hash to be signed and its verification code, the app answers with a choice of code and a
 * signature, `status` tells the provider the outcome. Everything is in the database, so a
 * restart mid-login loses nothing; every session takes one answer.
 */
export function createAppLoginService(options: AppLoginServiceOptions): AppLoginService & AppSide {
  if (!options.anchors?.length)
    throw new AppLoginError("APP_ARGUMENT", "anchors must list at least one CA certificate");
  const { db } = options;
  const clock = options.clock ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 120_000;
  const ocsp = options.ocsp ?? "required";

  /** The account a credential names, compared in constant time (hashes of equal length). */
  async function account(credential: string) {
    const unauthorised = new AppLoginError(
      "APP_UNAUTHORISED",
      "send the app's credential: Authorization: Bearer <credential>",
    );
    const match = typeof credential === "string" ? /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(credential) : null;
    if (!match) throw unauthorised;
    const [, id, secret] = match as unknown as [string, string, string];
    const row = await db.selectFrom("app_account").selectAll().where("id", "=", id).executeTakeFirst();
    const presented = createHash("sha256").update(secret, "utf8").digest();
    const expected = Buffer.from(row?.secret_hash ?? hashSecret(""), "hex");
    if (!row || !timingSafeEqual(presented, expected)) throw unauthorised;
    return row;
  }

  /** Ends a RUNNING session once; false when someone else ended it first. */
  async function finish(
    id: string,
    outcome:
      | { state: "COMPLETE"; accountId: string; certificate: x509.X509Certificate }
      | { state: "FAILED"; code: AppLoginFailure },
  ): Promise<boolean> {
    const result = await db
      .updateTable("app_login_session")
      .set({
        state: outcome.state,
        failure: outcome.state === "FAILED" ? outcome.code : null,
        account_id: outcome.state === "COMPLETE" ? outcome.accountId : null,
        certificate: outcome.state === "COMPLETE" ? new Uint8Array(outcome.certificate.rawData) : null,
        finished_at: clock().getTime(),
      })
      .where("id", "=", id)
      .where("state", "=", "RUNNING")
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async function session(id: string) {
    if (typeof id !== "string" || !SESSION_ID.test(id))
      throw new AppLoginError("APP_SESSION_UNKNOWN", "no such app login session");
    const row = await db.selectFrom("app_login_session").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new AppLoginError("APP_SESSION_UNKNOWN", "no such app login session");
    if (row.state === "RUNNING" && clock().getTime() > row.expires_at) {
      await finish(id, { state: "FAILED", code: "TIMEOUT" });
      return await db.selectFrom("app_login_session").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    }
    return row;
  }

  /** The app's own running session: the app answers only logins of its person, before the timeout. */
  async function answerable(credential: string, sessionId: string) {
    const app = await account(credential);
    const row = await session(sessionId);
    if (row.personal_code !== app.personal_code)
      throw new AppLoginError("APP_SESSION_UNKNOWN", "no such app login session");
    if (row.state !== "RUNNING")
      throw new AppLoginError("APP_SESSION_FINISHED", `this login has ended (${row.failure ?? row.state})`, {
        details: { state: row.state, ...(row.failure ? { code: row.failure } : {}) },
      });
    return { app, row };
  }

  function refused(certificate: x509.X509Certificate, reason: string): false {
    options.logger?.warn({ serial: certificate.serialNumber, reason }, "app certificate refused at login");
    return false;
  }

  /** RFC 5280 path to a configured anchor, the app policy, and OCSP (RFC 6960): any failure is CERTIFICATE_INVALID. */
  async function certificateValid(certificate: x509.X509Certificate): Promise<boolean> {
    try {
      const policies = certificate.getExtension(x509.CertificatePolicyExtension)?.policies ?? [];
      if (!policies.includes(OID.policyAppAuthentication)) return refused(certificate, "not an app certificate");
      const { path } = await validatePath(certificate, {
        anchors: options.anchors,
        intermediates: options.intermediates ?? [],
        at: clock(),
        usage: { keyUsage: ["digitalSignature"] },
      });
      if (ocsp === "off") return true;
      const issuer = path[1]!;
      let answer: OcspCertStatus | OcspCheck;
      if (ocsp === "required") {
        const url = options.ocspUrl ?? ocspUrlOf(certificate);
        if (!url) return refused(certificate, "it names no OCSP responder");
        answer = await checkOcsp(certificate, issuer, url);
      } else answer = await ocsp(certificate, issuer);
      const status = ("producedAt" in answer ? answer.status : answer).status;
      return status === "good" || refused(certificate, `OCSP status ${status}`);
    } catch (error) {
      // A path that does not validate (PathValidationError) and an OCSP responder that cannot
      // answer both fail closed, like a revoked certificate.
      refused(certificate, error instanceof Error ? error.message : "the check failed");
      return false;
    }
  }

  return {
    async start(input) {
      const country = input.country ?? "EE";
      if (country !== "EE")
        throw new AppLoginError("NO_ACCOUNT", `the app login knows persons of EE only, not ${country}`);
      const personalCode = parsePersonalCode(input.personalCode).code;
      const now = clock().getTime();
      await db
        .deleteFrom("app_login_session")
        .where("expires_at", "<", now - RETENTION_MS)
        .execute();
      const enrolled = await db
        .selectFrom("app_account")
        .select("id")
        .where("personal_code", "=", personalCode)
        .executeTakeFirst();
      if (!enrolled)
        throw new AppLoginError("NO_ACCOUNT", `nobody with personal code ${personalCode} has enrolled the app`);
      const waiting = await db
        .selectFrom("app_login_session")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("personal_code", "=", personalCode)
        .where("state", "=", "RUNNING")
        .where("expires_at", ">=", now)
        .executeTakeFirstOrThrow();
      if (Number(waiting.n) >= MAX_PENDING_PER_PERSON)
        throw new AppLoginError(
          "APP_TOO_MANY_PENDING",
          `${MAX_PENDING_PER_PERSON} logins already wait for this person's app; answer or let them time out`,
        );
      const hash = randomBytes(32);
      const code = await verificationCode(hash);
      const sessionId = randomBytes(32).toString("base64url");
      const expiresAt = now + timeoutMs;
      await db
        .insertInto("app_login_session")
        .values({
          id: sessionId,
          personal_code: personalCode,
          hash: base64url(hash),
          verification_code: code,
          choices: verificationCodeChoices(code).join(","),
          state: "RUNNING",
          failure: null,
          account_id: null,
          certificate: null,
          created_at: now,
          expires_at: expiresAt,
          finished_at: null,
          delivered_at: null,
        })
        .execute();
      return { sessionId, verificationCode: code, expiresAt: new Date(expiresAt) };
    },

    async status(sessionId) {
      const row = await session(sessionId);
      if (row.state === "RUNNING") return { state: "RUNNING" };
      if (row.state === "FAILED") return { state: "FAILED", code: row.failure as AppLoginFailure };
      const delivered = await db
        .updateTable("app_login_session")
        .set({ delivered_at: clock().getTime() })
        .where("id", "=", row.id)
        .where("delivered_at", "is", null)
        .executeTakeFirst();
      if (delivered.numUpdatedRows !== 1n)
        throw new AppLoginError("APP_SESSION_USED", "this app login has already logged someone in");
      return {
        state: "COMPLETE",
        identity: identityOf(new x509.X509Certificate(new Uint8Array(row.certificate!))),
      };
    },

    enrol: (request) => enrolApp(db, options.issueCertificate, request, clock()),

    async pending(credential) {
      const app = await account(credential);
      const rows = await db
        .selectFrom("app_login_session")
        .select(["id", "hash", "choices", "expires_at"])
        .where("personal_code", "=", app.personal_code)
        .where("state", "=", "RUNNING")
        .where("expires_at", ">=", clock().getTime())
        .orderBy("created_at")
        .execute();
      return {
        personalCode: app.personal_code,
        logins: rows.map((r) => ({
          sessionId: r.id,
          hash: r.hash,
          choices: r.choices.split(","),
          expiresAt: new Date(r.expires_at),
        })),
      };
    },

    async confirm(credential, sessionId, answer) {
      const { app, row } = await answerable(credential, sessionId);
      if (answer.verificationCode !== row.verification_code) {
        await finish(row.id, { state: "FAILED", code: "WRONG_VERIFICATION_CODE" });
        return { state: "FAILED", code: "WRONG_VERIFICATION_CODE" };
      }
      const certificate = new x509.X509Certificate(new Uint8Array(app.certificate));
      const signed = await verifyAppSignature(
        new Uint8Array(certificate.publicKey.rawData),
        fromBase64url(row.hash),
        answer.signature,
      ).catch(() => false);
      // Not an outcome: the session waits for a good signature (only this app's holder can make one).
      if (!signed)
        throw new AppLoginError("APP_SIGNATURE_INVALID", "the signature does not verify with the app's certificate");
      const outcome: AppLoginStatus = (await certificateValid(certificate))
        ? { state: "COMPLETE", identity: identityOf(certificate) }
        : { state: "FAILED", code: "CERTIFICATE_INVALID" };
      const ended = await finish(
        row.id,
        outcome.state === "COMPLETE"
          ? { state: "COMPLETE", accountId: app.id, certificate }
          : { state: "FAILED", code: "CERTIFICATE_INVALID" },
      );
      if (!ended) throw new AppLoginError("APP_SESSION_FINISHED", "this login has ended");
      return outcome;
    },

    async refuse(credential, sessionId) {
      const { row } = await answerable(credential, sessionId);
      if (!(await finish(row.id, { state: "FAILED", code: "USER_REFUSED" })))
        throw new AppLoginError("APP_SESSION_FINISHED", "this login has ended");
      return { state: "FAILED", code: "USER_REFUSED" };
    },
  };
}

/** Smart-ID's VCCHOICE: the right code and two other distinct codes, in random order. */
function verificationCodeChoices(right: string): string[] {
  const choices = new Set([right]);
  while (choices.size < 3) choices.add(String(randomInt(10_000)).padStart(4, "0"));
  const list = [...choices];
  for (let i = list.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** The person an app certificate names (ETSI EN 319 412-1 5.1.3 serialNumber PNOEE-…), as TARA's claims. */
function identityOf(certificate: x509.X509Certificate): AuthenticatedIdentity {
  const field = (oid: string) => certificate.subjectName.getField(oid)[0] ?? "";
  const match = /^PNO([A-Z]{2})-(\d{11})$/.exec(field(OID.serialNumber));
  if (!match) throw new AppLoginError("APP_ARGUMENT", "the app certificate's subject names no personal code");
  const [, country, code] = match as unknown as [string, string, string];
  return Object.freeze({
    subject: `${country}${code}`,
    country,
    personalCode: code,
    givenName: field(OID.givenName),
    familyName: field(OID.surname),
    birthdate: parsePersonalCode(code).birthDate,
    amr: "app",
    acr: "substantial",
    certificate,
  });
}
