// Components that other packages provide and `riik up` starts when they are installed:
// the population register, the portal and the data embassy. Loaded by name at run time
// so that a state without one of them still boots (and still type-checks).

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
  /** The register's OpenAPI description (JSON), imported into its security server. */
  populationRegisterOpenApi?(): Promise<unknown>;
}

/** Imports a workspace package by name; undefined when it is not installed. */
export async function importOptional<T>(name: string): Promise<T | undefined> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    // Only the package itself missing counts; a broken import inside it is a real error.
    const { code, message } = error as { code?: string; message?: string };
    if (code === "ERR_MODULE_NOT_FOUND" && message?.includes(`'${name}'`)) return undefined;
    throw error;
  }
}

export const loadPopulationRegister = () => importOptional<PopulationRegisterModule>("@riik/population-register");
