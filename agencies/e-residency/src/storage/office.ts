// The e-Residency office on the kit's storage: an application is numbered, paid, checked by
// the police, decided by a listed official's signature, and handed over with a digital ID
// from the trust services; the e-resident then stands in a register of their own. Every state
// change is one transaction with its event in the application's journal.
import { randomUUID } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type ClientBound, ClientBounds, type MemberStorage, type MemberWrite, openMemberStorage } from "@riik/kit";
import { type RaCard, type RaCardRequest, type RaRevocationReason, readCardFile, writeCardFile } from "@riik/pki";
import type { ValidationOptions } from "@riik/signature";
import type { ResidentCodes } from "../checks/population-register.ts";
import { verifyDecision } from "../decision/decision.ts";
import { EResidencyError } from "../errors.ts";
import {
  type ApplicationForm,
  accessKeyOpens,
  applicationNumber,
  checkForm,
  newAccessKey,
  PICKUP_LOCATIONS,
} from "../model/application.ts";
import { feeFor } from "../model/fee.ts";
import { assignPersonalCode } from "../model/personal-code.ts";
import {
  type ApplicationStatus,
  type ApplicationTable,
  E_RESIDENCY_COMPONENT,
  type EResidencyDb,
  eResidencyMigrations,
} from "./schema.ts";

export interface Finding {
  source: "criminal-record" | "sanctions" | "business-ban";
  reference: string;
  reason: string;
}

export interface BackgroundCheck {
  checkedAt: string;
  result: "clear" | "hit";
  findings: Finding[];
  /** X-Road-Id of the police's answer, linked to the personal code once one is granted. */
  query?: string;
}

/** The person as the police are asked about them (their `POST /background-checks`). */
export interface CheckedPerson {
  givenName: string;
  surname: string;
  dateOfBirth: string;
  citizenship: string;
  documentNumber: string;
  /** Once granted: the e-resident's code, so that the police's answer names them (Data Tracker). */
  personalCode?: string;
}

/** The digital IDs the trust services issue to this agency as a registration authority. */
export interface CardOrders {
  order(request: RaCardRequest): Promise<RaCard>;
  revoke(documentNumber: string, reason: RaRevocationReason): Promise<void>;
}

export interface Decision {
  granted: boolean;
  reason?: string;
  decidedAt: string;
}

/** What the applicant sees (contract D, `POST /applications/{number}/status`). */
export interface ApplicationStatusView {
  number: string;
  status: ApplicationStatus;
  submittedAt: string;
  pickupLocation: string;
  decision?: Decision;
  personalCode?: string;
}

export interface JournalEvent {
  at: string;
  type: string;
  actor: string;
  data: Record<string, unknown>;
}

/** What the deciding official sees: the applicant, the police's findings, the journal. */
export interface StaffApplication extends ApplicationStatusView {
  givenName: string;
  surname: string;
  dateOfBirth: string;
  sex: "male" | "female";
  citizenship: string;
  documentNumber: string;
  documentExpires: string;
  email: string;
  reason: string;
  paidAt?: string;
  check?: BackgroundCheck;
  decidedBy?: string[];
  handedOverAt?: string;
  events: JournalEvent[];
}

export interface EResident {
  personalCode: string;
  status: "valid" | "revoked" | "expired";
  validUntil: string;
}

export interface HandOver {
  number: string;
  personalCode: string;
  validUntil: string;
  documentNumber: string;
  /** Where the card file (0600) waits for the applicant. */
  cardFile: string;
  /** The PIN envelope, given to the applicant with the card and kept nowhere. */
  pinEnvelope: { pin1: string; pin2: string };
}

export interface EResidencyOfficeOptions {
  trustAnchors: ValidationOptions["trustAnchors"];
  /** Personal codes of the officials who may decide, hand over and revoke. */
  officials: readonly string[];
  /** Where handed-over card files are written (one per application). */
  cardsDir: string;
  cards?: CardOrders;
  /** The population register, asked before a code is granted; without it only this register is looked at. */
  residentCodes?: ResidentCodes;
  /** Applications one client (X-Road client or address) may submit per window; default 1000 an hour. */
  applicationsBound?: Pick<ClientBound, "max" | "windowMs">;
}

