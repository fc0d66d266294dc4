// The Board's tables: declarations as received (one row each, keyed by payer and the payer's own
// id), their lines per person, the persons checked against the population register, a person's
// corrections, the confirmed returns, the refunds scheduled and the children claimed (§ 23²).
import {
  type ChangeJournalDb,
  type ComponentMigration,
  changeJournalMigration,
  type EventOutboxDb,
  eventOutboxMigration,
} from "@riik/kit";
import { sql } from "kysely";

export type DeclarationKind = "payroll" | "housing-loan-interest" | "voluntary-pension";

export interface DeclarationTable {
  payer: string;
  /** The id the payer chose: a declaration sent again is recognised by it. */
  declaration_id: string;
  kind: string;
  /** YYYY-MM for payroll, YYYY for the yearly ones. */
  period: string;
  /** SHA-256 of the declaration's canonical JSON: the same id with other content is a conflict. */
  content_hash: string;
  /** The X-Road client it came from. */
  client: string;
  lines: number;
  received_at: string;
  /** The later declaration of the same payer and period that replaced it (a correction). */
  replaced_by: string | null;
}

export interface PayrollLineTable {
  payer: string;
  month: string;
  person_code: string;
  declaration_id: string;
  gross_cents: number;
  income_tax_cents: number;
  social_tax_cents: number;
  unemployment_employee_cents: number;
  unemployment_employer_cents: number;
  funded_pension_cents: number;
}

/** A bank's interest or a fund's contributions for a person and year. */
export interface YearLineTable {
  kind: string;
  payer: string;
  year: number;
  person_code: string;
  declaration_id: string;
  amount_cents: number;
}

/** pending until the population register has been asked; then found or unknown. */
export interface PersonCheckTable {
  person_code: string;
  status: string;
  checked_at: string | null;
}

export interface CorrectionTable {
  year: number;
  person_code: string;
  line_key: string;
  amount_cents: number;
  corrected_at: string;
}

export interface TaxReturnTable {
  year: number;
  person_code: string;
  /** The TaxReturn as confirmed, as JSON: lines, sources, reasons, totals. */
  content: string;
  tax_cents: number;
  withheld_cents: number;
  balance_cents: number;
  confirmed_at: string;
}

export interface RefundTable {
  year: number;
  person_code: string;
  amount_cents: number;
  iban: string;
  scheduled_at: string;
  /** scheduled | paid. */
  status: string;
}

export interface ClaimedChildTable {
  year: number;
  child_code: string;
  parent_code: string;
}

export interface TaxBoardDb extends ChangeJournalDb, EventOutboxDb {
  declaration: DeclarationTable;
  payroll_line: PayrollLineTable;
  year_line: YearLineTable;
  person_check: PersonCheckTable;
  correction: CorrectionTable;
  tax_return: TaxReturnTable;
  refund: RefundTable;
  claimed_child: ClaimedChildTable;
}

export const TAX_BOARD_COMPONENT = "tax_board";

export const taxBoardMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_event_outbox": eventOutboxMigration,
  "0003_declarations": {
    async up(db) {
      await db.schema
        .createTable("declaration")
        .addColumn("payer", "text", (c) => c.notNull())
        .addColumn("declaration_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("period", "text", (c) => c.notNull())
        .addColumn("content_hash", "text", (c) => c.notNull())
        .addColumn("client", "text", (c) => c.notNull())
        .addColumn("lines", "integer", (c) => c.notNull())
        .addColumn("received_at", "text", (c) => c.notNull())
        .addColumn("replaced_by", "text")
        .addPrimaryKeyConstraint("declaration_pk", ["payer", "declaration_id"])
        .execute();
      await db.schema
        .createTable("payroll_line")
        .addColumn("payer", "text", (c) => c.notNull())
        .addColumn("month", "text", (c) => c.notNull())
        .addColumn("person_code", "text", (c) => c.notNull())
        .addColumn("declaration_id", "text", (c) => c.notNull())
        .addColumn("gross_cents", "bigint", (c) => c.notNull())
        .addColumn("income_tax_cents", "bigint", (c) => c.notNull())
        .addColumn("social_tax_cents", "bigint", (c) => c.notNull())
        .addColumn("unemployment_employee_cents", "bigint", (c) => c.notNull())
        .addColumn("unemployment_employer_cents", "bigint", (c) => c.notNull())
        .addColumn("funded_pension_cents", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("payroll_line_pk", ["payer", "month", "person_code"])
        .execute();
      await db.schema.createIndex("payroll_line_person").on("payroll_line").columns(["person_code", "month"]).execute();
      await db.schema
        .createTable("year_line")
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("payer", "text", (c) => c.notNull())
        .addColumn("year", "integer", (c) => c.notNull())
        .addColumn("person_code", "text", (c) => c.notNull())
        .addColumn("declaration_id", "text", (c) => c.notNull())
        .addColumn("amount_cents", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("year_line_pk", ["kind", "payer", "year", "person_code"])
        .execute();
      await db.schema.createIndex("year_line_person").on("year_line").columns(["person_code", "year"]).execute();
      await db.schema
        .createTable("person_check")
        .addColumn("person_code", "text", (c) => c.primaryKey())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("checked_at", "text")
        .execute();
      await db.schema.createIndex("person_check_status").on("person_check").column("status").execute();
    },
  },
  "0004_returns": {
    async up(db) {
      await db.schema
        .createTable("correction")
        .addColumn("year", "integer", (c) => c.notNull())
        .addColumn("person_code", "text", (c) => c.notNull())
        .addColumn("line_key", "text", (c) => c.notNull())
        .addColumn("amount_cents", "bigint", (c) => c.notNull())
        .addColumn("corrected_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("correction_pk", ["year", "person_code", "line_key"])
        .execute();
      await db.schema
        .createTable("tax_return")
        .addColumn("year", "integer", (c) => c.notNull())
        .addColumn("person_code", "text", (c) => c.notNull())
        .addColumn("content", "text", (c) => c.notNull())
        .addColumn("tax_cents", "bigint", (c) => c.notNull())
        .addColumn("withheld_cents", "bigint", (c) => c.notNull())
        .addColumn("balance_cents", "bigint", (c) => c.notNull())
        .addColumn("confirmed_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("tax_return_pk", ["year", "person_code"])
        .execute();
      await db.schema
        .createTable("refund")
        .addColumn("year", "integer", (c) => c.notNull())
        .addColumn("person_code", "text", (c) => c.notNull())
        .addColumn("amount_cents", "bigint", (c) => c.notNull())
        .addColumn("iban", "text", (c) => c.notNull())
        .addColumn("scheduled_at", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("refund_pk", ["year", "person_code"])
        .execute();
      await db.schema
        .createTable("claimed_child")
        .addColumn("year", "integer", (c) => c.notNull())
        .addColumn("child_code", "text", (c) => c.notNull())
        .addColumn("parent_code", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("claimed_child_pk", ["year", "child_code"])
        .execute();
    },
  },
  /**
   * One current (not replaced) declaration per payer, kind and period: two received at once wait
   * on each other here, and the later replaces the earlier as if sent one after the other.
   */
  "0005_current_declaration": {
    async up(db) {
      await db.schema
        .createIndex("declaration_current")
        .on("declaration")
        .columns(["payer", "kind", "period"])
        .unique()
        .where(sql.ref("replaced_by"), "is", null)
        .execute();
    },
  },
};
