// Components that other packages provide and `riik up` starts when they are installed:
// the population register, the police system, the portal and the data embassy. Their
// descriptors (and the register's seeding, the embassy's init) are loaded by name at run time, so that a state without one of them still
// boots (and still type-checks).
import type { ComponentDescriptor } from "@riik/core";

/** A person as the population register's demoPersons() returns them. */
export interface DemoPerson {
  personalCode: string;
  givenName: string;
  surname: string;
}

export interface SeedOptions {
  /** The register's directory (DIR/population-register). */
  dataDir: string;
  /** PostgreSQL URL; SQLite in dataDir when absent. */
  url?: string;
  persons: number;
  onProgress?: (done: number, total: number) => void;
}

/** The part of @riik/population-register that `riik up` uses. */
export interface PopulationRegisterModule {
  seedPopulation(options: SeedOptions): Promise<unknown>;
  demoPersons(options: { dataDir: string; url?: string }, n: number): Promise<DemoPerson[]>;
  livingPersonalCodes(options: { dataDir: string; url?: string }): Promise<string[]>;
}

/**
 * Imports a workspace module; undefined when its package is not installed. Each caller names
 * the module in a literal import() so the CLI bundle (apps/cli/bin/bundle.mjs) includes it.
 */
export async function importOptional<T>(name: string, load: () => Promise<unknown>): Promise<T | undefined> {
  try {
    return (await load()) as T;
  } catch (error) {
    // Only the package itself missing counts; a broken import inside it is a real error.
    const { code, message } = error as { code?: string; message?: string };
    if (code === "ERR_MODULE_NOT_FOUND" && message?.includes(`'${name}'`)) return undefined;
    throw error;
  }
}

export const loadPopulationRegister = () =>
  importOptional<PopulationRegisterModule>("@riik/population-register", () => import("@riik/population-register"));

/** The part of @riik/embassy that `riik up` uses: `riik embassy init`, in this process. */
export interface EmbassyModule {
  initShipperHome(options: { dir: string; pkiDir: string; ledgerKey?: string; databaseUrl?: string }): Promise<unknown>;
}

export const loadEmbassy = () => importOptional<EmbassyModule>("@riik/embassy", () => import("@riik/embassy"));

/** The part of @riik/business-register that `riik up` uses: demo companies for the demo persons. */
export interface BusinessRegisterModule {
  seedDemoCompaniesIn(
    location: { dataDir: string; url?: string },
    persons: readonly DemoPerson[],
    /** Companies that are members of the exchange layer, under their member codes. */
    members: ReadonlyArray<{ registryCode: string; name: string; activity: string; board: DemoPerson }>,
  ): Promise<unknown[]>;
}

export const loadBusinessRegister = () =>
  importOptional<BusinessRegisterModule>("@riik/business-register", () => import("@riik/business-register"));

/** The part of @riik/tax-board that `riik up` uses: last year's declarations for the population. */
export interface TaxBoardModule {
  seedTaxYear(options: {
    dataDir: string;
    url?: string;
    year: number;
    persons: Iterable<string>;
  }): Promise<{ persons: number; declarations: number }>;
  /** The years the Board has rules for (the seeded year must be one). */
  TAX_YEARS: ReadonlyArray<{ year: number }>;
}

export const loadTaxBoard = () => importOptional<TaxBoardModule>("@riik/tax-board", () => import("@riik/tax-board"));

/** The part of @riik/vehicles that `riik up` uses: the demo persons' cars and licences. */
export interface VehiclesModule {
  seedDemoVehicles(location: { dataDir: string; url?: string }, personalCodes: readonly string[]): Promise<string[]>;
  /** The n-th demo car's VIN and plate. */
  demoVin(n: number): string;
  demoPlate(n: number): string;
}

export const loadVehicles = () => importOptional<VehiclesModule>("@riik/vehicles", () => import("@riik/vehicles"));

/** The part of @riik/motor-insurance that `riik up` uses: the sandbox insurer's policies on the demo cars. */
export interface MotorInsuranceModule {
  seedDemoInsurance(
    location: { dataDir: string; url?: string },
    cars: ReadonlyArray<{ vin: string; plate: string; holder: { name: string; personalCode: string } }>,
    anchor: unknown,
  ): Promise<unknown[]>;
  ledgerAnchor(ledgerUrl: string): unknown;
  SANDBOX_INSURER: { registryCode: string; name: string };
}

export const loadMotorInsurance = () =>
  importOptional<MotorInsuranceModule>("@riik/motor-insurance", () => import("@riik/motor-insurance"));

/** The part of @riik/health that `riik up` uses: the insurance fund's insured, the clinic and the pharmacy. */
export interface HealthModule {
  seedSandboxInsured(location: { dataDir: string; url?: string }, personalCodes: readonly string[]): Promise<number>;
  seedSandboxProviders(
    location: { dataDir: string; url?: string },
    spec: {
      clinic: { registryCode: string; name: string };
      pharmacy: { registryCode: string; name: string };
      doctor: DemoPerson;
      pharmacist: DemoPerson;
      patients: readonly DemoPerson[];
    },
  ): Promise<unknown>;
}

export const loadHealth = () => importOptional<HealthModule>("@riik/health", () => import("@riik/health"));

