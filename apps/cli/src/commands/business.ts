import { resolve } from "node:path";
import { startBusinessRegister } from "@riik/business-register";
import { businessRegisterDescriptor } from "@riik/business-register/descriptor";
import { readCertificate } from "@riik/pki";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerBusinessCommands(program: Command): void {
  const business = program
    .command("business")
    .description("the e-Business Register: companies, registry codes, representation rights, founding an OÜ online");
  servedCommand(business, businessRegisterDescriptor, async (config) => {
    const server = await startBusinessRegister({
      dataDir: resolve(config.dir),
      url: config.databaseUrl,
      port: config.port,
      host: config.host,
      trustAnchors: [readCertificate(resolve(config.trust))],
    });
    process.stdout.write(`business register listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
}
