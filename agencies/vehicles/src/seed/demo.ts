// The sandbox's demo persons as drivers: each owns a car (a Škoda Octavia, the commonest new car
// in Estonia) with a standard plate and holds a category B licence, so the roadside check, the
// vehicle lookup and an ownership transfer have something to work on in a fresh state.
import { vinCheckDigit } from "../model/vin.ts";
import { openVehicleRegister } from "../storage/register.ts";

/** The n-th demo car's VIN: Škoda's WMI TMB, check digit computed though Europe does not require one. */
export function demoVin(n: number): string {
  const draft = `TMBJJ7NE0M${String(100_000 + n).padStart(7, "0")}`;
  return `${draft.slice(0, 8)}${vinCheckDigit(draft)}${draft.slice(9)}`;
}

/** The n-th demo car's plate: 101DEM, 102DEM, … */
export function demoPlate(n: number): string {
  return `${String(101 + n).padStart(3, "0")}DEM`;
}

/** Registers a car and a B licence for each person; returns their plates, in order. */
export async function seedDemoVehicles(
  location: { dataDir: string; url?: string },
  personalCodes: readonly string[],
  today = new Date(),
): Promise<string[]> {
  const register = await openVehicleRegister(location);
  const day = (yearsFromToday: number) => {
    const at = new Date(today);
    at.setUTCFullYear(at.getUTCFullYear() + yearsFromToday);
    return at.toISOString().slice(0, 10);
  };
  try {
    const plates: string[] = [];
    for (const [i, owner] of personalCodes.entries()) {
      const vehicle = await register.registerVehicle(
        {
          vin: demoVin(i),
          plate: demoPlate(i),
          make: "Škoda",
          model: "Octavia",
          category: "M1",
          owner,
        },
        today,
      );
      await register.issueLicence(
        owner,
        `ET${String(100_001 + i).padStart(6, "0")}`,
        [{ category: "B", since: day(-10), validUntil: day(5) }],
        today,
      );
      plates.push(vehicle.plate);
    }
    return plates;
  } finally {
    await register.close();
  }
}
