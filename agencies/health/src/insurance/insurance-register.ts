// The health insurance fund's register (Tervisekassa, 74000091): periods in which a person is
// insured (Health Insurance Act § 5: employees, pensioners, children, the registered unemployed
// and others, each from a basis), answering "is this person insured today" — the ID card is
// the insurance card. Its own member and storage, served by insurance-service.ts.
import { PersonalCodeError, parsePersonalCode, RiikError } from "@riik/core";
import {
  type ChangeJournalDb,
  type ComponentMigration,
  changeJournalMigration,
  type MemberStorage,
  openMemberStorage,
} from "@riik/kit";

export type InsuranceErrorCode = "PERSONAL_CODE_INVALID" | "PERIOD_INVALID";
export class InsuranceError extends RiikError<InsuranceErrorCode> {}
export const INSURANCE_ERRORS = {
  PERSONAL_CODE_INVALID: { status: 400 },
  PERIOD_INVALID: { status: 400 },
} as const;

/** The grounds of Health Insurance Act § 5 riik records. */
export const INSURANCE_BASES = ["employment", "pension", "child", "unemployment", "student", "other"] as const;
export type InsuranceBasis = (typeof INSURANCE_BASES)[number];

export interface InsurancePeriod {
  personalCode: string;
  basis: InsuranceBasis;
  /** YYYY-MM-DD, inclusive. */
  start: string;
  /** YYYY-MM-DD, inclusive; null while it lasts. */
  end: string | null;
}

export interface InsuranceAnswer {
  personalCode: string;
  on: string;
  insured: boolean;
  /** The period that covers the day, if any. */
  period: InsurancePeriod | null;
}

interface InsurancePeriodTable {
  personal_code: string;
  basis: string;
  start: string;
  end: string | null;
}
interface InsuranceDb extends ChangeJournalDb {
  insurance_period: InsurancePeriodTable;
}

const migrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_insurance_periods": {
    async up(db) {
      await db.schema
        .createTable("insurance_period")
        .addColumn("personal_code", "text", (c) => c.notNull())
        .addColumn("basis", "text", (c) => c.notNull())
        .addColumn("start", "text", (c) => c.notNull())
        .addColumn("end", "text")
        .addPrimaryKeyConstraint("insurance_period_pk", ["personal_code", "basis", "start"])
        .execute();
    },
  },
};

const DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const codeOf = (text: string) => {
  try {
    return parsePersonalCode(text.replace(/^EE/, "")).code;
  } catch (error) {
    if (error instanceof PersonalCodeError) throw new InsuranceError("PERSONAL_CODE_INVALID", error.message);
    throw error;
  }
};
const periodOf = (row: InsurancePeriodTable): InsurancePeriod => ({
  personalCode: row.personal_code,
  basis: row.basis as InsuranceBasis,
  start: row.start,
  end: row.end,
});

export class InsuranceRegister {
  constructor(readonly store: MemberStorage<InsuranceDb>) {}

  /** Records a period (one per person, basis and start; recorded again, its end is updated). */
  async record(period: InsurancePeriod, at = new Date()): Promise<InsurancePeriod> {
    const [recorded] = await this.recordAll([period], at);
    return recorded!;
  }

  /** Records periods in one transaction: all of them or, if one is invalid, none. */
  async recordAll(periods: readonly InsurancePeriod[], at = new Date()): Promise<InsurancePeriod[]> {
    const rows = periods.map((period) => {
      if (!DAY.test(period.start) || (period.end !== null && (!DAY.test(period.end) || period.end < period.start)))
        throw new InsuranceError("PERIOD_INVALID", "a period is YYYY-MM-DD start to an end on or after it (or none)");
      return { personal_code: codeOf(period.personalCode), basis: period.basis, start: period.start, end: period.end };
    });
    await this.store.write(async ({ trx, change }) => {
      for (const row of rows) {
        await trx
          .insertInto("insurance_period")
          .values(row)
          .onConflict((c) => c.columns(["personal_code", "basis", "start"]).doUpdateSet({ end: row.end }))
          .execute();
        change({
          entity: "insurance_period",
          key: `${row.personal_code}:${row.basis}:${row.start}`,
          op: "upsert",
          data: row,
        });
      }
    }, at);
    return rows.map(periodOf);
  }

  /** Whether the person is insured on a day (today by default). */
  async insuredOn(personalCode: string, day = new Date().toISOString().slice(0, 10)): Promise<InsuranceAnswer> {
    const code = codeOf(personalCode);
    const row = await this.store.db
      .selectFrom("insurance_period")
      .selectAll()
      .where("personal_code", "=", code)
      .where("start", "<=", day)
      .where((eb) => eb.or([eb("end", "is", null), eb("end", ">=", day)]))
      .orderBy("start", "desc")
      .executeTakeFirst();
    return { personalCode: code, on: day, insured: row !== undefined, period: row ? periodOf(row) : null };
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export const INSURANCE_COMPONENT = "health_insurance";

export async function openInsuranceRegister(location: {
  dataDir: string;
  url?: string;
  schema?: string;
}): Promise<InsuranceRegister> {
  return new InsuranceRegister(
    await openMemberStorage<InsuranceDb>({ component: INSURANCE_COMPONENT, migrations, ...location }),
  );
}
