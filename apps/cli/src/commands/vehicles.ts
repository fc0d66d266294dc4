import { resolve } from "node:path";
import { readCertificate } from "@riik/pki";
import { startVehicles } from "@riik/vehicles";
import { vehiclesDescriptor } from "@riik/vehicles/descriptor";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerVehiclesCommands(program: Command): void {
  const vehicles = program
    .command("vehicles")
    .description(
      "the Transport Administration: vehicles, driving licences, ownership transfers signed by both parties",
    );
  servedCommand(vehicles, vehiclesDescriptor, async (config) => {
    const server = await startVehicles({
      dataDir: resolve(config.dir),
      ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
      port: config.port,
      host: config.host,
      trustAnchors: [readCertificate(config.trust)],
    });
    process.stdout.write(`vehicle register listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
}
