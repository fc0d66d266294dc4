// The health information system's storage and its prescription centre, opened together (the
// centre's medicines register filled with the sample medicines it lacks).
import type { ValidationOptions } from "@riik/signature";
import { PrescriptionCentre } from "./prescriptions/centre.ts";
import type { InsuranceCheck } from "./prescriptions/insurance-check.ts";
import { type Medicine, SAMPLE_MEDICINES } from "./prescriptions/medicines.ts";
import { type HealthStore, openHealthStore } from "./storage/health-store.ts";

export interface HealthSystem {
  store: HealthStore;
  centre: PrescriptionCentre;
  close(): Promise<void>;
}

export async function openHealthSystem(
  location: { dataDir: string; url?: string; schema?: string },
  options: {
    trustAnchors: ValidationOptions["trustAnchors"];
    medicines?: readonly Medicine[];
    /** The health insurance fund, asked before each dispensing (insurance-check.ts). */
    insurance?: InsuranceCheck;
  },
): Promise<HealthSystem> {
  const store = await openHealthStore(location);
  const centre = new PrescriptionCentre(store, options.trustAnchors, options.insurance);
  try {
    await centre.registerMedicines(options.medicines ?? SAMPLE_MEDICINES);
  } catch (error) {
    await store.close();
    throw error;
  }
  return { store, centre, close: () => store.close() };
}
