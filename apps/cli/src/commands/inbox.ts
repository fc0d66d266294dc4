import { resolve } from "node:path";
import { startInbox } from "@riik/inbox";
import { inboxDescriptor } from "@riik/inbox/descriptor";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerInboxCommands(program: Command): void {
  const inbox = program
    .command("inbox")
    .description("the state inbox: messages from agencies to a person over X-Road, e-mail notices of new ones");
  servedCommand(inbox, inboxDescriptor, async (config) => {
    const server = await startInbox({
      dataDir: resolve(config.dir),
      url: config.databaseUrl,
      port: config.port,
      host: config.host,
      smtpUrl: config.smtpUrl,
      portalUrl: config.portalUrl,
      mailFrom: config.mailFrom,
      messagesClients: config.messagesClients,
      mailboxClients: config.mailboxClients,
      personSenderClients: config.personSenderClients,
      maxAttachmentBytes: config.maxAttachmentBytes,
    });
    process.stdout.write(`state inbox listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
}
