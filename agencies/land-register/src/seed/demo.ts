// The sandbox's demo apartment: one apartment ownership (korteriomand) owned by a demo person,
// so a sale through a notary has something to convey on a fresh state (riik up seeds it).
import type { EntryAnchor } from "../journal/entry-record.ts";
import { openLandRegister, type RegisterPart } from "../storage/register.ts";

/** The subsystem the land register runs as: the entry's `by` when the sandbox seeds it. */
export const LAND_REGISTER_SUBSYSTEM = "EE/GOV/70000310/kinnistusraamat";
/** The demo apartment's register part number and cadastral unit. */
export const DEMO_APARTMENT = { number: "10101", cadastralCode: "78401:101:0010" } as const;

/** Opens the demo apartment's register part owned by `owner` (personal code); its entry is anchored. */
export async function seedDemoApartment(
  location: { dataDir: string; url?: string; schema?: string },
  owner: string,
  anchor: EntryAnchor,
  at = new Date(),
): Promise<RegisterPart> {
  const register = await openLandRegister(location, { anchor, trustAnchors: [] });
  try {
    return await register.openRegisterPart(
      LAND_REGISTER_SUBSYSTEM,
      {
        number: DEMO_APARTMENT.number,
        kind: "apartment",
        composition: {
          units: [{ cadastralCode: DEMO_APARTMENT.cadastralCode, purpose: "residential", areaM2: 1840 }],
          apartment: { share: "6784/100000", description: "Korteriomand nr 12: eluruum nr 12, Pärnu mnt 20, Tallinn" },
        },
        owners: [{ kind: "person", code: owner, share: "1/1" }],
      },
      at,
    );
  } finally {
    await register.close();
  }
}
