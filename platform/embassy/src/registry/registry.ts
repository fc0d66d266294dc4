import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { RegistryDefinition } from "@riik/core";
import { EmbassyError } from "../errors.ts";

let typeScriptLoader: Promise<void> | undefined;
const loadTypeScript = () => {
  typeScriptLoader ??= import("tsx/esm/api").then((tsx) => void tsx.register());
  return typeScriptLoader;
};

/**
 * The registry a configuration or a command names. The embassy knows no agency: whoever runs
 * the shipper, restore or drill passes the definitions it replicates (the CLI passes the
 * population register's); a configuration may instead name a module exporting one as
 * `embassyRegistry`, for registries the runner does not know.
 */
export async function resolveRegistry(
  name: string,
  known: readonly RegistryDefinition[],
  module?: string,
): Promise<RegistryDefinition> {
  if (module) {
    const specifier = module.startsWith(".") || isAbsolute(module) ? pathToFileURL(resolve(module)).href : module;
    let loaded: { embassyRegistry?: RegistryDefinition };
    try {
      // A module written in TypeScript needs tsx's loader: the riik command runs as a JavaScript bundle.
      if (/\.[mc]?ts$/.test(specifier)) await loadTypeScript();
      loaded = (await import(specifier)) as { embassyRegistry?: RegistryDefinition };
    } catch (cause) {
      throw new EmbassyError("EMBASSY_UNKNOWN_REGISTRY", `cannot load ${module}: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (!loaded.embassyRegistry || loaded.embassyRegistry.name !== name)
      throw new EmbassyError("EMBASSY_UNKNOWN_REGISTRY", `${module} does not export embassyRegistry named ${name}`);
    return loaded.embassyRegistry;
  }
  const definition = known.find((d) => d.name === name);
  if (definition) return definition;
  throw new EmbassyError(
    "EMBASSY_UNKNOWN_REGISTRY",
    `unknown registry ${JSON.stringify(name)}; known: ${known.map((d) => d.name).join(", ") || "none"} (or name a module exporting embassyRegistry)`,
  );
}
