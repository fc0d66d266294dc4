// The Board's register on the kit's storage: declarations taken once each (by the payer's own
// id; a later one for the same payer and period replaces the earlier, as a corrected TSD does),
// their lines per person, the persons checked against the population register, and the
// returns: corrected line by line, confirmed once, the refund scheduled in the same
// transaction. Every write is journalled, and its events queued, in that transaction.
import { canonicalJson, parseIban as checkIban, PersonalCodeError, parsePersonalCode, sha256, toHex } from "@riik/core";
import { type MemberStorage, type MemberWrite, openMemberStorage } from "@riik/kit";
import type { Kysely, Selectable, Transaction } from "kysely";
import { TaxBoardError } from "../errors.ts";
import { payerCode, senderIsPayer } from "../model/payer.ts";
import type { Resident } from "../population/population-source.ts";
import { CORRECTABLE, computeReturn, type ReturnInput, type TaxReturn } from "../rules/income-tax-return.ts";
import { rulesFor } from "../rules/tax-years.ts";
import {
  type DeclarationKind,
  type PayrollLineTable,
  TAX_BOARD_COMPONENT,
  type TaxBoardDb,
  taxBoardMigrations,
  type YearLineTable,
} from "./schema.ts";

/** One employee's month as the employer declares it (TSD annex 1), in cents. */
export interface PayrollEntry {
  personalCode: string;
  grossCents: number;
  incomeTaxWithheldCents: number;
  socialTaxCents: number;
  unemploymentInsuranceEmployeeCents: number;
  unemploymentInsuranceEmployerCents: number;
  fundedPensionCents: number;
}

export interface PayrollDeclaration {
  declarationId: string;
  payer: string;
  /** YYYY-MM. */
  month: string;
  employees: PayrollEntry[];
}

/** A bank's housing-loan interest or a pension fund's III pillar contributions for a year. */
export interface YearDeclaration {
  declarationId: string;
  payer: string;
  year: number;
  persons: Array<{ personalCode: string; amountCents: number }>;
}

export interface Receipt {
  declarationId: string;
  payer: string;
  kind: DeclarationKind;
  period: string;
  lines: number;
  receivedAt: string;
  /** True when this id was received before with the same content: nothing was written again. */
  replayed: boolean;
  /** Earlier declarations of the same payer and period this one replaced. */
  replaced: string[];
  /** Persons not yet confirmed by the population register: their lines are held unmatched until then. */
  unconfirmedPersons: number;
  /** Persons the register does not know: their lines count for no one's return. */
  unknownPersons: string[];
}

export interface ReturnView {
  status: "open" | "confirmed";
  taxReturn: TaxReturn;
  refund: { amountCents: number; iban: string; status: string } | null;
  dueCents: number;
  confirmedAt: string | null;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const CHUNK = 400;

function personal(text: string, what: string): string {
  try {
    return parsePersonalCode(text).code;
  } catch (error) {
    if (error instanceof PersonalCodeError)
      throw new TaxBoardError("PERSONAL_CODE_INVALID", `${what}: ${error.message}`);
    throw error;
  }
}

function parseIban(text: string): string {
  try {
    return checkIban(text);
  } catch (error) {
    throw new TaxBoardError("IBAN_INVALID", error instanceof Error ? error.message : String(error));
  }
}

function cents(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new TaxBoardError("DECLARATION_INVALID", `${what} must be a whole number of cents, 0 or more`);
  return value;
}

/** The instant a year's returns open: 15 February of the next year, 00:00 in Estonia (EET, UTC+2, in February). */
export function returnsOpen(year: number): Date {
  return new Date(Date.UTC(year + 1, 1, 14, 22));
}

/** RULES_NOT_IN_FORCE for an unknown year, RETURN_NOT_OPEN before its 15 February. */
export function assertOpen(year: number, now: Date): void {
  rulesFor(year);
  const opens = returnsOpen(year);
  if (now < opens)
    throw new TaxBoardError("RETURN_NOT_OPEN", `the ${year} return opens on ${year + 1}-02-15`, {
      details: { opensAt: opens.toISOString() },
    });
}

async function insertChunked<T extends keyof TaxBoardDb & string>(
  trx: Transaction<TaxBoardDb> | Kysely<TaxBoardDb>,
  table: T,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK)
    await trx
      .insertInto(table)
      .values(rows.slice(i, i + CHUNK) as any)
      .execute();
}

