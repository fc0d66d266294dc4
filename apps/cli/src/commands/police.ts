import { createPoliceApp, readPoliceConfig } from "@riik/police";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";

export function registerPoliceCommands(program: Command): void {
  const police = program
    .command("police")
    .description("the police and border guard's sample information system: person queries through X-Road");

  police
    .command("serve")
    .description(
      "serve POST /queries {personalCode, purpose, officer, hiddenUntil?, hiddenReason?}, /healthz, /metrics",
    )
    .requiredOption("--config <file>", "police.json: {port, host, client, securityServer: {url}, personsService}")
    .action(async (o: { config: string }) => {
      const app = createPoliceApp(readPoliceConfig(o.config));
      const address = await app.listen();
      console.log(`police app ${address}/queries`);
      await untilSignalled();
      await app.close();
    });
}