/**
 * A hand-over claimed this long ago whose desk never finished nor released it (the process
 * died mid-order) may be taken over; longer than the trust services' answer can take.
 */
export const HAND_OVER_LEASE_MS = 10 * 60_000;

/** An application's grant lost the code it checked with the population register to another grant: check again. */
class CodeTakenMeanwhile extends Error {}

const dayOf = (at: Date) => at.toISOString().slice(0, 10);

function statusView(row: ApplicationTable): ApplicationStatusView {
  return {
    number: row.number,
    status: row.status,
    submittedAt: row.submitted_at,
    pickupLocation: row.pickup_location,
    ...(row.decision && row.decided_at
      ? {
          decision: {
            granted: row.decision === "granted",
            ...(row.decision_reason ? { reason: row.decision_reason } : {}),
            decidedAt: row.decided_at,
          },
        }
      : {}),
    ...(row.personal_code ? { personalCode: row.personal_code } : {}),
  };
}

const unknown = (number: string) =>
  new EResidencyError("APPLICATION_UNKNOWN", `no application ${number} opens with this access key`);

export class EResidencyOffice {
  readonly #bounds: ClientBounds;

  constructor(
    readonly store: MemberStorage<EResidencyDb>,
    readonly options: EResidencyOfficeOptions,
  ) {
    this.#bounds = new ClientBounds(store.db);
  }

