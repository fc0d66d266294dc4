import type { BenefitsConfig } from "../config/portal-config.ts";
import { PortalError } from "../errors.ts";
import { PersonalService, type XRoadCalls } from "../xroad/calls.ts";

/** One amount of an offer with its reason ("why this amount") and the rule set it came from. */
export interface BenefitLine {
  benefit: string;
  child?: string;
  amountCents: number;
  why: string;
  rules: { effectiveFrom: string; source: string };
}

/** A family benefit offer the Board made on a birth, without an application. */
export interface BenefitOffer {
  id: string;
  child: string;
  mother: string;
  status: "offered" | "confirmed";
  lines: BenefitLine[];
  createdAt: string;
  confirmedAt: string | null;
  confirmedBy: string | null;
}

/** One month's payment as the Board scheduled it, with its reason. */
export interface BenefitPayment {
  month: string;
  benefit: string;
  child: string | null;
  amountCents: number;
  why: string;
  rulesFrom: string;
  recipient: string;
  iban: string;
}

/**
 * The Social Insurance Board's `family-benefits` service (issue #13) over X-Road, as the parent
 * logged in (X-Road-UserId): the offers, the confirmation (which parent receives it, to which
 * account) and the payments. The Board decides who is a parent and checks the IBAN; its
 * refusals (NOT_A_PARENT, IBAN_INVALID, OFFER_ALREADY_CONFIRMED) come back as PORTAL_REFUSED.
 */
export class FamilyBenefits {
  readonly #service: PersonalService;

  constructor(xroad: XRoadCalls, client: string, config: BenefitsConfig, purpose: string) {
    this.#service = new PersonalService(xroad, { client, service: config.familyBenefitsService, purpose });
  }

  async offers(code: string): Promise<BenefitOffer[]> {
    const body = record(await this.#service.call(code, "GET", `/persons/EE${code}/offers`));
    if (!Array.isArray(body.offers)) throw bad("no list of offers");
    return body.offers.slice(0, 200).map(offer);
  }

  async confirm(code: string, id: string, request: { recipient: string; iban: string }): Promise<BenefitOffer> {
    return offer(await this.#service.call(code, "POST", `/offers/${encodeURIComponent(id)}/confirmation`, request));
  }

  async payments(code: string): Promise<BenefitPayment[]> {
    const body = record(await this.#service.call(code, "GET", `/persons/EE${code}/payments`));
    if (!Array.isArray(body.payments)) throw bad("no list of payments");
    return body.payments.slice(0, 5000).map((value) => {
      const p = record(value);
      return {
        month: text(p.month, 7),
        benefit: text(p.benefit, 64),
        child: typeof p.child === "string" ? p.child.slice(0, 20) : null,
        amountCents: cents(p.amountCents),
        why: text(p.why),
        rulesFrom: text(p.rulesFrom, 10),
        recipient: text(p.recipient, 20),
        iban: text(p.iban, 42),
      };
    });
  }
}

const bad = (what: string) => new PortalError("PORTAL_BAD_RESPONSE", `the Social Insurance Board's answer has ${what}`);

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("no JSON object");
  return value as Record<string, unknown>;
}

const text = (value: unknown, max = 2000): string => (typeof value === "string" ? value.slice(0, max) : "");
const cents = (value: unknown): number => {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw bad("an amount that is not whole cents");
  return value;
};

function offer(value: unknown): BenefitOffer {
  const o = record(value);
  const id = text(o.id, 64);
  if (!id || !Array.isArray(o.lines)) throw bad("an offer without an id or lines");
  return {
    id,
    child: text(o.child, 20),
    mother: text(o.mother, 20),
    status: o.status === "confirmed" ? "confirmed" : "offered",
    lines: o.lines.slice(0, 50).map((value) => {
      const line = record(value);
      const rules =
        typeof line.rules === "object" && line.rules !== null ? (line.rules as Record<string, unknown>) : {};
      return {
        benefit: text(line.benefit, 64),
        ...(typeof line.child === "string" ? { child: line.child.slice(0, 20) } : {}),
        amountCents: cents(line.amountCents),
        why: text(line.why),
        rules: { effectiveFrom: text(rules.effectiveFrom, 10), source: text(rules.source, 500) },
      };
    }),
    createdAt: text(o.createdAt, 40),
    confirmedAt: typeof o.confirmedAt === "string" ? o.confirmedAt.slice(0, 40) : null,
    confirmedBy: typeof o.confirmedBy === "string" ? o.confirmedBy.slice(0, 20) : null,
  };
}