function byPerson<T extends { person_code: string }>(rows: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const list = map.get(row.person_code);
    if (list) list.push(row);
    else map.set(row.person_code, [row]);
  }
  return map;
}

/** A person's stored lines as the rules take them (bigint columns may come back as strings). */
function returnInput(
  year: number,
  personalCode: string,
  payroll: readonly Selectable<PayrollLineTable>[],
  yearLines: readonly Selectable<YearLineTable>[],
  corrections: readonly { line_key: string; amount_cents: number }[],
  children: Resident["children"],
): ReturnInput {
  const amounts = (kind: DeclarationKind) =>
    yearLines
      .filter((l) => l.kind === kind)
      .map((l) => ({ payer: l.payer, declarationId: l.declaration_id, amountCents: Number(l.amount_cents) }));
  return {
    year,
    personalCode,
    payroll: payroll.map((l) => ({
      payer: l.payer,
      declarationId: l.declaration_id,
      month: l.month,
      grossCents: Number(l.gross_cents),
      incomeTaxWithheldCents: Number(l.income_tax_cents),
      unemploymentInsuranceCents: Number(l.unemployment_employee_cents),
      fundedPensionCents: Number(l.funded_pension_cents),
    })),
    housingLoanInterest: amounts("housing-loan-interest"),
    voluntaryPension: amounts("voluntary-pension"),
    children,
    corrections: Object.fromEntries(corrections.map((c) => [c.line_key, Number(c.amount_cents)])),
  };
}

/**
 * A row this write meant to insert was committed by a concurrent write since this one read
 * (PostgreSQL, read committed): this one is rolled back and runs again, and then sees that row.
 */
class WrittenMeanwhile extends Error {}

export class TaxBoard {
  constructor(readonly store: MemberStorage<TaxBoardDb>) {}

