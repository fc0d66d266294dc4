import { generatePersonalCode, type Sex } from "@riik/core";
import type { AddressRecord, PersonRecord, RelationRecord } from "../storage/schema.ts";
import { FEMALE_NAMES_OLDER, FEMALE_NAMES_YOUNGER, MALE_NAMES_OLDER, MALE_NAMES_YOUNGER, SURNAMES } from "./names.ts";
import { COUNTIES, GENERIC_STREETS } from "./places.ts";
import { cumulative, Prng } from "./prng.ts";

/** One extended family: a couple or a single adult, their children and grandchildren. */
export interface Clan {
  persons: PersonRecord[];
  relations: RelationRecord[];
  addresses: AddressRecord[];
}

const DAY_MS = 86_400_000;
const YEAR = 365.25;

// Anchor ages (the eldest generation of a clan) by five-year band from 20; tuned so that,
// with children and grandchildren, the whole population follows Estonia's age pyramid.
const ANCHOR_BANDS = [1.5, 2, 2.5, 3, 3, 3, 4.5, 6, 9, 10, 9.5, 8, 6.5, 4.5, 2, 0.7];
const ANCHOR_CUMULATIVE = cumulative(ANCHOR_BANDS);
// Children per couple: 0-4 (Estonia's completed fertility is about 1.8).
const CHILDREN_CUMULATIVE = cumulative([15, 25, 35, 18, 7]);

interface FlatSettlement {
  county: string;
  municipality: string;
  ehakCode: string | null;
  name: string;
  postalCodes: readonly string[];
  streets: readonly string[];
  /** Chance that a home here is an apartment. */
  apartments: number;
}

const SETTLEMENTS: FlatSettlement[] = [];
const SETTLEMENT_WEIGHTS: number[] = [];
for (const county of COUNTIES)
  for (const municipality of county.municipalities) {
    const shares = municipality.settlements.map((s) => s.weight ?? 1);
    const total = shares.reduce((a, b) => a + b, 0);
    municipality.settlements.forEach((settlement, i) => {
      const name = settlement.name;
      const apartments = /linnaosa$|linn$/.test(name) ? 0.8 : / alev$| alevik$/.test(name) ? 0.45 : 0.08;
      SETTLEMENTS.push({
        county: county.name,
        municipality: municipality.name,
        ehakCode: municipality.ehakCode ?? null,
        name,
        postalCodes: settlement.postalCodes,
        streets: settlement.streets ?? GENERIC_STREETS,
        apartments,
      });
      SETTLEMENT_WEIGHTS.push((municipality.weight * (shares[i] ?? 1)) / total);
    });
  }
const SETTLEMENT_CUMULATIVE = cumulative(SETTLEMENT_WEIGHTS);

interface Home {
  settlement: FlatSettlement;
  street: string;
  house: string;
  apartment: string | null;
  postalCode: string;
}

interface Draft {
  record: PersonRecord;
  day: number;
  /** Day of the youngest child's birth: a parent cannot have died long before it. */
  lastChildDay: number;
  /** Where the person lives now; children under 18 share their parents'. */
  home: Home;
  homeSince: number;
  /** Adults sometimes have a previous address. */
  movedFrom: boolean;
}

/**
 * Streams a synthetic population clan by clan: deterministic for a seed, and memory-bounded
 * (it keeps only the next serial number per birth date and sex, at most ~75,000 numbers).
 */
export class PopulationGenerator {
  readonly #rng: Prng;
  readonly #today: number;
  readonly #serials = new Map<number, number>();
  readonly #dates = new Map<number, string>();

  constructor(seed: number, referenceDate: string) {
    this.#rng = new Prng(seed);
    this.#today = Math.floor(Date.parse(`${referenceDate}T00:00:00Z`) / DAY_MS);
  }

  nextClan(): Clan {
    const rng = this.#rng;
    const drafts: Draft[] = [];
    const relations: RelationRecord[] = [];
    const anchorAge = 20 + rng.weighted(ANCHOR_CUMULATIVE) * 5 + rng.int(0, 4);
    const anchorSex: Sex = rng.chance(0.5) ? "male" : "female";
    const anchorDay = this.#today - Math.floor(anchorAge * YEAR) - rng.int(0, 364);
    const home = this.#home();
    const anchor = this.#person(anchorSex, anchorDay, rng.pick(SURNAMES), home, drafts);
    this.#household(anchor, 3, drafts, relations);
    return this.#finish(drafts, relations);
  }

