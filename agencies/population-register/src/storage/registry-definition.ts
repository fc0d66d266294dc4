import type { RegistryDefinition } from "@riik/core";
import { applyChange } from "./apply-change.ts";
import { populationRegisterMigrations } from "./migrations.ts";
import { POPULATION_REGISTER_COMPONENT } from "./register.ts";
import { POPULATION_REGISTER_TABLES, type PopulationRegisterDb } from "./schema.ts";

/** The register as the data embassy replicates it (loaded by name as `embassyRegistry`). */
export const embassyRegistry: RegistryDefinition<PopulationRegisterDb> = {
  name: "population-register",
  component: POPULATION_REGISTER_COMPONENT,
  migrations: populationRegisterMigrations,
  tables: POPULATION_REGISTER_TABLES,
  applyChange,
};
