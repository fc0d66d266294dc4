import { resolve } from "node:path";
import { startMotorInsurance } from "@riik/motor-insurance";
import { motorInsuranceDescriptor } from "@riik/motor-insurance/descriptor";
import { readCertificate } from "@riik/pki";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerMotorInsuranceCommands(program: Command): void {
  const bureau = program
    .command("motor-insurance")
    .description(
      "the motor insurers' bureau: policies, who insures a vehicle now, accident cases anchored in the ledger",
    );
  servedCommand(bureau, motorInsuranceDescriptor, async (config) => {
    const { xroadSecurityServer, xroadClient, companiesService } = config;
    const server = await startMotorInsurance({
      dataDir: resolve(config.dir),
      ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
      port: config.port,
      host: config.host,
      trustAnchors: [readCertificate(config.trust)],
      ledgerUrl: config.ledgerUrl,
      policeClients: config.policeClients,
      ...(xroadSecurityServer && xroadClient && companiesService
        ? { exchange: { securityServer: xroadSecurityServer, client: xroadClient, companiesService } }
        : {}),
    });
    process.stdout.write(`motor insurers' bureau listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
}
