// Business names (Commercial Code § 7-12): a name must differ clearly from names already
// entered; riik refuses one equal to a registered name after case, punctuation, spacing and the
// legal-form suffix are set aside, and lists registered names that merely look alike.
import { BusinessRegisterError } from "../errors.ts";

export const LEGAL_FORMS = ["OÜ", "AS", "TÜ", "UÜ", "MTÜ", "SA"] as const;
export type LegalForm = (typeof LEGAL_FORMS)[number];

const SUFFIXES =
  /\b(osaühing|aktsiaselts|täisühing|usaldusühing|mittetulundusühing|sihtasutus|oü|as|tü|uü|mtü|sa)\b/giu;
/** Words only the state may use in a company's name (Commercial Code § 11(4) in outline). */
export const RESERVED_WORDS = ["eesti vabariik", "riik", "riigikogu", "politsei"] as const;

/** The name as compared: lower case, legal form and punctuation removed, spaces collapsed. */
export function nameKey(name: string): string {
  return name
    .normalize("NFC")
    .toLocaleLowerCase("et")
    .replace(SUFFIXES, " ")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .replace(/ +/g, " ");
}

/** The first word reserved for the state that NAME holds as a word, if any. */
export function reservedWordIn(name: string): string | undefined {
  const key = nameKey(name.normalize("NFC"));
  return RESERVED_WORDS.find((word) => ` ${key} `.includes(` ${word} `));
}

/** A company name: 2-120 characters, with letters, ending in its legal form, no reserved word. */
export function checkCompanyName(name: string, legalForm: LegalForm): string {
  const trimmed = name.normalize("NFC").trim().replace(/\s+/g, " ");
  const key = nameKey(trimmed);
  if (key.length < 2 || !/\p{L}/u.test(key))
    throw new BusinessRegisterError(
      "NAME_INVALID",
      "a company name needs at least two characters besides its legal form",
    );
  if (!trimmed.endsWith(` ${legalForm}`) && !trimmed.startsWith(`${legalForm} `))
    throw new BusinessRegisterError(
      "NAME_INVALID",
      `the name of a company of legal form ${legalForm} must contain "${legalForm}"`,
    );
  const reserved = reservedWordIn(trimmed);
  if (reserved)
    throw new BusinessRegisterError("NAME_INVALID", `"${reserved}" is reserved for the state`, {
      details: { reserved },
    });
  return trimmed;
}

/** Levenshtein distance, bounded: names within it are "similar" and shown to the applicant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** Whether two name keys look alike: one contains the other, or they are at most 2 edits apart. */
export function similarKeys(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length >= 4 && b.length >= 4 && (a.includes(b) || b.includes(a))) return true;
  return distance(a, b) <= Math.min(2, Math.floor(Math.min(a.length, b.length) / 4));
}
