// Driving licence categories (Directive 2006/126/EC art. 4) and what a category also entitles
// its holder to drive (art. 6(1)-(2)): A is valid for A2, A1 and AM; B for AM (and B1, where a
// state has it); C for C1 and D for D1; CE, C1E, DE and D1E for BE; CE for C1E, DE for D1E.
// A category that needs another first (C needs B) does not include it: the licence lists both.
// Estonia's national T (tractors) stands alone.
import { VehicleError } from "../errors.ts";

export const CATEGORIES = [
  "AM",
  "A1",
  "A2",
  "A",
  "B1",
  "B",
  "BE",
  "C1",
  "C1E",
  "C",
  "CE",
  "D1",
  "D1E",
  "D",
  "DE",
  "T",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** What each category directly includes; includedIn follows it through. */
const INCLUDES: Readonly<Record<Category, readonly Category[]>> = {
  AM: [],
  A1: ["AM"],
  A2: ["A1"],
  A: ["A2"],
  B1: ["AM"],
  B: ["B1", "AM"],
  BE: [],
  C1: [],
  C1E: ["C1", "BE"],
  C: ["C1"],
  CE: ["C", "C1E", "BE"],
  D1: [],
  D1E: ["D1", "BE"],
  D: ["D1"],
  DE: ["D", "D1E", "BE"],
  T: [],
};

export function parseCategory(text: string): Category {
  const category = text.trim().toUpperCase();
  if (!(CATEGORIES as readonly string[]).includes(category))
    throw new VehicleError(
      "LICENCE_CATEGORY_INVALID",
      `${JSON.stringify(text)} is not a driving licence category (${CATEGORIES.join(", ")})`,
    );
  return category as Category;
}

/** Every category a licence for `held` lets its holder drive, itself first. */
export function entitledBy(held: Category): Category[] {
  const found: Category[] = [];
  const walk = (category: Category) => {
    if (found.includes(category)) return;
    found.push(category);
    for (const included of INCLUDES[category]) walk(included);
  };
  walk(held);
  return found;
}

/** The held categories that entitle to `wanted` (empty: not entitled). */
export function categoriesEntitling(held: readonly Category[], wanted: Category): Category[] {
  return held.filter((category) => entitledBy(category).includes(wanted));
}
