// The sandbox's insured residents: a fund that knows the population on the first day. The real
// fund learns each basis from its own source (employment from the Tax and Customs Board's TSD,
// pensions from the Social Insurance Board, children from the population register); the sandbox
// draws it from age alone (Health Insurance Act § 5 (4) children under 19, § 5 (3) 6) old-age
// pensioners), and counts every working-age resident as employed since the start of last year.
import { parsePersonalCode } from "@riik/core";
import { type InsurancePeriod, openInsuranceRegister } from "./insurance-register.ts";

const CHILD_UNTIL = 19;
const PENSION_FROM = 65;

/** The period a resident of that personal code is insured in on `today` (YYYY-MM-DD). */
export function sandboxInsurancePeriod(personalCode: string, today: string): InsurancePeriod {
  const { birthDate } = parsePersonalCode(personalCode);
  // A 29 February birthday falls on 1 March in a common year.
  const birthday = (age: number) => {
    const at = new Date(`${birthDate}T00:00:00Z`);
    at.setUTCFullYear(at.getUTCFullYear() + age);
    return at.toISOString().slice(0, 10);
  };
  const yearBefore = `${Number(today.slice(0, 4)) - 1}-01-01`;
  if (birthday(CHILD_UNTIL) > today)
    return { personalCode, basis: "child", start: birthDate, end: birthday(CHILD_UNTIL) };
  if (birthday(PENSION_FROM) <= today)
    return { personalCode, basis: "pension", start: birthday(PENSION_FROM), end: null };
  return { personalCode, basis: "employment", start: yearBefore, end: null };
}

/** Records every resident's sandbox period in one transaction. */
export async function seedSandboxInsured(
  location: { dataDir: string; url?: string },
  personalCodes: readonly string[],
  today = new Date().toISOString().slice(0, 10),
): Promise<number> {
  const register = await openInsuranceRegister(location);
  try {
    const periods = await register.recordAll(personalCodes.map((code) => sandboxInsurancePeriod(code, today)));
    return periods.length;
  } finally {
    await register.close();
  }
}
