import { resolve } from "node:path";
import { startMailServer } from "@riik/inbox";
import { mailDescriptor } from "@riik/inbox/descriptor";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerMailCommands(program: Command): void {
  const mail = program
    .command("mail")
    .description("the sandbox mail server: keeps the e-mail the state sends (notices), for people and tests to read");
  servedCommand(mail, mailDescriptor, async (config) => {
    const server = await startMailServer({
      dir: resolve(config.dir),
      smtpPort: config.smtpPort,
      httpPort: config.httpPort,
      host: config.host,
      maxMessageBytes: config.maxMessageBytes,
      maxMessages: config.maxMessages,
    });
    process.stdout.write(`mail server: SMTP ${server.smtpUrl}, messages at ${server.httpUrl}/messages\n`);
    await untilSignalled();
    await server.close();
  });
}
