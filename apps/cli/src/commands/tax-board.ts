import { resolve } from "node:path";
import { startTaxBoard } from "@riik/tax-board";
import { taxBoardDescriptor } from "@riik/tax-board/descriptor";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerTaxBoardCommands(program: Command): void {
  const board = program
    .command("tax-board")
    .description("the Tax and Customs Board: payers' declarations over X-Road and the pre-filled income tax return");
  servedCommand(board, taxBoardDescriptor, async (config) => {
    const { xroadSecurityServer, xroadClient, personsService, officialCode } = config;
    const server = await startTaxBoard({
      dataDir: resolve(config.dir),
      ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
      port: config.port,
      host: config.host,
      ...(xroadSecurityServer && xroadClient && personsService && officialCode
        ? { exchange: { securityServer: xroadSecurityServer, client: xroadClient, personsService, officialCode } }
        : {}),
    });
    process.stdout.write(`Tax and Customs Board listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
}
