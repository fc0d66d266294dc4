// The Board's register of family benefits on the kit's storage: births make offers without an
// application, a parent confirms, payments are scheduled month by month from the rules, and a
// death or the end of entitlement stops them with a notice. Every write is journalled and its
// events (for the state inbox) queued in the same transaction.
import { randomUUID } from "node:crypto";
import { PersonalCodeError, parseIban, parsePersonalCode } from "@riik/core";
import { type MemberStorage, type MemberWrite, openMemberStorage } from "@riik/kit";
import type { Transaction } from "kysely";
import { type BenefitLine, childbirthAllowance, monthlyEntitlement } from "../benefits/entitlement.ts";
import { SocialInsuranceError } from "../errors.ts";
import {
  type FamilyCaseTable,
  type OfferTable,
  type PaymentTable,
  SOCIAL_INSURANCE_COMPONENT,
  type SocialInsuranceDb,
  socialInsuranceMigrations,
} from "./schema.ts";

/** A birth as the population register publishes it (`person.born`). */
export interface Birth {
  child: string;
  mother: string;
  father?: string | null;
}

export interface Offer {
  id: string;
  child: string;
  mother: string;
  status: "offered" | "confirmed";
  /** What is offered: the childbirth allowance and the family's monthly benefits from the birth month. */
  lines: BenefitLine[];
  createdAt: string;
  confirmedAt: string | null;
  confirmedBy: string | null;
}

export interface Payment {
  month: string;
  benefit: string;
  child: string | null;
  amountCents: number;
  why: string;
  rulesFrom: string;
  recipient: string;
  iban: string;
}