  /** A write, run again while it meets WrittenMeanwhile: each round sees one more committed row, so it ends. */
  async #write<T>(work: (write: MemberWrite<TaxBoardDb>) => Promise<T>, at: Date): Promise<T> {
    for (;;)
      try {
        return await this.store.write(work, at);
      } catch (error) {
        if (!(error instanceof WrittenMeanwhile)) throw error;
      }
  }

  /** An employer's month (TSD annex 1), from the X-Road client `client`, which must be the payer. */
  async declarePayroll(client: string | undefined, declaration: PayrollDeclaration, at = new Date()): Promise<Receipt> {
    const payer = payerCode(declaration.payer);
    const sender = senderIsPayer(client, payer);
    const match = MONTH.exec(declaration.month);
    if (!match || declaration.month > at.toISOString().slice(0, 7))
      throw new TaxBoardError(
        "DECLARATION_INVALID",
        `month ${declaration.month} must be YYYY-MM and not in the future`,
      );
    const seen = new Set<string>();
    const rows = declaration.employees.map((e, i) => {
      const person = personal(e.personalCode, `employees[${i}].personalCode`);
      if (seen.has(person))
        throw new TaxBoardError("DECLARATION_INVALID", `employees[${i}]: ${person} is declared twice in one month`);
      seen.add(person);
      const what = (field: string) => `employees[${i}].${field}`;
      const row = {
        payer,
        month: declaration.month,
        person_code: person,
        declaration_id: declaration.declarationId,
        gross_cents: cents(e.grossCents, what("grossCents")),
        income_tax_cents: cents(e.incomeTaxWithheldCents, what("incomeTaxWithheldCents")),
        social_tax_cents: cents(e.socialTaxCents, what("socialTaxCents")),
        unemployment_employee_cents: cents(
          e.unemploymentInsuranceEmployeeCents,
          what("unemploymentInsuranceEmployeeCents"),
        ),
        unemployment_employer_cents: cents(
          e.unemploymentInsuranceEmployerCents,
          what("unemploymentInsuranceEmployerCents"),
        ),
        funded_pension_cents: cents(e.fundedPensionCents, what("fundedPensionCents")),
      };
      // What is withheld comes out of the gross wage.
      if (row.income_tax_cents + row.unemployment_employee_cents + row.funded_pension_cents > row.gross_cents)
        throw new TaxBoardError(
          "DECLARATION_INVALID",
          `employees[${i}]: income tax, unemployment insurance and funded pension withheld exceed the gross wage`,
        );
      return row;
    });
    return this.#receive("payroll", declaration.month, sender, { ...declaration, payer }, rows, at);
  }

  /** A bank's housing-loan interest or a fund's III pillar contributions for a year. */
  async declareYear(
    kind: Exclude<DeclarationKind, "payroll">,
    client: string | undefined,
    declaration: YearDeclaration,
    at = new Date(),
  ): Promise<Receipt> {
    const payer = payerCode(declaration.payer);
    const sender = senderIsPayer(client, payer);
    if (!Number.isInteger(declaration.year) || declaration.year > at.getUTCFullYear())
      throw new TaxBoardError("DECLARATION_INVALID", `year ${declaration.year} must not be in the future`);
    const seen = new Set<string>();
    const rows = declaration.persons.map((p, i) => {
      const person = personal(p.personalCode, `persons[${i}].personalCode`);
      if (seen.has(person))
        throw new TaxBoardError("DECLARATION_INVALID", `persons[${i}]: ${person} is declared twice`);
      seen.add(person);
      return {
        kind,
        payer,
        year: declaration.year,
        person_code: person,
        declaration_id: declaration.declarationId,
        amount_cents: cents(p.amountCents, `persons[${i}].amountCents`),
      };
    });
    return this.#receive(kind, String(declaration.year), sender, { ...declaration, payer }, rows, at);
  }

  async #receive(
    kind: DeclarationKind,
    period: string,
    client: string,
    declaration: { declarationId: string; payer: string },
    rows: Array<{ person_code: string } & Record<string, unknown>>,
    at: Date,
  ): Promise<Receipt> {
    const { declarationId, payer } = declaration;
    const hash = toHex(sha256(canonicalJson({ kind, ...declaration })));
    const persons = [...new Set(rows.map((r) => r.person_code))];
    // Two declarations of a payer's period at once (a retry, or two corrections): the second one's
    // insert waits for the first (declaration_current) and runs again, a replay or a replacement.
    return this.#write(async ({ trx, change }) => {
      const existing = await trx
        .selectFrom("declaration")
        .selectAll()
        .where("payer", "=", payer)
        .where("declaration_id", "=", declarationId)
        .executeTakeFirst();
      if (existing) {
        if (existing.content_hash !== hash || existing.kind !== kind)
          throw new TaxBoardError(
            "DECLARATION_CONFLICT",
            `declaration ${declarationId} of ${payer} was received ${existing.received_at} with other content; send a correction under a new id`,
          );
        return { ...(await this.#receipt(trx, existing.payer, existing.declaration_id)), replayed: true };
      }
      // A later declaration of the same payer, kind and period replaces the earlier one whole.
      const earlier = await trx
        .selectFrom("declaration")
        .select("declaration_id")
        .where("payer", "=", payer)
        .where("kind", "=", kind)
        .where("period", "=", period)
        .where("replaced_by", "is", null)
        .execute();
      if (earlier.length > 0) {
        await trx
          .updateTable("declaration")
          .set({ replaced_by: declarationId })
          .where("payer", "=", payer)
          .where("kind", "=", kind)
          .where("period", "=", period)
          .where("replaced_by", "is", null)
          .execute();
        if (kind === "payroll")
          await trx.deleteFrom("payroll_line").where("payer", "=", payer).where("month", "=", period).execute();
        else
          await trx
            .deleteFrom("year_line")
            .where("kind", "=", kind)
            .where("payer", "=", payer)
            .where("year", "=", Number(period))
            .execute();
      }
      const received = await trx
        .insertInto("declaration")
        .values({
          payer,
          declaration_id: declarationId,
          kind,
          period,
          content_hash: hash,
          client,
          lines: rows.length,
          received_at: at.toISOString(),
          replaced_by: null,
        })
        .onConflict((c) => c.doNothing())
        .executeTakeFirst();
      if (Number(received.numInsertedOrUpdatedRows ?? 0) === 0) throw new WrittenMeanwhile();
      await insertChunked(trx, kind === "payroll" ? "payroll_line" : "year_line", rows);
      for (let i = 0; i < persons.length; i += CHUNK)
        await trx
          .insertInto("person_check")
          .values(persons.slice(i, i + CHUNK).map((p) => ({ person_code: p, status: "pending", checked_at: null })))
          .onConflict((c) => c.column("person_code").doNothing())
          .execute();
      change({
        entity: "declaration",
        key: `${payer}/${declarationId}`,
        op: "upsert",
        data: { kind, period, ...declaration },
      });
      return {
        ...(await this.#receipt(trx, payer, declarationId)),
        replaced: earlier.map((e) => e.declaration_id),
      };
    }, at);
  }

  /** A declaration as received, with its persons' match against the population register. */
  async declaration(payer: string, declarationId: string): Promise<Receipt | undefined> {
    const found = await this.store.db
      .selectFrom("declaration")
      .select("payer")
      .where("payer", "=", payer)
      .where("declaration_id", "=", declarationId)
      .executeTakeFirst();
    return found ? this.#receipt(this.store.db, payer, declarationId) : undefined;
  }

  async #receipt(db: Kysely<TaxBoardDb> | Transaction<TaxBoardDb>, payer: string, id: string): Promise<Receipt> {
    const row = await db
      .selectFrom("declaration")
      .selectAll()
      .where("payer", "=", payer)
      .where("declaration_id", "=", id)
      .executeTakeFirstOrThrow();
    const table = row.kind === "payroll" ? "payroll_line" : "year_line";
    const checks = await db
      .selectFrom(`${table} as l` as "payroll_line as l")
      .innerJoin("person_check as c", "c.person_code", "l.person_code")
      .select(["c.person_code", "c.status"])
      .where("l.payer", "=", payer)
      .where("l.declaration_id", "=", id)
      .where("c.status", "!=", "found")
      .execute();
    return {
      declarationId: id,
      payer,
      kind: row.kind as DeclarationKind,
      period: row.period,
      lines: Number(row.lines),
      receivedAt: row.received_at,
      replayed: false,
      replaced: [],
      unconfirmedPersons: checks.filter((c) => c.status === "pending").length,
      unknownPersons: checks
        .filter((c) => c.status === "unknown")
        .map((c) => c.person_code)
        .sort(),
    };
  }

  /** Persons named in declarations that the population register has not been asked about yet. */
  async pendingPersons(limit = 100): Promise<string[]> {
    const rows = await this.store.db
      .selectFrom("person_check")
      .select("person_code")
      .where("status", "=", "pending")
      .orderBy("person_code")
      .limit(limit)
      .execute();
    return rows.map((r) => r.person_code);
  }

  /** The register's answer for a person: their lines are matched, or held as for an unknown person. */
  async recordPersonCheck(personalCode: string, found: boolean, at = new Date()): Promise<void> {
    await this.store.write(async ({ trx, change }) => {
      const status = found ? "found" : "unknown";
      await trx
        .updateTable("person_check")
        .set({ status, checked_at: at.toISOString() })
        .where("person_code", "=", personalCode)
        .execute();
      change({ entity: "person_check", key: personalCode, op: "upsert", data: { status } });
    }, at);
  }

  /** What a person's return is computed from, read in `db` (the confirmation's transaction). */
  async #input(
    db: Kysely<TaxBoardDb> | Transaction<TaxBoardDb>,
    year: number,
    resident: Resident,
  ): Promise<ReturnInput> {
    const code = resident.personalCode;
    const payroll = await db
      .selectFrom("payroll_line")
      .selectAll()
      .where("person_code", "=", code)
      .where("month", ">=", `${year}-01`)
      .where("month", "<=", `${year}-12`)
      .orderBy("payer")
      .orderBy("month")
      .execute();
    const yearLines = await db
      .selectFrom("year_line")
      .selectAll()
      .where("person_code", "=", code)
      .where("year", "=", year)
      .orderBy("payer")
      .execute();
    const corrections = await db
      .selectFrom("correction")
      .select(["line_key", "amount_cents"])
      .where("year", "=", year)
      .where("person_code", "=", code)
      .execute();
    // § 23²: a child is claimed by one parent; one the other parent already claimed is left out.
    const claimed = await db
      .selectFrom("claimed_child")
      .select("child_code")
      .where("year", "=", year)
      .where("parent_code", "!=", code)
      .where("child_code", "in", resident.children.length > 0 ? resident.children.map((c) => c.personalCode) : [""])
      .execute();
    const taken = new Set(claimed.map((c) => c.child_code));
    return returnInput(
      year,
      code,
      payroll,
      yearLines,
      corrections,
      resident.children.filter((c) => !taken.has(c.personalCode)),
    );
  }

  /**
   * Every pre-filled return of a year straight from the store (the run on 15 February, the
   * bench): the persons the register confirmed, in code order, `chunkSize` at a time, each
   * chunk's lines read in one range query per table rather than four queries per person.
   * Computed as `taxReturn` computes one; a confirmed return as confirmed. `children` answers
   * for the register (§ 23²); without it no one has children.
   */
  async *preFilledReturns(
    year: number,
    options: { chunkSize?: number; children?: (personalCode: string) => Resident["children"] } = {},
  ): AsyncGenerator<TaxReturn> {
    rulesFor(year);
    const chunkSize = options.chunkSize ?? 1000;
    const db = this.store.db;
    for (let after = ""; ; ) {
      // Paged by the key alone: with `status = 'found'` in the query SQLite takes the status index
      // and sorts every found person again for each chunk.
      const chunk = await db
        .selectFrom("person_check")
        .select(["person_code", "status"])
        .where("person_code", ">", after)
        .orderBy("person_code")
        .limit(chunkSize)
        .execute();
      if (chunk.length === 0) return;
      const first = chunk[0]!.person_code;
      const last = chunk.at(-1)!.person_code;
      after = last;
      const persons = chunk.filter((p) => p.status === "found").map((p) => p.person_code);
      // Lines of pending or unknown persons in the range are read too and left unused.
      const [payroll, yearLines, corrections, confirmed] = await Promise.all([
        db
          .selectFrom("payroll_line")
          .selectAll()
          .where("person_code", ">=", first)
          .where("person_code", "<=", last)
          .where("month", ">=", `${year}-01`)
          .where("month", "<=", `${year}-12`)
          .orderBy("person_code")
          .orderBy("payer")
          .orderBy("month")
          .execute()
          .then(byPerson),
        db
          .selectFrom("year_line")
          .selectAll()
          .where("person_code", ">=", first)
          .where("person_code", "<=", last)
          .where("year", "=", year)
          .orderBy("person_code")
          .orderBy("payer")
          .execute()
          .then(byPerson),
        db
          .selectFrom("correction")
          .select(["person_code", "line_key", "amount_cents"])
          .where("year", "=", year)
          .where("person_code", ">=", first)
          .where("person_code", "<=", last)
          .execute()
          .then(byPerson),
        db
          .selectFrom("tax_return")
          .select(["person_code", "content"])
          .where("year", "=", year)
          .where("person_code", ">=", first)
          .where("person_code", "<=", last)
          .execute()
          .then((rows) => new Map(rows.map((r) => [r.person_code, r.content]))),
      ]);
      const children = new Map(persons.map((p) => [p, options.children?.(p) ?? []]));
      const asked = [...children.values()].flat().map((c) => c.personalCode);
      const claims =
        asked.length === 0
          ? []
          : await db
              .selectFrom("claimed_child")
              .select(["child_code", "parent_code"])
              .where("year", "=", year)
              .where("child_code", "in", asked)
              .execute();
      const claimedBy = new Map(claims.map((c) => [c.child_code, c.parent_code]));
      for (const code of persons) {
        const stored = confirmed.get(code);
        if (stored) {
          yield JSON.parse(stored) as TaxReturn;
          continue;
        }
        yield computeReturn(
          returnInput(
            year,
            code,
            payroll.get(code) ?? [],
            yearLines.get(code) ?? [],
            corrections.get(code) ?? [],
            children.get(code)!.filter((c) => (claimedBy.get(c.personalCode) ?? code) === code),
          ),
        );
      }
    }
  }

  /** The person's return: as confirmed, or pre-filled from the declarations now (from 15 February). */
  async taxReturn(year: number, resident: Resident, now = new Date()): Promise<ReturnView> {
    assertOpen(year, now);
    const code = resident.personalCode;
    const confirmed = await this.store.db
      .selectFrom("tax_return")
      .selectAll()
      .where("year", "=", year)
      .where("person_code", "=", code)
      .executeTakeFirst();
    if (confirmed) {
      const refund = await this.store.db
        .selectFrom("refund")
        .selectAll()
        .where("year", "=", year)
        .where("person_code", "=", code)
        .executeTakeFirst();
      const taxReturn = JSON.parse(confirmed.content) as TaxReturn;
      return {
        status: "confirmed",
        taxReturn,
        refund: refund ? { amountCents: Number(refund.amount_cents), iban: refund.iban, status: refund.status } : null,
        dueCents: Math.max(0, -taxReturn.balanceCents),
        confirmedAt: confirmed.confirmed_at,
      };
    }
    const taxReturn = computeReturn(await this.#input(this.store.db, year, resident));
    return {
      status: "open",
      taxReturn,
      refund: null,
      dueCents: Math.max(0, -taxReturn.balanceCents),
      confirmedAt: null,
    };
  }

  /** The person's own figure for a correctable line, until the return is confirmed. */
  async correct(
    year: number,
    resident: Resident,
    line: string,
    amountCents: number,
    now = new Date(),
  ): Promise<ReturnView> {
    assertOpen(year, now);
    if (!CORRECTABLE.test(line))
      throw new TaxBoardError(
        "LINE_NOT_CORRECTABLE",
        `line ${JSON.stringify(line)} cannot be corrected; training, interest:<bank> and pension:<fund> can`,
      );
    cents(amountCents, "amountCents");
    const code = resident.personalCode;
    await this.store.write(async ({ trx, change }) => {
      await this.#notConfirmed(trx, year, code);
      await trx
        .insertInto("correction")
        .values({ year, person_code: code, line_key: line, amount_cents: amountCents, corrected_at: now.toISOString() })
        .onConflict((c) =>
          c
            .columns(["year", "person_code", "line_key"])
            .doUpdateSet({ amount_cents: amountCents, corrected_at: now.toISOString() }),
        )
        .execute();
      change({ entity: "correction", key: `${year}/${code}/${line}`, op: "upsert", data: { amountCents } });
    }, now);
    return this.taxReturn(year, resident, now);
  }

  async #notConfirmed(trx: Transaction<TaxBoardDb>, year: number, code: string): Promise<void> {
    const row = await trx
      .selectFrom("tax_return")
      .select("confirmed_at")
      .where("year", "=", year)
      .where("person_code", "=", code)
      .executeTakeFirst();
    if (row)
      throw new TaxBoardError(
        "RETURN_ALREADY_CONFIRMED",
        `the ${year} return of ${code} was confirmed ${row.confirmed_at}`,
      );
  }

  /**
   * The person confirms the return as it stands: it is stored as computed in this transaction,
   * the refund (if any) is scheduled to `iban`, the children it claims are taken; once only.
   */
  async confirm(year: number, resident: Resident, request: { iban: string }, now = new Date()): Promise<ReturnView> {
    assertOpen(year, now);
    const iban = parseIban(request.iban);
    const code = resident.personalCode;
    await this.#write(async ({ trx, change, emit }) => {
      const taxReturn = computeReturn(await this.#input(trx, year, resident));
      // The insert is the guard: a second confirmation, even a concurrent one, inserts nothing.
      const inserted = await trx
        .insertInto("tax_return")
        .values({
          year,
          person_code: code,
          content: JSON.stringify(taxReturn),
          tax_cents: taxReturn.taxCents,
          withheld_cents: taxReturn.withheldCents,
          balance_cents: taxReturn.balanceCents,
          confirmed_at: now.toISOString(),
        })
        .onConflict((c) => c.columns(["year", "person_code"]).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) await this.#notConfirmed(trx, year, code);
      change({ entity: "tax_return", key: `${year}/${code}`, op: "upsert", data: taxReturn });
      const children = taxReturn.lines.flatMap((l) =>
        l.source.kind === "population-register" ? l.source.children : [],
      );
      // § 23²: a child the other parent's confirmation claimed after this one read the claims (both
      // at once) is claimed by them; this one is computed again without it. In one order whoever
      // confirms, so two parents' claims wait on each other and never deadlock.
      for (const child of [...children].sort()) {
        const claim = await trx
          .insertInto("claimed_child")
          .values({ year, child_code: child, parent_code: code })
          .onConflict((c) => c.columns(["year", "child_code"]).doNothing())
          .executeTakeFirst();
        if (Number(claim.numInsertedOrUpdatedRows ?? 0) === 0) throw new WrittenMeanwhile();
      }
      if (taxReturn.balanceCents > 0) {
        await trx
          .insertInto("refund")
          .values({
            year,
            person_code: code,
            amount_cents: taxReturn.balanceCents,
            iban,
            scheduled_at: now.toISOString(),
            status: "scheduled",
          })
          .execute();
        change({
          entity: "refund",
          key: `${year}/${code}`,
          op: "upsert",
          data: { amountCents: taxReturn.balanceCents, iban },
        });
      }
      emit({
        type: "tax-return.confirmed",
        data: { subjects: [code], year, balanceCents: taxReturn.balanceCents },
      });
    }, now);
    return this.taxReturn(year, resident, now);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export async function openTaxBoard(location: { dataDir: string; url?: string; schema?: string }): Promise<TaxBoard> {
  const store = await openMemberStorage<TaxBoardDb>({
    component: TAX_BOARD_COMPONENT,
    migrations: taxBoardMigrations,
    ...location,
  });
  return new TaxBoard(store);
}
