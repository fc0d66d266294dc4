import type { TaxReturnConfig } from "../config/portal-config.ts";
import { PortalError } from "../errors.ts";
import { PersonalService, type XRoadCalls } from "../xroad/calls.ts";

/** Where a line comes from, as the Board names it: a declaration and its sender, the register, the person, the rules. */
export interface TaxLineSource {
  kind: string;
  /** The payer's registry code (employer, bank, pension fund). */
  payer?: string;
  /** The payer's declaration ids the line is summed from. */
  declarations?: string[];
  /** The children the population register answered (§ 23²). */
  children?: string[];
  /** A line the person corrected: what the payer declared (null: nothing was declared). */
  declared?: number | null;
  /** The year's rules the line is computed by. */
  year?: number;
}

/** One line of the return with its source and the reason for its amount. */
export interface TaxLine {
  key: string;
  kind: string;
  amountCents: number;
  source: TaxLineSource;
  why: string;
  /** Whether the person may give their own figure (the Board's CORRECTABLE lines). */
  correctable: boolean;
}

/** The person's return for a year as the Board shows it: open (pre-filled) or confirmed. */
export interface TaxReturnView {
  year: number;
  status: "open" | "confirmed";
  lines: TaxLine[];
  incomeCents: number;
  deductionsCents: number;
  taxableCents: number;
  taxCents: number;
  withheldCents: number;
  /** Withheld less tax: positive is refunded, negative is due. */
  balanceCents: number;
  rules: { year: number; source: string };
  /** The refund scheduled on confirmation. */
  refund: { amountCents: number; iban: string; status: string } | null;
  dueCents: number;
  confirmedAt: string | null;
}

/**
 * Lines the Board takes the person's own figure for: training expenses (§ 26) and what a bank
 * (`interest:<registry code>`) or pension fund (`pension:<registry code>`) declared. The Board
 * checks again (LINE_NOT_CORRECTABLE); this only decides which lines the page offers to correct.
 */
export const CORRECTABLE_LINE = /^(training|interest:[0-9]{8}|pension:[0-9]{8})$/;

/**
 * The Tax and Customs Board's `income-tax-returns` service (issue #13) over X-Road, as the
 * person logged in (X-Road-UserId), who is the only one the Board shows or lets confirm the
 * return. Its refusals (RETURN_ALREADY_CONFIRMED, RETURN_NOT_OPEN, IBAN_INVALID,
 * LINE_NOT_CORRECTABLE, NOT_RESIDENT, RULES_NOT_IN_FORCE) come back as PORTAL_REFUSED.
 */
export class IncomeTaxReturns {
  readonly #service: PersonalService;

  constructor(xroad: XRoadCalls, client: string, config: TaxReturnConfig, purpose: string) {
    this.#service = new PersonalService(xroad, { client, service: config.returnsService, purpose });
  }

  async get(code: string, year: number): Promise<TaxReturnView> {
    return view(await this.#service.call(code, "GET", `/returns/${year}/EE${code}`), year);
  }

  async correct(code: string, year: number, line: string, amountCents: number): Promise<TaxReturnView> {
    const path = `/returns/${year}/EE${code}/lines/${encodeURIComponent(line)}`;
    return view(await this.#service.call(code, "PUT", path, { amountCents }), year);
  }

  async confirm(code: string, year: number, iban: string): Promise<TaxReturnView> {
    return view(await this.#service.call(code, "POST", `/returns/${year}/EE${code}/confirmation`, { iban }), year);
  }
}

/**
 * The year whose returns were opened last: the Board opens a year's on 15 February of the
 * next, Tallinn time (so on 1 February 2026 it is 2024's, on 15 February 2026 2025's).
 */
export function latestOpenYear(now = new Date()): number {
  const [year, monthDay] = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Tallinn" })
    .format(now)
    .split(/-(.*)/s) as [string, string];
  return Number(year) - (monthDay >= "02-15" ? 1 : 2);
}

const bad = (what: string) => new PortalError("PORTAL_BAD_RESPONSE", `the Tax and Customs Board's answer has ${what}`);

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("no JSON object");
  return value as Record<string, unknown>;
}

const text = (value: unknown, max = 2000): string => (typeof value === "string" ? value.slice(0, max) : "");
const cents = (value: unknown): number => {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw bad("an amount that is not whole cents");
  return value;
};
const texts = (value: unknown, max: number) =>
  Array.isArray(value) ? value.slice(0, max).map((item) => text(item, 100)) : undefined;

function source(value: unknown): TaxLineSource {
  const s = record(value);
  const declarations = texts(s.declarations, 24);
  const children = texts(s.children, 30);
  return {
    kind: text(s.kind, 40),
    ...(typeof s.payer === "string" ? { payer: s.payer.slice(0, 20) } : {}),
    ...(declarations ? { declarations } : {}),
    ...(children ? { children } : {}),
    ...(s.declared === null || typeof s.declared === "number"
      ? { declared: s.declared === null ? null : cents(s.declared) }
      : {}),
    ...(typeof s.year === "number" ? { year: s.year } : {}),
  };
}

/** The Board's answer read tolerantly; a return of another year than asked is not the agreed answer. */
function view(value: unknown, year: number): TaxReturnView {
  const answer = record(value);
  const r = record(answer.taxReturn);
  if (r.year !== year || !Array.isArray(r.lines)) throw bad(`no return for ${year} with lines`);
  const rules = typeof r.rules === "object" && r.rules !== null ? (r.rules as Record<string, unknown>) : {};
  const refund = answer.refund === null || answer.refund === undefined ? null : record(answer.refund);
  return {
    year,
    status: answer.status === "confirmed" ? "confirmed" : "open",
    lines: r.lines.slice(0, 200).map((value) => {
      const line = record(value);
      const key = text(line.key, 100);
      return {
        key,
        kind: text(line.kind, 20),
        amountCents: cents(line.amountCents),
        source: source(line.source),
        why: text(line.why),
        correctable: CORRECTABLE_LINE.test(key),
      };
    }),
    incomeCents: cents(r.incomeCents),
    deductionsCents: cents(r.deductionsCents),
    taxableCents: cents(r.taxableCents),
    taxCents: cents(r.taxCents),
    withheldCents: cents(r.withheldCents),
    balanceCents: cents(r.balanceCents),
    rules: { year: typeof rules.year === "number" ? rules.year : year, source: text(rules.source, 500) },
    refund: refund
      ? { amountCents: cents(refund.amountCents), iban: text(refund.iban, 42), status: text(refund.status, 40) }
      : null,
    dueCents: cents(answer.dueCents),
    confirmedAt: typeof answer.confirmedAt === "string" ? answer.confirmedAt.slice(0, 40) : null,
  };
}