  /**
   * A new application awaiting its fee; the access key is in this answer only. CLIENT is who
   * sends it (an X-Road client, an address), bounded per window in the database (so a restart
   * does not reopen it); refused and invalid attempts count too.
   */
  async apply(form: ApplicationForm, at = new Date(), client = "direct") {
    const bound = {
      name: "e-residency-application",
      max: 1000,
      windowMs: 3_600_000,
      aligned: true,
      ...this.options.applicationsBound,
    };
    const admission = await this.#bounds.admit(bound, client, at);
    if (!admission.admitted)
      throw new EResidencyError(
        "APPLICATIONS_RATE_LIMITED",
        `${client} has submitted ${bound.max} applications in this window, the most one client may; try again in ${admission.retryAfterSeconds} s`,
        { details: { limit: bound.max, retryAfterSeconds: admission.retryAfterSeconds } },
      );
    checkForm(form, dayOf(at));
    const country = PICKUP_LOCATIONS.find((place) => place.id === form.pickupLocation)?.country ?? "";
    const fee = feeFor(dayOf(at), country);
    const year = at.getUTCFullYear();
    const { key, hash } = newAccessKey();
    const number = await this.store.write(async ({ trx, change }) => {
      // One atomic upsert: two applications at once never get the same number.
      const { value } = await trx
        .insertInto("counter")
        .values({ name: `applications-${year}`, value: 1 })
        .onConflict((oc) => oc.column("name").doUpdateSet((eb) => ({ value: eb("counter.value", "+", 1) })))
        .returning("value")
        .executeTakeFirstOrThrow();
      const number = applicationNumber(year, Number(value));
      await trx
        .insertInto("application")
        .values({
          number,
          access_key_hash: hash,
          status: "awaiting-payment",
          given_name: form.givenName,
          surname: form.surname,
          date_of_birth: form.dateOfBirth,
          sex: form.sex,
          citizenship: form.citizenship,
          document_number: form.documentNumber,
          document_expires: form.documentExpires,
          email: form.email,
          photo: form.photo,
          reason: form.reason,
          pickup_location: form.pickupLocation,
          submitted_at: at.toISOString(),
          fee_cents: fee.amountCents,
          fee_rule: fee.rule,
        })
        .execute();
      await this.#event(trx, number, at, "submitted", "applicant", {
        pickupLocation: form.pickupLocation,
        feeCents: fee.amountCents,
        feeRule: fee.rule,
      });
      change({ entity: "application", key: number, op: "upsert", data: { number, status: "awaiting-payment" } });
      return number;
    }, at);
    return {
      number,
      accessKey: key,
      status: "awaiting-payment" as const,
      fee: { amountCents: fee.amountCents, currency: fee.currency },
    };
  }

  /** The sandbox's payment: a receipt, once; paying again answers the same receipt. */
  async pay(number: string, accessKey: string, at = new Date()) {
    return this.store.write(async ({ trx, change }) => {
      const row = await this.#opened(trx, number, accessKey);
      if (row.receipt_id && row.paid_at)
        return {
          receipt: { id: row.receipt_id, amountCents: row.fee_cents, paidAt: row.paid_at },
          status: row.status,
        };
      const receipt = { id: `RCPT-${randomUUID()}`, amountCents: row.fee_cents, paidAt: at.toISOString() };
      const claimed = await trx
        .updateTable("application")
        .set({ receipt_id: receipt.id, paid_at: receipt.paidAt, status: "background-check" })
        .where("number", "=", number)
        .where("receipt_id", "is", null)
        .executeTakeFirst();
      // Paid meanwhile by another request: its receipt is the one.
      if (claimed.numUpdatedRows === 0n) {
        const paid = await this.#row(trx, number);
        return {
          receipt: { id: paid.receipt_id as string, amountCents: paid.fee_cents, paidAt: paid.paid_at as string },
          status: paid.status,
        };
      }
      await this.#event(trx, number, at, "paid", "applicant", {
        receipt: receipt.id,
        amountCents: receipt.amountCents,
      });
      change({ entity: "application", key: number, op: "upsert", data: { number, status: "background-check" } });
      return { receipt, status: "background-check" as const };
    }, at);
  }

  async status(number: string, accessKey: string): Promise<ApplicationStatusView> {
    return statusView(await this.#opened(this.store.db, number, accessKey));
  }

  /** Paid applications the police have not yet answered about, oldest first. */
  async pendingChecks(limit = 20): Promise<Array<{ number: string; person: CheckedPerson }>> {
    const rows = await this.store.db
      .selectFrom("application")
      .select(["number", "given_name", "surname", "date_of_birth", "citizenship", "document_number"])
      .where("status", "=", "background-check")
      .orderBy("paid_at")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      number: row.number,
      person: {
        givenName: row.given_name,
        surname: row.surname,
        dateOfBirth: row.date_of_birth,
        citizenship: row.citizenship,
        documentNumber: row.document_number,
      },
    }));
  }

  /** The police's answer: clear or hit, the application goes to the official either way (they decide). */
  async recordCheck(number: string, check: BackgroundCheck, at = new Date()): Promise<void> {
    await this.store.write(async ({ trx, change }) => {
      const updated = await trx
        .updateTable("application")
        .set({
          status: "awaiting-decision",
          check_result: check.result,
          check_findings: JSON.stringify(check.findings),
          checked_at: check.checkedAt,
          check_query: check.query ?? null,
        })
        .where("number", "=", number)
        .where("status", "=", "background-check")
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return;
      await this.#event(trx, number, at, "background-checked", "police", {
        result: check.result,
        findings: check.findings.length,
      });
      change({ entity: "application", key: number, op: "upsert", data: { number, status: "awaiting-decision" } });
    }, at);
  }

  /**
   * Granted applications whose background check was asked before the applicant had a code
   * (so it named nobody in the Data Tracker) and has not yet been asked again with the code.
   */
  async pendingAttributions(
    limit = 20,
  ): Promise<Array<{ number: string; person: CheckedPerson & { personalCode: string }; query: string | null }>> {
    const rows = await this.store.db
      .selectFrom("application")
      .select(["number", "given_name", "surname", "date_of_birth", "citizenship", "document_number"])
      .select(["personal_code", "check_query"])
      .where("personal_code", "is not", null)
      .where("check_attributed", "is", null)
      .orderBy("decided_at")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      number: row.number,
      query: row.check_query,
      person: {
        givenName: row.given_name,
        surname: row.surname,
        dateOfBirth: row.date_of_birth,
        citizenship: row.citizenship,
        documentNumber: row.document_number,
        personalCode: row.personal_code as string,
      },
    }));
  }

  /** The check asked again with the code: linked to the first in the journal; a new hit is journalled for the official. */
  async recordAttribution(number: string, check: BackgroundCheck, at = new Date()): Promise<void> {
    await this.store.write(async ({ trx }) => {
      const row = await this.#row(trx, number);
      const updated = await trx
        .updateTable("application")
        .set({ check_attributed: check.query ?? "" })
        .where("number", "=", number)
        .where("check_attributed", "is", null)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return;
      await this.#event(trx, number, at, "check-attributed", "police", {
        personalCode: row.personal_code,
        ...(row.check_query ? { query: row.check_query } : {}),
        ...(check.query ? { attributedBy: check.query } : {}),
        result: check.result,
        findings: check.findings,
      });
    }, at);
  }

  async application(number: string): Promise<StaffApplication> {
    const row = await this.store.db
      .selectFrom("application")
      .selectAll()
      .where("number", "=", number)
      .executeTakeFirst();
    if (!row) throw new EResidencyError("APPLICATION_UNKNOWN", `no application ${number}`);
    const events = await this.store.db
      .selectFrom("application_event")
      .select(["at", "type", "actor", "data"])
      .where("number", "=", number)
      .orderBy("seq")
      .execute();
    return {
      ...statusView(row),
      givenName: row.given_name,
      surname: row.surname,
      dateOfBirth: row.date_of_birth,
      sex: row.sex,
      citizenship: row.citizenship,
      documentNumber: row.document_number,
      documentExpires: row.document_expires,
      email: row.email,
      reason: row.reason,
      ...(row.paid_at ? { paidAt: row.paid_at } : {}),
      ...(row.check_result && row.checked_at
        ? {
            check: {
              checkedAt: row.checked_at,
              result: row.check_result as BackgroundCheck["result"],
              findings: JSON.parse(row.check_findings ?? "[]") as Finding[],
            },
          }
        : {}),
      ...(row.decided_by ? { decidedBy: row.decided_by.split(",") } : {}),
      ...(row.handed_over_at ? { handedOverAt: row.handed_over_at } : {}),
      events: events.map((event) => ({ ...event, data: JSON.parse(event.data) as Record<string, unknown> })),
    };
  }

  /** Application numbers at a status (the official's work list), oldest first. */
  async applications(status: ApplicationStatus, limit = 100): Promise<ApplicationStatusView[]> {
    const rows = await this.store.db
      .selectFrom("application")
      .selectAll()
      .where("status", "=", status)
      .orderBy("submitted_at")
      .limit(limit)
      .execute();
    return rows.map(statusView);
  }

  /**
   * The official's signed decision. Granted: the e-resident's personal code, the lowest serial
   * of their birth date and sex free in this register and, when it is configured, in the
   * population register (asked first, outside the transaction; no answer, no grant). Refused:
   * with its reason.
   */
  async decide(number: string, container: Uint8Array, at = new Date()): Promise<ApplicationStatusView> {
    const pending = await this.#row(this.store.db, number);
    this.#decidable(pending);
    const decision = await verifyDecision(container, number, this.options.officials, this.options.trustAnchors);
    for (let attempt = 1; ; attempt++) {
      const checked = decision.granted ? await this.#freeCode(pending, decision.signers[0] as string, at) : undefined;
      try {
        return await this.#record(number, container, decision, checked, at);
      } catch (error) {
        if (!(error instanceof CodeTakenMeanwhile)) throw error;
        if (attempt === 3)
          throw new EResidencyError(
            "APPLICATION_NOT_READY",
            `other grants of ${pending.date_of_birth} took the codes checked for ${number}; send the decision again`,
          );
      }
    }
  }

  /**
   * The lowest code of the applicant's birth date and sex free here that the population
   * register does not hold, and the X-Road-Ids of the queries; undefined without the register.
   */
  async #freeCode(row: ApplicationTable, official: string, at: Date) {
    const register = this.options.residentCodes;
    if (!register) return undefined;
    const taken = new Set(await this.#takenSerials(this.store.db, row.date_of_birth, row.sex));
    const queries: string[] = [];
    for (;;) {
      const code = assignPersonalCode(row.date_of_birth, row.sex, taken);
      const answer = await register.held(code, { official, number: row.number });
      queries.push(answer.query);
      if (!answer.held) return { code, queries };
      const serial = Number(code.slice(7, 10));
      // Kept, so the register is not asked about a resident's code again.
      await this.store.db
        .insertInto("resident_code")
        .values({
          personal_code: code,
          birth_date: row.date_of_birth,
          sex: row.sex,
          serial,
          checked_at: at.toISOString(),
        })
        .onConflict((oc) => oc.column("personal_code").doNothing())
        .execute();
      taken.add(serial);
    }
  }

  /** Serials of a birth date and sex held by e-residents or (as far as asked) residents. */
  async #takenSerials(
    db: MemberStorage<EResidencyDb>["db"] | MemberWrite<EResidencyDb>["trx"],
    birthDate: string,
    sex: "male" | "female",
  ): Promise<number[]> {
    const rows = await db
      .selectFrom("e_resident")
      .select("serial")
      .where("birth_date", "=", birthDate)
      .where("sex", "=", sex)
      .unionAll(
        db.selectFrom("resident_code").select("serial").where("birth_date", "=", birthDate).where("sex", "=", sex),
      )
      .execute();
    return rows.map((row) => Number(row.serial));
  }

  async #record(
    number: string,
    container: Uint8Array,
    decision: Awaited<ReturnType<typeof verifyDecision>>,
    checked: { code: string; queries: string[] } | undefined,
    at: Date,
  ): Promise<ApplicationStatusView> {
    return this.store.write(async ({ trx, change, emit }) => {
      const status = decision.granted ? "granted" : "refused";
      // Claimed by one conditional update: of two decisions at once, the second finds it decided.
      const claimed = await trx
        .updateTable("application")
        .set({
          status,
          decision: status,
          decision_reason: decision.reason ?? null,
          decided_at: at.toISOString(),
          decided_by: decision.signers.join(","),
          decision_container: Buffer.from(container).toString("base64"),
        })
        .where("number", "=", number)
        .where("status", "=", "awaiting-decision")
        .where("decision", "is", null)
        .executeTakeFirst();
      const row = await this.#row(trx, number);
      if (claimed.numUpdatedRows === 0n) {
        this.#decidable(row);
        throw new EResidencyError("APPLICATION_NOT_READY", `application ${number} is ${row.status}`);
      }
      let personalCode: string | null = null;
      if (decision.granted) {
        // The day's and sex's counter row, upserted first, holds back any other grant of the same
        // birth date and sex until this one commits (SQLite writes one at a time anyway).
        await trx
          .insertInto("counter")
          .values({ name: `codes-${row.date_of_birth}-${row.sex}`, value: 1 })
          .onConflict((oc) => oc.column("name").doUpdateSet((eb) => ({ value: eb("counter.value", "+", 1) })))
          .execute();
        personalCode = assignPersonalCode(
          row.date_of_birth,
          row.sex,
          await this.#takenSerials(trx, row.date_of_birth, row.sex),
        );
        if (checked && personalCode !== checked.code) throw new CodeTakenMeanwhile();
        await trx
          .insertInto("e_resident")
          .values({
            personal_code: personalCode,
            application_number: number,
            birth_date: row.date_of_birth,
            sex: row.sex,
            serial: Number(personalCode.slice(7, 10)),
            status: "pending",
            valid_until: null,
            card_document_number: null,
            revoked_at: null,
            revocation_reason: null,
          })
          .execute();
        await trx
          .updateTable("application")
          .set({ personal_code: personalCode })
          .where("number", "=", number)
          .execute();
      }
      // The queries the decision rests on, linked to the code granted: the background check
      // (asked before the applicant had a code) and the population register's answers.
      await this.#event(trx, number, at, status, decision.signers.join(","), {
        ...(decision.reason ? { reason: decision.reason } : {}),
        ...(personalCode ? { personalCode } : {}),
        queries: {
          ...(row.check_query ? { backgroundCheck: row.check_query } : {}),
          ...(checked ? { populationRegister: checked.queries } : {}),
        },
      });
      change({ entity: "application", key: number, op: "upsert", data: { number, status } });
      if (personalCode) emit({ type: "e-residency.granted", data: { subjects: [personalCode], number } });
      return statusView(await this.#row(trx, number));
    }, at);
  }

  /**
   * Hand-over at the pick-up point: the official has seen the travel document the application
   * names; the digital ID is ordered from the trust services (e-resident profile, 5 years) and
   * its card file written 0600 for the applicant. Claimed first (`card-ordered`, the recorded
   * intent), so two desks cannot order two IDs. A hand-over that failed after its card was
   * issued leaves the claim released (or, if even that failed, stale after HAND_OVER_LEASE_MS)
   * and the card file behind: handing over again finds that card, revokes it (its PIN
   * envelope reached nobody and is kept nowhere, so nobody could use it) and orders a new one.
   */
  async handOver(number: string, documentNumber: string, official: string, at = new Date()): Promise<HandOver> {
    this.official(official);
    const cards = this.options.cards;
    if (!cards) throw new EResidencyError("CARDS_UNAVAILABLE", "the agency is served without the trust services");
    const row = await this.store.write(async ({ trx }) => {
      const row = await this.#row(trx, number);
      const stale = new Date(at.getTime() - HAND_OVER_LEASE_MS).toISOString();
      const resumable = row.status === "card-ordered" && (row.card_claimed_at === null || row.card_claimed_at <= stale);
      if (row.status === "card-ordered" && !resumable)
        throw new EResidencyError("APPLICATION_NOT_READY", `application ${number} is being handed over`);
      if (row.status !== "granted" && !resumable)
        throw new EResidencyError("APPLICATION_NOT_READY", `application ${number} is ${row.status}, not granted`);
      if (row.document_number !== documentNumber)
        throw new EResidencyError("IDENTITY_MISMATCH", "the document shown is not the one the application names");
      // Conditional on the row as read, so that of two desks at once only one orders a digital ID.
      const claimed = await trx
        .updateTable("application")
        .set({ status: "card-ordered", card_claimed_at: at.toISOString() })
        .where("number", "=", number)
        .where("status", "=", row.status)
        .where("card_claimed_at", row.card_claimed_at === null ? "is" : "=", row.card_claimed_at)
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n)
        throw new EResidencyError("APPLICATION_NOT_READY", `application ${number} is being handed over`);
      await this.#event(trx, number, at, "card-ordered", official, resumable ? { resumed: true } : {});
      return row;
    }, at);
    const personalCode = row.personal_code as string;
    const cardFile = join(this.options.cardsDir, `${number}.card.json`);
    if (existsSync(cardFile)) {
      const orphan = readCardFile(cardFile).documentNumber;
      try {
        await cards.revoke(orphan, "superseded");
      } catch (cause) {
        await this.#release(number, official, "card-ordered", "orphan-card-revoke-failed", { documentNumber: orphan });
        throw new EResidencyError(
          "CARDS_UNAVAILABLE",
          "the trust services did not revoke the unfinished digital ID; try again",
          {
            cause,
          },
        );
      }
      rmSync(cardFile);
      await this.#release(number, official, "card-ordered", "orphan-card-revoked", { documentNumber: orphan }, true);
    }
    let card: RaCard;
    try {
      card = await cards.order({ personalCode, givenName: row.given_name, surname: row.surname, eResident: true });
    } catch (cause) {
      await this.#release(number, official, "granted", "card-order-failed", {});
      throw new EResidencyError("CARDS_UNAVAILABLE", "the trust services did not issue the digital ID; try again", {
        cause,
      });
    }
    // Written before the final write: a hand-over that fails after this point is found by the next.
    writeCardFile(cardFile, card.card);
    const validUntil = card.authentication.notAfter.slice(0, 10);
    try {
      await this.store.write(async ({ trx, change, emit }) => {
        await trx
          .updateTable("application")
          .set({ status: "issued", handed_over_at: at.toISOString(), card_claimed_at: null })
          .where("number", "=", number)
          .execute();
        await trx
          .updateTable("e_resident")
          .set({ status: "valid", valid_until: validUntil, card_document_number: card.documentNumber })
          .where("personal_code", "=", personalCode)
          .execute();
        await this.#event(trx, number, at, "handed-over", official, {
          documentNumber: card.documentNumber,
          validUntil,
        });
        change({
          entity: "e_resident",
          key: personalCode,
          op: "upsert",
          data: { personalCode, status: "valid", validUntil },
        });
        emit({ type: "e-residency.issued", data: { subjects: [personalCode], validUntil } });
      }, at);
    } catch (cause) {
      await this.#release(number, official, "card-ordered", "hand-over-unfinished", {
        documentNumber: card.documentNumber,
      });
      throw new EResidencyError(
        "CARDS_UNAVAILABLE",
        "the digital ID was issued but not recorded; hand over again: that ID is then revoked and a new one ordered",
        { cause },
      );
    }
    return {
      number,
      personalCode,
      validUntil,
      documentNumber: card.documentNumber,
      cardFile,
      pinEnvelope: card.pinEnvelope,
    };
  }

  /**
   * The hand-over's claim released (STATUS, claim cleared) with its journal entry; when the
   * database fails here too, the claim goes stale after HAND_OVER_LEASE_MS instead. KEEP keeps
   * the claim (the hand-over goes on).
   */
  async #release(
    number: string,
    official: string,
    status: "granted" | "card-ordered",
    type: string,
    data: Record<string, unknown>,
    keep = false,
  ): Promise<void> {
    try {
      await this.store.write(async ({ trx }) => {
        if (!keep)
          await trx
            .updateTable("application")
            .set({ status, card_claimed_at: null })
            .where("number", "=", number)
            .execute();
        await this.#event(trx, number, new Date(), type, official, data);
      });
    } catch (error) {
      if (keep) throw error;
    }
  }

  /** An e-resident in the register (contract D, `GET /e-residents/{code}`): granted ones without an ID yet are not. */
  async eResident(code: string, at = new Date()): Promise<EResident> {
    const row = await this.store.db
      .selectFrom("e_resident")
      .selectAll()
      .where("personal_code", "=", code)
      .executeTakeFirst();
    if (!row || row.status === "pending" || !row.valid_until)
      throw new EResidencyError("E_RESIDENT_NOT_FOUND", `no e-resident ${code}`);
    const status = row.status === "revoked" ? "revoked" : row.valid_until < dayOf(at) ? "expired" : "valid";
    return { personalCode: code, status, validUntil: row.valid_until };
  }

  /** Revocation by an official with its reason; the digital ID's certificates are revoked first. */
  async revoke(code: string, reason: string, official: string, at = new Date()): Promise<EResident> {
    this.official(official);
    const resident = await this.eResident(code, at);
    if (resident.status === "revoked") throw new EResidencyError("E_RESIDENT_REVOKED", `${code} is already revoked`);
    const row = await this.store.db
      .selectFrom("e_resident")
      .select(["card_document_number", "application_number"])
      .where("personal_code", "=", code)
      .executeTakeFirstOrThrow();
    if (row.card_document_number) {
      if (!this.options.cards)
        throw new EResidencyError("CARDS_UNAVAILABLE", "the digital ID cannot be revoked without the trust services");
      await this.options.cards.revoke(row.card_document_number, "cessationOfOperation");
    }
    await this.store.write(async ({ trx, change, emit }) => {
      await trx
        .updateTable("e_resident")
        .set({ status: "revoked", revoked_at: at.toISOString(), revocation_reason: reason })
        .where("personal_code", "=", code)
        .execute();
      await this.#event(trx, row.application_number, at, "revoked", official, { reason });
      change({ entity: "e_resident", key: code, op: "upsert", data: { personalCode: code, status: "revoked" } });
      emit({ type: "e-residency.revoked", data: { subjects: [code] } });
    }, at);
    return { ...resident, status: "revoked" };
  }

  /**
   * Renewal at a pick-up point: a new digital ID with a new validity period for a valid or
   * expired (never a revoked) e-resident; the old one is revoked as superseded. The travel
   * document the official checked is journalled: after five years it is often a new one.
   */
  async renew(code: string, documentNumber: string, official: string, at = new Date()): Promise<HandOver> {
    this.official(official);
    const resident = await this.eResident(code, at);
    if (resident.status === "revoked") throw new EResidencyError("E_RESIDENT_REVOKED", `${code} is revoked`);
    const cards = this.options.cards;
    if (!cards) throw new EResidencyError("CARDS_UNAVAILABLE", "the agency is served without the trust services");
    const row = await this.store.db
      .selectFrom("e_resident")
      .innerJoin("application", "application.number", "e_resident.application_number")
      .select(["application.number", "given_name", "surname", "card_document_number"])
      .where("e_resident.personal_code", "=", code)
      .executeTakeFirstOrThrow();
    let card: RaCard;
    try {
      card = await cards.order({
        personalCode: code,
        givenName: row.given_name,
        surname: row.surname,
        eResident: true,
      });
    } catch (cause) {
      throw new EResidencyError("CARDS_UNAVAILABLE", "the trust services did not issue the digital ID; try again", {
        cause,
      });
    }
    const cardFile = join(this.options.cardsDir, `${row.number}.${card.documentNumber}.card.json`);
    writeCardFile(cardFile, card.card);
    const validUntil = card.authentication.notAfter.slice(0, 10);
    await this.store.write(async ({ trx, change, emit }) => {
      await trx
        .updateTable("e_resident")
        .set({ valid_until: validUntil, card_document_number: card.documentNumber })
        .where("personal_code", "=", code)
        .execute();
      await this.#event(trx, row.number, at, "renewed", official, {
        documentNumber: card.documentNumber,
        travelDocument: documentNumber,
        validUntil,
      });
      change({
        entity: "e_resident",
        key: code,
        op: "upsert",
        data: { personalCode: code, status: "valid", validUntil },
      });
      emit({ type: "e-residency.renewed", data: { subjects: [code], validUntil } });
    }, at);
    if (row.card_document_number) await cards.revoke(row.card_document_number, "superseded");
    return {
      number: row.number,
      personalCode: code,
      validUntil,
      documentNumber: card.documentNumber,
      cardFile,
      pinEnvelope: card.pinEnvelope,
    };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** NOT_AN_OFFICIAL unless `code` is a listed official. */
  official(code: string): void {
    if (!this.options.officials.includes(code))
      throw new EResidencyError(
        "NOT_AN_OFFICIAL",
        "only a listed official of the Police and Border Guard Board acts here",
      );
  }

  #decidable(row: ApplicationTable): void {
    if (row.decision) throw new EResidencyError("ALREADY_DECIDED", `application ${row.number} is already decided`);
    if (row.status !== "awaiting-decision")
      throw new EResidencyError("APPLICATION_NOT_READY", `application ${row.number} is ${row.status}`);
  }

  async #row(db: MemberStorage<EResidencyDb>["db"] | MemberWrite<EResidencyDb>["trx"], number: string) {
    const row = await db.selectFrom("application").selectAll().where("number", "=", number).executeTakeFirst();
    if (!row) throw new EResidencyError("APPLICATION_UNKNOWN", `no application ${number}`);
    return row;
  }

  /** The application, if the key opens it; otherwise the same answer as for no application. */
  async #opened(db: MemberStorage<EResidencyDb>["db"] | MemberWrite<EResidencyDb>["trx"], number: string, key: string) {
    const row = await db.selectFrom("application").selectAll().where("number", "=", number).executeTakeFirst();
    if (!row || !accessKeyOpens(key, row.access_key_hash)) throw unknown(number);
    return row;
  }

  async #event(
    trx: MemberWrite<EResidencyDb>["trx"],
    number: string,
    at: Date,
    type: string,
    actor: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    const last = await trx
      .selectFrom("application_event")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("number", "=", number)
      .executeTakeFirst();
    const seq = Number(last?.seq ?? 0) + 1;
    await trx
      .insertInto("application_event")
      .values({ number, seq, at: at.toISOString(), type, actor, data: JSON.stringify(data) })
      .execute();
  }
}

export async function openEResidencyOffice(
  location: { dataDir: string; url?: string; schema?: string },
  options: Omit<EResidencyOfficeOptions, "cardsDir"> & { cardsDir?: string },
): Promise<EResidencyOffice> {
  return new EResidencyOffice(
    await openMemberStorage<EResidencyDb>({
      component: E_RESIDENCY_COMPONENT,
      migrations: eResidencyMigrations,
      ...location,
    }),
    { ...options, cardsDir: options.cardsDir ?? join(location.dataDir, "cards") },
  );
}
