// Fills an empty Board with a year of declarations for the synthetic population: one payroll
// declaration per employer and month (TSD annex 1), one interest declaration per bank and one
// contributions declaration per fund, all in one transaction (a seed is all there or not at
// all), every line journalled. The persons come from the population register (the integrator
// passes its personal codes), so they are marked found there.
import { sql } from "kysely";
import { TaxBoardError } from "../errors.ts";
import { openTaxBoard } from "../storage/board.ts";
import { defaultEmployers, type SyntheticOptions, syntheticYear } from "./synthetic-year.ts";

export interface SeedTaxYearOptions extends SyntheticOptions {
  dataDir: string;
  url?: string;
  schema?: string;
  /** The persons of the population register (personal codes); the working-age ones get wages. */
  persons: Iterable<string>;
  /** Persons drawn and written at a time; default 10,000. */
  chunkSize?: number;
  onProgress?: (persons: number) => void;
  /** When the declarations were received; default 10 January of the next year. */
  receivedAt?: Date;
}

export interface SeedTaxYearResult {
  persons: number;
  employed: number;
  payrollLines: number;
  interestLines: number;
  pensionLines: number;
  declarations: number;
}

const CHUNK = 400;

export async function seedTaxYear(options: SeedTaxYearOptions): Promise<SeedTaxYearResult> {
  const { year } = options;
  const board = await openTaxBoard({
    dataDir: options.dataDir,
    ...(options.url ? { url: options.url } : {}),
    ...(options.schema ? { schema: options.schema } : {}),
  });
  const at = (options.receivedAt ?? new Date(Date.UTC(year + 1, 0, 10))).toISOString();
  const persons = [...options.persons];
  const employers = options.employers ?? defaultEmployers(persons.length);
  const result: SeedTaxYearResult = {
    persons: 0,
    employed: 0,
    payrollLines: 0,
    interestLines: 0,
    pensionLines: 0,
    declarations: 0,
  };
  try {
    await board.store.write(async ({ trx, change }) => {
      const any = await trx.selectFrom("declaration").select("payer").limit(1).executeTakeFirst();
      if (any)
        throw new TaxBoardError(
          "DECLARATION_CONFLICT",
          "the Board already holds declarations; seed only an empty Board",
        );
      const declarations = new Map<string, { kind: string; period: string; lines: number }>();
      const count = (payer: string, id: string, kind: string, period: string) => {
        const key = `${payer}\u0000${id}`;
        const seen = declarations.get(key);
        if (seen) seen.lines++;
        else declarations.set(key, { kind, period, lines: 1 });
      };
      const chunkSize = options.chunkSize ?? 10_000;
      for (let start = 0; start < persons.length; start += chunkSize) {
        const payroll: Record<string, unknown>[] = [];
        const yearLines: Record<string, unknown>[] = [];
        const checks: Record<string, unknown>[] = [];
        for (const p of syntheticYear(persons.slice(start, start + chunkSize), { ...options, employers })) {
          result.persons++;
          checks.push({ person_code: p.personalCode, status: "found", checked_at: at });
          if (p.payroll.length > 0) result.employed++;
          for (const m of p.payroll) {
            payroll.push({
              payer: m.payer,
              month: m.month,
              person_code: p.personalCode,
              declaration_id: m.declarationId,
              gross_cents: m.grossCents,
              income_tax_cents: m.incomeTaxWithheldCents,
              social_tax_cents: m.socialTaxCents,
              unemployment_employee_cents: m.unemploymentInsuranceCents,
              unemployment_employer_cents: m.unemploymentInsuranceEmployerCents,
              funded_pension_cents: m.fundedPensionCents,
            });
            count(m.payer, m.declarationId, "payroll", m.month);
          }
          for (const [kind, prefix, claim] of [
            ["housing-loan-interest", "interest", p.housingLoanInterest],
            ["voluntary-pension", "pension", p.voluntaryPension],
          ] as const)
            if (claim) {
              const id = `${prefix}-${year}`;
              yearLines.push({
                kind,
                payer: claim.payer,
                year,
                person_code: p.personalCode,
                declaration_id: id,
                amount_cents: claim.amountCents,
              });
              count(claim.payer, id, kind, String(year));
            }
        }
        for (let i = 0; i < payroll.length; i += CHUNK)
          await trx
            .insertInto("payroll_line")
            .values(payroll.slice(i, i + CHUNK) as any)
            .execute();
        for (let i = 0; i < yearLines.length; i += CHUNK)
          await trx
            .insertInto("year_line")
            .values(yearLines.slice(i, i + CHUNK) as any)
            .execute();
        for (let i = 0; i < checks.length; i += CHUNK)
          await trx
            .insertInto("person_check")
            .values(checks.slice(i, i + CHUNK) as any)
            .onConflict((c) => c.column("person_code").doNothing())
            .execute();
        for (const row of payroll)
          change({
            entity: "payroll_line",
            key: `${row.payer}/${row.month}/${row.person_code}`,
            op: "upsert",
            data: row,
          });
        for (const row of yearLines)
          change({
            entity: "year_line",
            key: `${row.kind}/${row.payer}/${row.year}/${row.person_code}`,
            op: "upsert",
            data: row,
          });
        result.payrollLines += payroll.length;
        for (const row of yearLines) if (row.kind === "housing-loan-interest") result.interestLines++;
        result.pensionLines += yearLines.length - yearLines.filter((r) => r.kind === "housing-loan-interest").length;
        options.onProgress?.(result.persons);
      }
      const rows = [...declarations].map(([key, d]) => {
        const [payer, id] = key.split("\u0000") as [string, string];
        return {
          payer,
          declaration_id: id,
          kind: d.kind,
          period: d.period,
          content_hash: `seed:${options.seed ?? 1}`,
          client: `EE/COM/${payer}/seed`,
          lines: d.lines,
          received_at: at,
          replaced_by: null,
        };
      });
      for (let i = 0; i < rows.length; i += CHUNK)
        await trx
          .insertInto("declaration")
          .values(rows.slice(i, i + CHUNK))
          .execute();
      for (const row of rows)
        change({ entity: "declaration", key: `${row.payer}/${row.declaration_id}`, op: "upsert", data: row });
      result.declarations = rows.length;
    });
    if (board.store.dialect === "postgres") await sql`analyze`.execute(board.store.db);
    return result;
  } finally {
    await board.close();
  }
}
