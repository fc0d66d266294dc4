import { resolve } from "node:path";
import { startHealth, startHealthInsurance } from "@riik/health";
import { healthDescriptor, healthInsuranceDescriptor } from "@riik/health/descriptor";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerHealthCommands(program: Command): void {
  const health = program
    .command("health")
    .description(
      "the health information system: a FHIR R4 API, e-prescriptions, closures and every read shown to the patient",
    );
  servedCommand(health, healthDescriptor, async (config) => {
    const server = await startHealth({
      dataDir: resolve(config.dir),
      ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
      port: config.port,
      host: config.host,
      trust: config.trust,
    });
    process.stdout.write(`health information system listening at ${server.url} (FHIR: ${server.url}/fhir/metadata)\n`);
    await untilSignalled();
    await server.close();
  });
}

export function registerHealthInsuranceCommands(program: Command): void {
  const fund = program
    .command("health-insurance")
    .description("the health insurance fund's register: is this person insured today");
  servedCommand(fund, healthInsuranceDescriptor, async (config) => {
    const server = await startHealthInsurance({
      dataDir: resolve(config.dir),
      ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
      port: config.port,
      host: config.host,
    });
    process.stdout.write(`health insurance fund listening at ${server.url}\n`);
    await untilSignalled();
    await server.close();
  });
}
