// The e-Residency office on the kit's storage: an application is numbered, paid, checked by
// the police, decided by a listed official's signature, and handed over with a digital ID
// from the trust services; the e-resident then stands in a register of their own. Every state
// change is one transaction with its event in the application's journal.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { type MemberStorage, type MemberWrite, openMemberStorage } from "@riik/kit";
import { type RaCard, type RaCardRequest, type RaRevocationReason, writeCardFile } from "@riik/pki";
import type { ValidationOptions } from "@riik/signature";
import { verifyDecision } from "../decision/decision.ts";
import { EResidencyError } from "../errors.ts";
import {
  type ApplicationForm,
  accessKeyOpens,
  applicationNumber,
  checkForm,
  FEE,
  newAccessKey,
} from "../model/application.ts";
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
}

/** The person as the police are asked about them (their `POST /background-checks`). */
export interface CheckedPerson {
  givenName: string;
  surname: string;
  dateOfBirth: string;
  citizenship: string;
  documentNumber: string;
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
}

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
  constructor(
    readonly store: MemberStorage<EResidencyDb>,
    readonly options: EResidencyOfficeOptions,
  ) {}

  /** A new application awaiting its fee; the access key is in this answer only. */
  async apply(form: ApplicationForm, at = new Date()) {
    checkForm(form, dayOf(at));
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
        })
        .execute();
      await this.#event(trx, number, at, "submitted", "applicant", { pickupLocation: form.pickupLocation });
      change({ entity: "application", key: number, op: "upsert", data: { number, status: "awaiting-payment" } });
      return number;
    }, at);
    return { number, accessKey: key, status: "awaiting-payment" as const, fee: { ...FEE } };
  }

  /** The sandbox's payment: a receipt, once; paying again answers the same receipt. */
  async pay(number: string, accessKey: string, at = new Date()) {
    return this.store.write(async ({ trx, change }) => {
      const row = await this.#opened(trx, number, accessKey);
      if (row.receipt_id && row.paid_at)
        return {
          receipt: { id: row.receipt_id, amountCents: FEE.amountCents, paidAt: row.paid_at },
          status: row.status,
        };
      const receipt = { id: `RCPT-${randomUUID()}`, amountCents: FEE.amountCents, paidAt: at.toISOString() };
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
          receipt: { id: paid.receipt_id as string, amountCents: FEE.amountCents, paidAt: paid.paid_at as string },
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
   * The official's signed decision. Granted: the e-resident's personal code, the lowest free
   * serial of their birth date and sex in the register. Refused: with its reason.
   */
  async decide(number: string, container: Uint8Array, at = new Date()): Promise<ApplicationStatusView> {
    this.#decidable(await this.#row(this.store.db, number));
    const decision = await verifyDecision(container, number, this.options.officials, this.options.trustAnchors);
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
        const taken = await trx
          .selectFrom("e_resident")
          .select("serial")
          .where("birth_date", "=", row.date_of_birth)
          .where("sex", "=", row.sex)
          .execute();
        personalCode = assignPersonalCode(
          row.date_of_birth,
          row.sex,
          taken.map((t) => Number(t.serial)),
        );
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
      await this.#event(trx, number, at, status, decision.signers.join(","), {
        ...(decision.reason ? { reason: decision.reason } : {}),
        ...(personalCode ? { personalCode } : {}),
      });
      change({ entity: "application", key: number, op: "upsert", data: { number, status } });
      if (personalCode) emit({ type: "e-residency.granted", data: { subjects: [personalCode], number } });
      return statusView(await this.#row(trx, number));
    }, at);
  }

  /**
   * Hand-over at the pick-up point: the official has seen the travel document the application
   * names; the digital ID is ordered from the trust services (e-resident profile, 5 years) and
   * its card file written 0600 for the applicant. Claimed first, so two desks cannot order two IDs.
   */
  async handOver(number: string, documentNumber: string, official: string, at = new Date()): Promise<HandOver> {
    this.official(official);
    const cards = this.options.cards;
    if (!cards) throw new EResidencyError("CARDS_UNAVAILABLE", "the agency is served without the trust services");
    const row = await this.store.write(async ({ trx }) => {
      const row = await this.#row(trx, number);
      if (row.status !== "granted")
        throw new EResidencyError("APPLICATION_NOT_READY", `application ${number} is ${row.status}, not granted`);
      if (row.document_number !== documentNumber)
        throw new EResidencyError("IDENTITY_MISMATCH", "the document shown is not the one the application names");
      // Conditional, so that of two desks at once only one orders a digital ID.
      const claimed = await trx
        .updateTable("application")
        .set({ status: "card-ordered" })
        .where("number", "=", number)
        .where("status", "=", "granted")
        .executeTakeFirst();
      if (claimed.numUpdatedRows === 0n)
        throw new EResidencyError("APPLICATION_NOT_READY", `application ${number} is being handed over`);
      await this.#event(trx, number, at, "card-ordered", official, {});
      return row;
    }, at);
    const personalCode = row.personal_code as string;
    let card: RaCard;
    try {
      card = await cards.order({ personalCode, givenName: row.given_name, surname: row.surname, eResident: true });
    } catch (cause) {
      await this.store.write(async ({ trx }) => {
        await trx.updateTable("application").set({ status: "granted" }).where("number", "=", number).execute();
        await this.#event(trx, number, new Date(), "card-order-failed", official, {});
      });
      throw new EResidencyError("CARDS_UNAVAILABLE", "the trust services did not issue the digital ID; try again", {
        cause,
      });
    }
    const cardFile = join(this.options.cardsDir, `${number}.card.json`);
    writeCardFile(cardFile, card.card);
    const validUntil = card.authentication.notAfter.slice(0, 10);
    await this.store.write(async ({ trx, change, emit }) => {
      await trx
        .updateTable("application")
        .set({ status: "issued", handed_over_at: at.toISOString() })
        .where("number", "=", number)
        .execute();
      await trx
        .updateTable("e_resident")
        .set({ status: "valid", valid_until: validUntil, card_document_number: card.documentNumber })
        .where("personal_code", "=", personalCode)
        .execute();
      await this.#event(trx, number, at, "handed-over", official, { documentNumber: card.documentNumber, validUntil });
      change({
        entity: "e_resident",
        key: personalCode,
        op: "upsert",
        data: { personalCode, status: "valid", validUntil },
      });
      emit({ type: "e-residency.issued", data: { subjects: [personalCode], validUntil } });
    }, at);
    return {
      number,
      personalCode,
      validUntil,
      documentNumber: card.documentNumber,
      cardFile,
      pinEnvelope: card.pinEnvelope,
    };
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
