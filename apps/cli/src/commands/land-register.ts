import { resolve } from "node:path";
import { startLandRegister } from "@riik/land-register";
import { landRegisterDescriptor } from "@riik/land-register/descriptor";
import { readCertificate } from "@riik/pki";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerLandRegisterCommands(program: Command): void {
  const landRegister = program
    .command("land-register")
    .description(
      "the land register: register parts I-IV, notaries' deeds ranked in the journal, registrars' entries anchored in the ledger",
    );
  servedCommand(landRegister, landRegisterDescriptor, async (config) => {
    const { xroadSecurityServer, xroadClient, businessBansService } = config;
    const server = await startLandRegister({
      dataDir: resolve(config.dir),
      ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
      port: config.port,
      host: config.host,
      trustAnchors: [readCertificate(config.trust)],
      ledgerUrl: config.ledgerUrl,
      registrars: config.registrarClients,
      fileClients: [...config.notaryClients, ...config.courtClients],
      ...(xroadSecurityServer && xroadClient && businessBansService
        ? { exchange: { securityServer: xroadSecurityServer, client: xroadClient, businessBansService } }
        : {}),
    });
    process.stdout.write(`land register listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
}