/** The part of @riik/land-register that `riik up` uses: an apartment for a demo person, anchored in the ledger. */
export interface LandRegisterModule {
  seedDemoApartment(location: { dataDir: string; url?: string }, owner: string, anchor: unknown): Promise<unknown>;
  ledgerAnchor(ledgerUrl: string): unknown;
}

export const loadLandRegister = () =>
  importOptional<LandRegisterModule>("@riik/land-register", () => import("@riik/land-register"));

/** The descriptors of the optional components that are installed. */
export interface OptionalDescriptors {
  registry?: ComponentDescriptor;
  police?: ComponentDescriptor;
  portal?: ComponentDescriptor;
  embassy?: { node: ComponentDescriptor; shipper: ComponentDescriptor };
  business?: ComponentDescriptor;
  /** The state inbox and the sandbox mail server its notices go to (@riik/inbox). */
  inbox?: { service: ComponentDescriptor; mail: ComponentDescriptor };
  /** The Social Insurance Board (@riik/social-insurance). */
  socialInsurance?: ComponentDescriptor;
  /** The Transport Administration's vehicle register (@riik/vehicles). */
  vehicles?: ComponentDescriptor;
  /** The motor insurers' bureau (@riik/motor-insurance). */
  motorInsurance?: ComponentDescriptor;
  /** The health information system and the health insurance fund (@riik/health). */
  health?: { system: ComponentDescriptor; insurance: ComponentDescriptor };
  /** The Tax and Customs Board (@riik/tax-board). */
  taxBoard?: ComponentDescriptor;
  /** The CDOC2 key capsule server (@riik/cdoc). */
  capsules?: ComponentDescriptor;
  /** The e-Residency agency (@riik/e-residency). */
  eResidency?: ComponentDescriptor;
  /** The land register (@riik/land-register). */
  landRegister?: ComponentDescriptor;
}

type Descriptors = Record<string, ComponentDescriptor>;

/** Loads the descriptors of the optional components whose riik command this installation has. */
export async function loadOptionalDescriptors(has: (command: string) => boolean): Promise<OptionalDescriptors> {
  const load = (command: string, name: string, module: () => Promise<unknown>) =>
    has(command) ? importOptional<Descriptors>(name, module) : Promise.resolve(undefined);
  const [registry, police, portal, embassy, business] = await Promise.all([
    load("registry", "@riik/population-register", () => import("@riik/population-register/descriptor")),
    load("police", "@riik/police", () => import("@riik/police/descriptor")),
    load("portal", "@riik/portal", () => import("@riik/portal/descriptor")),
    load("embassy", "@riik/embassy", () => import("@riik/embassy/descriptor")),
    load("business", "@riik/business-register", () => import("@riik/business-register/descriptor")),
  ]);
  const [inbox, socialInsurance, vehicles, motorInsurance, health, taxBoard] = await Promise.all([
    load("inbox", "@riik/inbox", () => import("@riik/inbox/descriptor")),
    load("social-insurance", "@riik/social-insurance", () => import("@riik/social-insurance/descriptor")),
    load("vehicles", "@riik/vehicles", () => import("@riik/vehicles/descriptor")),
    load("motor-insurance", "@riik/motor-insurance", () => import("@riik/motor-insurance/descriptor")),
    load("health", "@riik/health", () => import("@riik/health/descriptor")),
    load("tax-board", "@riik/tax-board", () => import("@riik/tax-board/descriptor")),
  ]);
  const [capsules, eResidency, landRegister] = await Promise.all([
    load("cdoc", "@riik/cdoc", () => import("@riik/cdoc/descriptor")),
    load("e-residency", "@riik/e-residency", () => import("@riik/e-residency/descriptor")),
    load("land-register", "@riik/land-register", () => import("@riik/land-register/descriptor")),
  ]);
  return {
    ...(registry ? { registry: registry.populationRegisterDescriptor! } : {}),
    ...(police ? { police: police.policeDescriptor! } : {}),
    ...(portal ? { portal: portal.portalDescriptor! } : {}),
    ...(embassy ? { embassy: { node: embassy.embassyDescriptor!, shipper: embassy.shipperDescriptor! } } : {}),
    ...(business ? { business: business.businessRegisterDescriptor! } : {}),
    ...(inbox ? { inbox: { service: inbox.inboxDescriptor!, mail: inbox.mailDescriptor! } } : {}),
    ...(socialInsurance ? { socialInsurance: socialInsurance.socialInsuranceDescriptor! } : {}),
    ...(vehicles ? { vehicles: vehicles.vehiclesDescriptor! } : {}),
    ...(motorInsurance ? { motorInsurance: motorInsurance.motorInsuranceDescriptor! } : {}),
    ...(health ? { health: { system: health.healthDescriptor!, insurance: health.healthInsuranceDescriptor! } } : {}),
    ...(taxBoard ? { taxBoard: taxBoard.taxBoardDescriptor! } : {}),
    ...(capsules ? { capsules: capsules.capsuleServerDescriptor! } : {}),
    ...(eResidency ? { eResidency: eResidency.eResidencyDescriptor! } : {}),
    ...(landRegister ? { landRegister: landRegister.landRegisterDescriptor! } : {}),
  };
}
