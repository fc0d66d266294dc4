// Names as a screening compares them. Folded is what a list and a travel document commonly
// differ in: diacritics, case, punctuation, the order of given names and surname.
// Transliteration variants (Mueller for Müller, Aleksandr for Alexander) are not guessed.

/** Letters NFKD does not decompose into a base letter and a mark (ICAO 9303 part 3, 6.A). */
const FOLDED: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  đ: "d",
  ð: "d",
  ł: "l",
  þ: "th",
  ı: "i",
  ħ: "h",
};

/** The words of a name: diacritics removed, lower case, split on anything but letters and digits. */
export function nameTokens(name: string): string[] {
  const folded = name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[ßæœøđðłþıħ]/g, (letter) => FOLDED[letter] ?? letter);
  return folded.split(/[^\p{L}\p{N}]+/u).filter((token) => token !== "");
}

/**
 * Whether two names are the same person's as far as names go: the words of one are all among
 * the words of the other, in any order (a list entry may add a middle or father's name), and
 * the shorter has at least two words, or one when the caller has matched the date of birth.
 */
export function namesMatch(asked: readonly string[], listed: readonly string[], birthDateAgrees: boolean): boolean {
  const [shorter, longer] = asked.length <= listed.length ? [asked, listed] : [listed, asked];
  if (shorter.length === 0 || (shorter.length < 2 && !birthDateAgrees)) return false;
  const pool = [...longer];
  for (const word of shorter) {
    const at = pool.indexOf(word);
    if (at < 0) return false;
    pool.splice(at, 1);
  }
  return true;
}
