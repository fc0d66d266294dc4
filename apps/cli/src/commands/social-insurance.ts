import { resolve } from "node:path";
import { startSocialInsurance } from "@riik/social-insurance";
import { socialInsuranceDescriptor } from "@riik/social-insurance/descriptor";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerSocialInsuranceCommands(program: Command): void {
  const board = program
    .command("social-insurance")
    .description("the Social Insurance Board: family benefits offered on a birth, without an application");
  servedCommand(board, socialInsuranceDescriptor, async (config) => {
    const { xroadSecurityServer, xroadClient, eventsService, personsService, inboxService, officialCode } = config;
    const server = await startSocialInsurance({
      dataDir: resolve(config.dir),
      ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
      port: config.port,
      host: config.host,
      ...(xroadSecurityServer && xroadClient && eventsService && personsService && inboxService && officialCode
        ? {
            exchange: {
              securityServer: xroadSecurityServer,
              client: xroadClient,
              eventsService,
              personsService,
              inboxService,
              officialCode,
            },
          }
        : {}),
    });
    process.stdout.write(`Social Insurance Board listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
}
