// The sandbox's insurer and its compulsory motor policies for the demo persons' cars, so the
// bureau answers a roadside check or an accident report for them on a fresh state.
import type { TimelineAnchor } from "../case/timeline.ts";
import { type Insurer, openMotorInsuranceBureau, type Policy } from "../storage/bureau.ts";

/**
 * The sandbox's insurer. Insurers are public limited companies (AS) under the Insurance Activities Act; the business
 * register founds OÜs only, so it is registered at the bureau alone, its code checked by form.
 */
export const SANDBOX_INSURER: Insurer = { registryCode: "10090033", name: "Demokindlustus AS" };

export interface InsuredCar {
  vin: string;
  plate: string;
  holder: { name: string; personalCode: string };
}

/**
 * Registers the sandbox insurer and a year's policy for each car, valid from `today`; returns
 * the policies it registered. Resumable: what an interrupted run registered is kept, not doubled.
 */
export async function seedDemoInsurance(
  location: { dataDir: string; url?: string; schema?: string },
  cars: readonly InsuredCar[],
  anchor: TimelineAnchor,
  today = new Date(),
): Promise<Policy[]> {
  const bureau = await openMotorInsuranceBureau(location, { anchor, trustAnchors: [] });
  try {
    const insurer = SANDBOX_INSURER.registryCode;
    if (!(await bureau.insurers()).some((known) => known.registryCode === insurer))
      await bureau.registerInsurer(SANDBOX_INSURER, today);
    const existing = await bureau.store.db
      .selectFrom("policy")
      .select("number")
      .where("insurer_code", "=", insurer)
      .execute();
    const numbers = new Set(existing.map((row) => row.number));
    const until = new Date(today);
    until.setUTCFullYear(until.getUTCFullYear() + 1);
    const policies: Policy[] = [];
    for (const [i, car] of cars.entries()) {
      const number = `DK-${String(i + 1).padStart(6, "0")}`;
      if (numbers.has(number)) continue;
      const period = { validFrom: today.toISOString(), validUntil: until.toISOString() };
      policies.push(await bureau.submitPolicy(insurer, { number, ...car, ...period }, today));
    }
    return policies;
  } finally {
    await bureau.close();
  }
}
