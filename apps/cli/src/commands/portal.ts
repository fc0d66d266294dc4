import { createPortal, readPortalConfig } from "@riik/portal";
import type { Command } from "commander";
import { parsePort, untilSignalled } from "../options.ts";

export function registerPortalCommands(program: Command): void {
  const portal = program
    .command("portal")
    .description(
      "the citizen portal: log in through the authentication service, my data, who used my data, acting for others",
    );
  portal
    .command("serve")
    .description("run the portal with the configuration FILE (JSON; see apps/portal/README.md)")
    .requiredOption("--config <file>", "portal configuration file")
    .option("--port <port>", "TCP port (overrides the file's port)", parsePort)
    .action(async (options: { config: string; port?: number }) => {
      const config = readPortalConfig(options.config);
      const stopping = untilSignalled();
      const server = await createPortal(config);
      const url = await server.listen(options.port ?? config.port);
      process.stdout.write(`portal listening at ${url}; public origin ${config.publicOrigin}\n`);
      const signal = await stopping;
      process.stdout.write(`portal: ${signal}, stopping\n`);
      await server.close();
    });
}
