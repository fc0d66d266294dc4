import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ComponentMigration } from "@riik/core";
import type { Transaction } from "kysely";
import { EmbassyError } from "../errors.ts";

/** One change journal row as it travels in a segment (core's change_journal table). */
export interface JournalEntry {
  seq: number;
  at: string;
  entity: string;
  key: string;
  op: "upsert" | "delete";
  /** The entity's state after the change, as JSON text; null for a deletion. */
  data: string | null;
}

/**
 * What the embassy needs of a registry: a storage component with a change_journal table,
 * its migrations, and a function that applies one journal entry (used by restore, inside
 * the restore's transaction). Snapshots dump the component's tables generically.
 */
export interface RegistryDefinition {
  /** The registry's name in chains, URLs and commands, e.g. "population-register". */
  readonly name: string;
  /** Its storage component: the SQLite file DIR/<component>.sqlite, the schema riik_<component>. */
  readonly component: string;
  readonly migrations: Readonly<Record<string, ComponentMigration>>;
  applyChange(trx: Transaction<any>, entry: JournalEntry): Promise<void>;
}

const known = new Map<string, RegistryDefinition>();

/** Makes a registry known by name in this process (tests, embedders). */
export function defineRegistry(definition: RegistryDefinition): RegistryDefinition {
  known.set(definition.name, definition);
  return definition;
}

/**
 * Finds a registry: one defined in this process, one exported as `embassyRegistry` by a
 * module (a config's `module`), or a built-in: the population register.
 */
export async function loadRegistry(name: string, module?: string): Promise<RegistryDefinition> {
  const defined = known.get(name);
  if (defined) return defined;
  if (module) {
    const specifier = module.startsWith(".") || isAbsolute(module) ? pathToFileURL(resolve(module)).href : module;
    const loaded = (await import(specifier)) as { embassyRegistry?: RegistryDefinition };
    if (!loaded.embassyRegistry || loaded.embassyRegistry.name !== name)
      throw new EmbassyError("EMBASSY_UNKNOWN_REGISTRY", `${module} does not export embassyRegistry named ${name}`);
    return defineRegistry(loaded.embassyRegistry);
  }
  if (name === "population-register") return defineRegistry(await populationRegister());
  throw new EmbassyError(
    "EMBASSY_UNKNOWN_REGISTRY",
    `unknown registry ${JSON.stringify(name)}; known: population-register`,
  );
}

async function populationRegister(): Promise<RegistryDefinition> {
  // Loaded by name so that this package does not depend on the register at build time.
  const specifier = "@riik/population-register";
  let mod: Record<string, any>;
  try {
    mod = (await import(specifier)) as Record<string, any>;
  } catch (cause) {
    throw new EmbassyError("EMBASSY_UNKNOWN_REGISTRY", `cannot load ${specifier}: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (mod.embassyRegistry) return mod.embassyRegistry as RegistryDefinition;
  if (typeof mod.applyChange !== "function" || !mod.populationRegisterMigrations)
    throw new EmbassyError(
      "EMBASSY_UNKNOWN_REGISTRY",
      `${specifier} exports neither embassyRegistry nor applyChange + populationRegisterMigrations`,
    );
  return {
    name: "population-register",
    component: "population_register",
    migrations: mod.populationRegisterMigrations,
    applyChange: (trx, entry) => mod.applyChange(trx, entry),
  };
}