const code = (text: string, what: string): string => {
  try {
    return parsePersonalCode(text).code;
  } catch (error) {
    if (error instanceof PersonalCodeError)
      throw new SocialInsuranceError("PERSONAL_CODE_INVALID", `${what}: ${error.message}`);
    throw error;
  }
};
const monthOf = (date: string) => date.slice(0, 7);
/** The month after YYYY-MM. */
const nextMonth = (month: string) => {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, "0")}`;
};
const offerOf = (row: OfferTable): Offer => ({
  id: row.id,
  child: row.child_code,
  mother: row.mother_code,
  status: row.status as Offer["status"],
  lines: JSON.parse(row.lines) as BenefitLine[],
  createdAt: row.created_at,
  confirmedAt: row.confirmed_at,
  confirmedBy: row.confirmed_by,
});
const paymentOf = (row: PaymentTable): Payment => ({
  month: row.month,
  benefit: row.benefit,
  child: row.child_code,
  amountCents: Number(row.amount_cents),
  why: row.why,
  rulesFrom: row.rules_from,
  recipient: row.recipient_code,
  iban: row.iban,
});

export class SocialInsuranceBoard {
  constructor(readonly store: MemberStorage<SocialInsuranceDb>) {}

  /**
   * A birth as the register's `person.born` event reports it, inside the event's own
   * transaction (`write`): the child joins the mother's family case and waits for its offer.
   * Reading the family over X-Road happens outside any transaction (makeOffer). A birth seen
   * before changes nothing.
   */
  async recordBirth({ trx, change }: MemberWrite<SocialInsuranceDb>, birth: Birth, at = new Date()): Promise<void> {
    const child = code(birth.child, "child");
    const mother = code(birth.mother, "mother");
    const father = birth.father ? code(birth.father, "father") : null;
    const known = await trx
      .selectFrom("family_child")
      .select("child_code")
      .where("child_code", "=", child)
      .executeTakeFirst();
    if (known) return;
    await trx
      .insertInto("family_case")
      .values({ mother_code: mother, father_code: father, recipient_code: null, iban: null, confirmed_at: null })
      .onConflict((c) => c.column("mother_code").doUpdateSet({ father_code: father }))
      .execute();
    await trx
      .insertInto("family_child")
      .values({ child_code: child, mother_code: mother, died_on: null, ended_month: null })
      .execute();
    await trx
      .insertInto("pending_birth")
      .values({ child_code: child, mother_code: mother, recorded_at: at.toISOString() })
      .execute();
    change({ entity: "family_child", key: child, op: "upsert", data: { child, mother, father } });
  }

  /** Births waiting for their offer, oldest first: (child, mother). */
  async pendingBirths(limit = 100): Promise<Array<{ child: string; mother: string }>> {
    const rows = await this.store.db
      .selectFrom("pending_birth")
      .selectAll()
      .orderBy("recorded_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ child: r.child_code, mother: r.mother_code }));
  }

  /**
   * The offer for a recorded birth — the childbirth allowance and the family's monthly benefits,
   * with nothing to apply for. `siblings` are the mother's children as the population register
   * answers. Made once: a second call answers the first offer.
   */
  async makeOffer(childCode: string, siblings: readonly string[], at = new Date()): Promise<Offer> {
    const child = code(childCode, "child");
    const brothersAndSisters = siblings.map((s) => code(s, "sibling"));
    return this.store.write(async ({ trx, change, emit }) => {
      const existing = await trx.selectFrom("offer").selectAll().where("child_code", "=", child).executeTakeFirst();
      if (existing) return offerOf(existing);
      const pending = await trx
        .selectFrom("pending_birth")
        .selectAll()
        .where("child_code", "=", child)
        .executeTakeFirst();
      if (!pending) throw new SocialInsuranceError("OFFER_NOT_FOUND", `no birth of ${child} is recorded`);
      const mother = pending.mother_code;
      for (const member of brothersAndSisters.filter((s) => s !== child))
        await trx
          .insertInto("family_child")
          .values({ child_code: member, mother_code: mother, died_on: null, ended_month: null })
          .onConflict((c) => c.column("child_code").doNothing())
          .execute();
      const month = monthOf(parsePersonalCode(child).birthDate);
      const family = await this.#livingChildren(trx, mother, `${month}-01`);
      const lines = [...childbirthAllowance([{ personalCode: child }]), ...monthlyEntitlement(family, month).lines];
      const row: OfferTable = {
        id: randomUUID(),
        mother_code: mother,
        child_code: child,
        lines: JSON.stringify(lines),
        status: "offered",
        created_at: at.toISOString(),
        confirmed_at: null,
        confirmed_by: null,
      };
      await trx.insertInto("offer").values(row).execute();
      await trx.deleteFrom("pending_birth").where("child_code", "=", child).execute();
      const offer = offerOf(row);
      change({ entity: "offer", key: row.id, op: "upsert", data: offer });
      const { father_code: father } = await trx
        .selectFrom("family_case")
        .select("father_code")
        .where("mother_code", "=", mother)
        .executeTakeFirstOrThrow();
      const parents = [mother, ...(father ? [father] : [])];
      emit({ type: "offer.created", data: { subjects: [...parents, child], offer: row.id, child, parents } });
      return offer;
    }, at);
  }

  /** recordBirth and makeOffer at once, for a caller that already knows the family. */
  async onBirth(birth: Birth, siblings: readonly string[], at = new Date()): Promise<Offer> {
    await this.store.write((write) => this.recordBirth(write, birth, at), at);
    return this.makeOffer(birth.child, siblings, at);
  }

  /**
   * A death the register reports (`person.died`), in the event's transaction: a child's
   * benefits end from the next month; when the parent the family's benefits are paid to dies,
   * they are paid to no one until a parent confirms who receives them now, and the surviving
   * parent is told (`benefit.recipient-died`).
   */
  async recordDeath(
    { trx, change, emit }: MemberWrite<SocialInsuranceDb>,
    personalCode: string,
    dateOfDeath: string,
  ): Promise<void> {
    const person = code(personalCode, "person");
    const updated = await trx
      .updateTable("family_child")
      .set({ died_on: dateOfDeath })
      .where("child_code", "=", person)
      .where("died_on", "is", null)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0)
      change({ entity: "family_child", key: person, op: "upsert", data: { child: person, diedOn: dateOfDeath } });
    const receiving = await trx.selectFrom("family_case").selectAll().where("recipient_code", "=", person).execute();
    for (const family of receiving) {
      const now = { ...family, recipient_code: null, iban: null };
      await trx
        .updateTable("family_case")
        .set({ recipient_code: null, iban: null })
        .where("mother_code", "=", family.mother_code)
        .execute();
      change({ entity: "family_case", key: family.mother_code, op: "upsert", data: now });
      const surviving = [family.mother_code, family.father_code].filter((p): p is string => p !== null && p !== person);
      emit({
        type: "benefit.recipient-died",
        data: { subjects: surviving, mother: family.mother_code, recipient: person, dateOfDeath },
      });
    }
  }

  async onDeath(personalCode: string, dateOfDeath: string, at = new Date()): Promise<void> {
    await this.store.write((write) => this.recordDeath(write, personalCode, dateOfDeath), at);
  }

  /**
   * A parent confirms an offer and names which parent receives the family's benefits and the
   * account; the childbirth allowance is scheduled at once. `by` is the person acting
   * (X-Road-UserId): only the mother or the father named in the birth.
   */
  async confirm(
    offerId: string,
    request: { by: string; recipient: string; iban: string },
    at = new Date(),
  ): Promise<Offer> {
    const by = code(request.by, "confirming person");
    const recipient = code(request.recipient, "recipient");
    const iban = parseIban(request.iban);
    return this.store.write(async (write) => {
      const { trx, change, emit } = write;
      const row = await trx.selectFrom("offer").selectAll().where("id", "=", offerId).executeTakeFirst();
      if (!row) throw new SocialInsuranceError("OFFER_NOT_FOUND", `no offer ${offerId}`);
      const family = await trx
        .selectFrom("family_case")
        .selectAll()
        .where("mother_code", "=", row.mother_code)
        .executeTakeFirstOrThrow();
      const parents = [family.mother_code, family.father_code].filter((p): p is string => p !== null);
      // Not the offer's parent: the same answer as a missing offer would leak who has children.
      if (!parents.includes(by)) throw new SocialInsuranceError("OFFER_NOT_FOUND", `no offer ${offerId}`);
      if (!parents.includes(recipient))
        throw new SocialInsuranceError("NOT_A_PARENT", "the benefits are paid to the child's mother or father");
      // Confirmed once, unless the parent it named has died since: then a parent names who receives them now.
      if (row.status === "confirmed" && family.recipient_code !== null)
        throw new SocialInsuranceError("OFFER_ALREADY_CONFIRMED", `offer ${offerId} was confirmed ${row.confirmed_at}`);
      const now = at.toISOString();
      await trx
        .updateTable("offer")
        .set({ status: "confirmed", confirmed_at: now, confirmed_by: by })
        .where("id", "=", offerId)
        .execute();
      await trx
        .updateTable("family_case")
        .set({ recipient_code: recipient, iban, confirmed_at: now })
        .where("mother_code", "=", row.mother_code)
        .execute();
      // The childbirth allowance once, at the first confirmation (its line is of that month).
      const lines = (JSON.parse(row.lines) as BenefitLine[]).filter((l) => l.benefit === "childbirth-allowance");
      if (row.status !== "confirmed")
        for (const line of lines) await this.#schedule(trx, row.mother_code, recipient, iban, monthOf(now), line, now);
      // The months between the birth and the confirmation are owed too: the monthly run only
      // schedules the month it runs in, so without this a late confirmation would lose them.
      const receiving = { mother_code: row.mother_code, recipient_code: recipient, iban };
      const born = monthOf(parsePersonalCode(row.child_code).birthDate);
      for (let month = born; month < monthOf(now); month = nextMonth(month))
        await this.#scheduleFamilyMonth(write, receiving, month, at);
      const offer = { ...offerOf(row), status: "confirmed" as const, confirmedAt: now, confirmedBy: by };
      change({ entity: "offer", key: offerId, op: "upsert", data: offer });
      emit({ type: "offer.confirmed", data: { subjects: parents, offer: offerId, recipient } });
      return offer;
    }, at);
  }

  /**
   * Schedules a month's benefits for every confirmed family, once: a line already scheduled
   * is kept as it was (the run may be repeated after a crash). A child whose allowance was
   * paid the month before and is not now gets a `benefit.ended` notice. Returns the lines added.
   */
  async scheduleMonth(month: string, at = new Date()): Promise<number> {
    const families = await this.store.db
      .selectFrom("family_case")
      .selectAll()
      .where("recipient_code", "is not", null)
      .execute();
    let added = 0;
    for (const family of families)
      added += await this.store.write((write) => this.#scheduleFamilyMonth(write, family, month, at), at);
    return added;
  }

  /**
   * One family's benefits of MONTH, in the caller's transaction: each line scheduled once, and a
   * child whose allowance stopped gets its `benefit.ended` notice. Answers the lines added.
   */
  async #scheduleFamilyMonth(
    { trx, emit }: MemberWrite<SocialInsuranceDb>,
    family: Pick<FamilyCaseTable, "mother_code" | "recipient_code" | "iban">,
    month: string,
    at: Date,
  ): Promise<number> {
    const children = await this.#livingChildren(trx, family.mother_code, `${month}-01`);
    const { lines } = monthlyEntitlement(children, month);
    let count = 0;
    for (const line of lines)
      count += await this.#schedule(
        trx,
        family.mother_code,
        family.recipient_code!,
        family.iban!,
        month,
        line,
        at.toISOString(),
      );
    // A child who had the allowance and no longer has it (16, 19, a death): one notice.
    const ended = await trx
      .selectFrom("family_child")
      .innerJoin("payment", "payment.child_code", "family_child.child_code")
      .select("family_child.child_code")
      .distinct()
      .where("family_child.mother_code", "=", family.mother_code)
      .where("family_child.ended_month", "is", null)
      .where("payment.benefit", "=", "child-allowance")
      .where("payment.month", "<", month)
      .execute();
    const receiving = new Set(lines.map((l) => l.child));
    for (const { child_code } of ended.filter((e) => !receiving.has(e.child_code))) {
      await trx.updateTable("family_child").set({ ended_month: month }).where("child_code", "=", child_code).execute();
      emit({
        type: "benefit.ended",
        data: { subjects: [family.recipient_code, child_code], child: child_code, month },
      });
    }
    return count;
  }

  async offersOf(parent: string): Promise<Offer[]> {
    const person = code(parent, "parent");
    const rows = await this.store.db
      .selectFrom("offer")
      .innerJoin("family_case", "family_case.mother_code", "offer.mother_code")
      .selectAll("offer")
      .select("family_case.recipient_code")
      .where((eb) => eb.or([eb("family_case.mother_code", "=", person), eb("family_case.father_code", "=", person)]))
      .orderBy("offer.created_at", "desc")
      .execute();
    // A confirmed offer whose receiving parent has died waits for a new confirmation.
    return rows.map(({ recipient_code, ...row }) =>
      row.status === "confirmed" && recipient_code === null
        ? { ...offerOf(row), status: "offered" as const }
        : offerOf(row),
    );
  }

  async paymentsOf(recipient: string): Promise<Payment[]> {
    const rows = await this.store.db
      .selectFrom("payment")
      .selectAll()
      .where("recipient_code", "=", code(recipient, "recipient"))
      .orderBy("month")
      .orderBy("line_key")
      .execute();
    return rows.map(paymentOf);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** The mother's children alive on a day, for the rules. */
  async #livingChildren(trx: Transaction<SocialInsuranceDb>, mother: string, day: string) {
    const rows = await trx
      .selectFrom("family_child")
      .select(["child_code", "died_on"])
      .where("mother_code", "=", mother)
      .execute();
    return rows.filter((r) => r.died_on === null || r.died_on >= day).map((r) => ({ personalCode: r.child_code }));
  }

  async #schedule(
    trx: Transaction<SocialInsuranceDb>,
    mother: string,
    recipient: string,
    iban: string,
    month: string,
    line: BenefitLine,
    now: string,
  ): Promise<number> {
    const inserted = await trx
      .insertInto("payment")
      .values({
        line_key: `${mother}:${line.benefit}:${line.child ?? "family"}:${month}`,
        mother_code: mother,
        recipient_code: recipient,
        iban,
        child_code: line.child ?? null,
        benefit: line.benefit,
        month,
        amount_cents: line.amountCents,
        why: line.why,
        rules_from: line.rules.effectiveFrom,
        scheduled_at: now,
      })
      .onConflict((c) => c.column("line_key").doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0);
  }
}

export async function openSocialInsuranceBoard(location: {
  dataDir: string;
  url?: string;
  schema?: string;
}): Promise<SocialInsuranceBoard> {
  const store = await openMemberStorage<SocialInsuranceDb>({
    component: SOCIAL_INSURANCE_COMPONENT,
    migrations: socialInsuranceMigrations,
    ...location,
  });
  return new SocialInsuranceBoard(store);
}
