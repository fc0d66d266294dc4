// A bank account: an IBAN (ISO 13616-1:2020), checked by its mod-97 check
// digits (ISO 7064 MOD 97-10) and, for Estonian accounts, by length (EE: 20 characters).
import { RiikError } from "../errors.ts";

export class IbanError extends RiikError<"IBAN_INVALID"> {}

const SHAPE = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/;
const LENGTHS: Readonly<Record<string, number>> = { EE: 20, LV: 21, LT: 20, FI: 18, DE: 22, SE: 24 };

/** The IBAN in its electronic form (no spaces, upper case), or IBAN_INVALID. */
export function parseIban(text: string): string {
  const iban = text.replace(/ /g, "").toUpperCase();
  const country = iban.slice(0, 2);
  const invalid = (why: string) => new IbanError("IBAN_INVALID", `${JSON.stringify(text)}: ${why}`);
  if (!SHAPE.test(iban)) throw invalid("an IBAN is two letters, two check digits and 11 to 30 letters or digits");
  if (LENGTHS[country] !== undefined && iban.length !== LENGTHS[country])
    throw invalid(`an IBAN of ${country} has ${LENGTHS[country]} characters`);
  // Move the first four to the end, letters to 10..35, and the number mod 97 must be 1.
  const digits = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  if (BigInt(digits) % 97n !== 1n) throw invalid("its check digits are wrong");
  return iban;
}
