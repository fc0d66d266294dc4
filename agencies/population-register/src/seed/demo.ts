import { sql } from "kysely";
import { PopulationRegisterError } from "../errors.ts";
import { openPopulationRegister, type PopulationRegisterLocation } from "../storage/register.ts";

export interface DemoPerson {
  personalCode: string;
  givenName: string;
  surname: string;
}

/** The first seven digits of the codes of persons of that sex born on that day. */
function codePrefix(sex: "male" | "female", birthDate: string): string {
  const century = Math.floor((Number(birthDate.slice(0, 4)) - 1800) / 100) * 2 + (sex === "male" ? 1 : 2);
  return `${century}${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}${birthDate.slice(8, 10)}`;
}

/**
 * Living adults (18-90 today) to log in as in a demo, preferring those with a spouse and a
 * minor child (the portal shows a family and a parent can act for the child), then those
 * with a spouse and any children; the same register gives the same persons.
 */
export async function demoPersons(location: PopulationRegisterLocation, n: number): Promise<DemoPerson[]> {
  if (!Number.isInteger(n) || n < 0 || n > 10_000)
    throw new PopulationRegisterError("SEED_ARGUMENT", `n must be an integer 0-10000, got ${n}`);
  const register = await openPopulationRegister(location);
  try {
    const now = new Date();
    const yearsAgo = (years: number) =>
      new Date(Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth(), now.getUTCDate())).toISOString().slice(0, 10);
    const adults = (from: number, to: number) =>
      register.db
        .selectFrom("person as p")
        .select(["p.personal_code", "p.given_name", "p.surname"])
        .where("p.date_of_death", "is", null)
        .where("p.birth_date", ">", yearsAgo(to + 1))
        .where("p.birth_date", "<=", yearsAgo(from))
        .orderBy("p.personal_code");
    // 30-60-year-olds with a spouse and children (born after CHILDREN_BORN_AFTER), men and women alternating.
    const withFamily = (sex: "male" | "female", childrenBornAfter: string) =>
      adults(30, 60)
        .where("p.sex", "=", sex)
        // Codes start with century-and-sex and the birth date: start the scan at the right place.
        .where("p.personal_code", ">=", codePrefix(sex, yearsAgo(61)))
        .where("p.personal_code", "<", codePrefix(sex, yearsAgo(29)))
        .where(
          sql<boolean>`exists (select 1 from relation r join person c on c.personal_code = r.to_code where r.kind = 'parent' and r.from_code = p.personal_code and c.birth_date > ${childrenBornAfter})`,
        )
        .where(
          sql<boolean>`(exists (select 1 from relation r where r.kind = 'spouse' and r.from_code = p.personal_code) or exists (select 1 from relation r where r.kind = 'spouse' and r.to_code = p.personal_code))`,
        )
        .limit(n)
        .execute();
    const rows: Awaited<ReturnType<typeof withFamily>> = [];
    const chosen = new Set<string>();
    // First parents of a minor child, then parents of any age of child.
    for (const childrenBornAfter of [yearsAgo(18), "0000-01-01"]) {
      const [men, women] = await Promise.all([
        withFamily("male", childrenBornAfter),
        withFamily("female", childrenBornAfter),
      ]);
      for (let i = 0; rows.length < n && (i < men.length || i < women.length); i++)
        for (const row of [women[i], men[i]])
          if (row && rows.length < n && !chosen.has(row.personal_code)) {
            rows.push(row);
            chosen.add(row.personal_code);
          }
    }
    if (rows.length < n) {
      // A small or odd register: any living adult of 18-90 will do.
      const more = await adults(18, 90)
        .limit(n + rows.length)
        .execute();
      for (const row of more) if (rows.length < n && !chosen.has(row.personal_code)) rows.push(row);
    }
    return rows.map((r) => ({ personalCode: r.personal_code, givenName: r.given_name, surname: r.surname }));
  } finally {
    await register.close();
  }
}

/** The personal codes of the living persons of a register (what other agencies' seeds draw on). */
export async function livingPersonalCodes(location: PopulationRegisterLocation): Promise<string[]> {
  const register = await openPopulationRegister(location);
  try {
    return await register.livingPersonalCodes();
  } finally {
    await register.close();
  }
}