  /** A household around an adult: maybe a partner, maybe children (recursively grown up). */
  #household(adult: Draft, generations: number, drafts: Draft[], relations: RelationRecord[]): void {
    const rng = this.#rng;
    const age = (this.#today - adult.day) / YEAR;
    const partnered = age >= 20 && rng.chance(age < 25 ? 0.35 : 0.72);
    let mother: Draft | undefined = adult.record.sex === "female" ? adult : undefined;
    let father: Draft | undefined = adult.record.sex === "male" ? adult : undefined;
    if (partnered) {
      const sex: Sex = adult.record.sex === "male" ? "female" : "male";
      // Husbands are on average two years older than their wives.
      const gap = Math.round(rng.normal(sex === "female" ? 2 : -2, 8) * YEAR);
      const youngest = this.#today - Math.floor(18 * YEAR);
      const day = adult.day + gap <= youngest ? adult.day + gap : youngest - rng.int(0, 3 * 365);
      const partner = this.#person(sex, day, rng.pick(SURNAMES), adult.home, drafts);
      partner.homeSince = adult.homeSince;
      if (sex === "female") mother = partner;
      else father = partner;
      // Most couples marry and most wives take the husband's name; many parents never marry.
      if (rng.chance(0.7)) {
        const [a, b] = [adult.record.personalCode, partner.record.personalCode].sort() as [string, string];
        relations.push({ kind: "spouse", from: a, to: b });
        if (mother && father && rng.chance(0.7)) mother.record.surname = father.record.surname;
      }
    }
    if (generations <= 1) return;
    const single = !partnered;
    if (single && !rng.chance(0.3)) return;
    const count = rng.weighted(CHILDREN_CUMULATIVE);
    const bearer = mother ?? adult;
    const familyName = (father ?? adult).record.surname;
    for (let i = 0; i < count; i++) {
      // Mothers' ages at birth: 18 to 41, most around 29.
      const motherAge = rng.normal(29.5, 8);
      const day = bearer.day + Math.floor(motherAge * YEAR) + rng.int(0, 364);
      if (day > this.#today) continue;
      // Estonia's births halved in the 1990s (about 25,000 in 1988, 12,000 in 1998).
      const year = 1970 + Math.floor(day / YEAR);
      if (year >= 1993 && year <= 2004 && rng.chance(0.3)) continue;
      const sex: Sex = rng.chance(0.512) ? "male" : "female";
      const childAge = (this.#today - day) / YEAR;
      const surname = rng.chance(0.9) ? familyName : bearer.record.surname;
      const child = this.#person(sex, day, surname, adult.home, drafts);
      child.homeSince = Math.max(child.day, adult.homeSince);
      for (const parent of [mother, father]) {
        if (!parent) continue;
        relations.push({ kind: "parent", from: parent.record.personalCode, to: child.record.personalCode });
        parent.lastChildDay = Math.max(parent.lastChildDay, child.day);
      }
      if (childAge >= 18 && (childAge >= 25 || rng.chance(0.6))) {
        // Grown up and moved out.
        child.home = this.#home();
        child.homeSince = this.#movedInDay(child.day);
        child.movedFrom = rng.chance(0.35);
        this.#household(child, generations - 1, drafts, relations);
      }
    }
  }

  #person(sex: Sex, day: number, surname: string, home: Home, drafts: Draft[]): Draft {
    const rng = this.#rng;
    const { code, day: born } = this.#code(day, sex);
    day = born;
    const date = this.#date(day);
    const year = Number(date.slice(0, 4));
    // Given-name fashion: older names before 1975, newer after 1990, a mix in between.
    const newer = rng.next() < Math.min(1, Math.max(0, (year - 1975) / 15));
    const names =
      sex === "male"
        ? newer
          ? MALE_NAMES_YOUNGER
          : MALE_NAMES_OLDER
        : newer
          ? FEMALE_NAMES_YOUNGER
          : FEMALE_NAMES_OLDER;
    const draft: Draft = {
      record: {
        personalCode: code,
        givenName: rng.pick(names),
        surname,
        sex,
        birthDate: date,
        dateOfDeath: null,
        citizenship: "EST",
      },
      day,
      lastChildDay: day,
      home,
      homeSince: this.#movedInDay(day),
      movedFrom: rng.chance(0.35),
    };
    drafts.push(draft);
    return draft;
  }

  /**
   * A unique code: serial numbers per birth date and sex, handed out in order as hospitals
   * do. A day whose 1,000 serials are used up (only in huge populations) moves the birth
   * to the nearest day with serials left.
   */
  #code(day: number, sex: Sex): { code: string; day: number } {
    for (let shift = 0; shift < 3650; shift++) {
      const candidate = day + (shift % 2 === 0 ? shift / 2 : -(shift + 1) / 2);
      if (candidate > this.#today) continue;
      const key = candidate * 2 + (sex === "male" ? 1 : 0);
      const next = this.#serials.get(key) ?? this.#rng.int(0, 300);
      if (next > 999) continue;
      this.#serials.set(key, next + this.#rng.int(1, 3));
      return { code: generatePersonalCode(this.#date(candidate), sex, next), day: candidate };
    }
    throw new Error(`no personal code serials left near ${this.#date(day)}`);
  }

  #movedInDay(birthDay: number): number {
    const adult = birthDay + Math.floor(18 * YEAR);
    const earliest = Math.max(adult, this.#today - Math.floor(35 * YEAR));
    return earliest >= this.#today
      ? Math.min(this.#today, Math.max(birthDay, adult))
      : this.#rng.int(earliest, this.#today);
  }

  #home(): Home {
    const rng = this.#rng;
    const settlement = SETTLEMENTS[rng.weighted(SETTLEMENT_CUMULATIVE)] as FlatSettlement;
    const apartment = rng.chance(settlement.apartments);
    const house = String(rng.int(1, apartment ? 120 : 80)) + (rng.chance(0.06) ? rng.pick(["a", "b", "c"]) : "");
    return {
      settlement,
      street: rng.pick(settlement.streets),
      house,
      apartment: apartment ? String(rng.int(1, 96)) : null,
      postalCode: rng.pick(settlement.postalCodes),
    };
  }

  #date(day: number): string {
    let text = this.#dates.get(day);
    if (text === undefined) {
      text = new Date(day * DAY_MS).toISOString().slice(0, 10);
      this.#dates.set(day, text);
    }
    return text;
  }

  #finish(drafts: Draft[], relations: RelationRecord[]): Clan {
    const rng = this.#rng;
    const addresses: AddressRecord[] = [];
    for (const draft of drafts) {
      // Mortality: from 65 on, more likely with every year; the register keeps the dead.
      const age = (this.#today - draft.day) / YEAR;
      if (age >= 65 && rng.chance(Math.min(0.98, ((age - 65) / 35) ** 2.5))) {
        const earliest = Math.max(
          draft.day + Math.floor(65 * YEAR),
          draft.lastChildDay,
          this.#today - Math.floor(15 * YEAR),
        );
        if (earliest < this.#today) {
          const death = rng.int(earliest, this.#today - 1);
          draft.record.dateOfDeath = this.#date(death);
          draft.homeSince = Math.min(draft.homeSince, death - rng.int(0, 3650));
        }
      }
      let n = 0;
      const since = Math.max(draft.day, draft.homeSince);
      const grownUpDay = draft.day + Math.floor(18 * YEAR);
      if (draft.movedFrom && since - grownUpDay > 60) {
        addresses.push(this.#address(draft, this.#home(), ++n, rng.int(grownUpDay, since - 30)));
      }
      addresses.push(this.#address(draft, draft.home, ++n, since));
    }
    return { persons: drafts.map((d) => d.record), relations, addresses };
  }

  #address(draft: Draft, home: Home, n: number, since: number): AddressRecord {
    return {
      personalCode: draft.record.personalCode,
      n,
      county: home.settlement.county,
      municipality: home.settlement.municipality,
      settlement: home.settlement.name,
      street: home.street,
      house: home.house,
      apartment: home.apartment,
      postalCode: home.postalCode,
      ehakCode: home.settlement.ehakCode,
      since: this.#date(since),
    };
  }
}
