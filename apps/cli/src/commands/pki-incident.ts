import { XRoadRestClient } from "@riik/kit";
import {
  CertificateRegistry,
  declareIncident,
  enforceIncidentDeadline,
  type IncidentCriterion,
  incidentReport,
  listIncidents,
  PkiError,
} from "@riik/pki";
import { INBOX, PPA_SERVICE_DESK, ProgressBar, readStateFile } from "@riik/state";
import type { Command } from "commander";
import { Type } from "typebox";
import { NOTICE_BATCH, sendIncidentNotices } from "../incident-notices.ts";
import { parsePositiveInteger, securityServerUrl } from "../options.ts";

/** The inbox's answer to POST /message-batches. */
const BATCH_CREATED = Type.Object({
  messages: Type.Array(Type.Object({ id: Type.String(), duplicate: Type.Boolean() })),
});

interface StoreOptions {
  dir: string;
  db?: string;
}

async function withRegistry<T>(options: StoreOptions, use: (registry: CertificateRegistry) => Promise<T>): Promise<T> {
  const registry = await CertificateRegistry.open({ dataDir: options.dir, url: options.db });
  try {
    return await use(registry);
  } finally {
    await registry.close();
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `riik pki incident …`: a key incident on the trust services' registry (issue 18), run by the
 * operator: declare (find and suspend), follow, and at the deadline revoke what was not renewed.
 */
export function registerIncidentCommands(pki: Command, store: (command: Command) => Command): void {
  const incident = pki
    .command("incident")
    .description("key incidents: suspend every certificate whose key is weak, renew, revoke the rest at a deadline");

  store(incident.command("declare"))
    .description("declare an incident and suspend every valid certificate it covers (run again to resume)")
    .requiredOption("--id <id>", "a short id, e.g. 2026-roca (lower-case letters, digits, -)")
    .requiredOption("--title <text>", "what happened, for the public status page")
    .option("--roca", "keys with RSALib's fingerprint (CVE-2017-15361)")
    .option("--rsa-below <bits>", "RSA keys shorter than BITS", parsePositiveInteger)
    .option("--issued-from <time>", "issued at or after (ISO 8601): a chip batch by personalisation date")
    .option("--issued-to <time>", "issued before (ISO 8601)")
    .option("--purpose <purpose>", "only this purpose (id-authentication, id-signing, …); repeatable", collect, [])
    .requiredOption("--renew-by <time>", "until when holders may renew (ISO 8601)")
    .option("--actor <name>", "who declares it (recorded with every status change)", "operator")
    .action(
      async (
        options: StoreOptions & {
          id: string;
          title: string;
          roca?: boolean;
          rsaBelow?: number;
          issuedFrom?: string;
          issuedTo?: string;
          purpose: string[];
          renewBy: string;
          actor: string;
        },
      ) => {
        if (options.roca && options.rsaBelow)
          throw new PkiError("PKI_ARGUMENT", "give --roca or --rsa-below, not both");
        if (Boolean(options.issuedFrom) !== Boolean(options.issuedTo))
          throw new PkiError("PKI_ARGUMENT", "give both --issued-from and --issued-to, or neither");
        const criterion: IncidentCriterion = {
          ...(options.roca ? { key: "roca-fingerprint" as const } : {}),
          ...(options.rsaBelow ? { key: { rsaBelowBits: options.rsaBelow } } : {}),
          ...(options.issuedFrom && options.issuedTo
            ? { issued: { from: options.issuedFrom, to: options.issuedTo } }
            : {}),
          ...(options.purpose.length > 0 ? { purposes: options.purpose } : {}),
        };
        const bar = new ProgressBar(`incident ${options.id}: certificates checked`);
        const result = await withRegistry(options, (registry) =>
          declareIncident(
            registry,
            { id: options.id, title: options.title, criterion, renewBy: options.renewBy, actor: options.actor },
            (progress) => bar.update(progress.scanned, progress.total),
          ),
        );
        console.log(`incident ${options.id}: ${result.affected} of ${result.scanned} valid certificates suspended`);
      },
    );

  store(incident.command("status"))
    .description("an incident's counts (suspended, renewed, revoked, released) and its days, as JSON")
    .requiredOption("--id <id>", "the incident")
    .action(async (options: StoreOptions & { id: string }) => {
      console.log(
        JSON.stringify(await withRegistry(options, (registry) => incidentReport(registry, options.id)), null, 2),
      );
    });

  store(incident.command("list"))
    .description("every declared incident, newest first")
    .action(async (options: StoreOptions) => {
      for (const row of await withRegistry(options, listIncidents))
        console.log(
          `${row.id}  declared ${row.declared_at}  renew by ${row.renew_by}  ${row.closed_at ? `closed ${row.closed_at}` : "open"}  ${row.title}`,
        );
    });

  store(incident.command("notify"))
    .description(
      "send every holder still on hold a notice to their state inbox over X-Road, once per incident (run again to resume)",
    )
    .requiredOption("--id <id>", "the incident")
    .option("--data <dir>", "the data directory of a state started by riik up (finds the security server)")
    .option("--security-server <url>", "the client URL of the issuer's security server (instead of --data)")
    .option("--client <id>", "X-Road-Client: the card issuer's subsystem that sends", PPA_SERVICE_DESK)
    .option("--inbox-service <id>", "the state inbox's messages service", `${INBOX}/messages`)
    .option("--status-url <url>", "the public status page named in the notice (default with --data: the state's)")
    .action(
      async (
        options: StoreOptions & {
          id: string;
          data?: string;
          securityServer?: string;
          client: string;
          inboxService: string;
          statusUrl?: string;
        },
      ) => {
        const xroad = new XRoadRestClient({ securityServer: securityServerUrl(options), client: options.client });
        const pki = options.data ? readStateFile(options.data).services.pki?.url : undefined;
        const statusUrl = options.statusUrl ?? (pki ? `${pki}/incidents/${options.id}` : undefined);
        const bar = new ProgressBar(`incident ${options.id}: holders notified`);
        const counts = await withRegistry(options, (registry) =>
          sendIncidentNotices(
            registry,
            options.id,
            async (messages) =>
              (
                await xroad.call({
                  service: options.inboxService,
                  path: "/message-batches",
                  method: "POST",
                  answer: BATCH_CREATED,
                  body: { messages },
                  issue: `Võtmeintsident ${options.id}`,
                })
              ).body.messages,
            {
              batch: NOTICE_BATCH,
              ...(statusUrl ? { statusUrl } : {}),
              progress: (done, total) => bar.update(done, total),
            },
          ),
        );
        console.log(
          `incident ${options.id}: ${counts.sent} notices sent, ${counts.alreadySent} sent before, of ${counts.holders} holders on hold`,
        );
      },
    );

  store(incident.command("deadline"))
    .description("after the renewal deadline: revoke every certificate still suspended, and close the incident")
    .requiredOption("--id <id>", "the incident")
    .option("--actor <name>", "who enforces it", "operator")
    .action(async (options: StoreOptions & { id: string; actor: string }) => {
      const revoked = await withRegistry(options, (registry) =>
        enforceIncidentDeadline(registry, options.id, options.actor, (n) => process.stderr.write(`revoked ${n}\n`)),
      );
      console.log(`incident ${options.id}: ${revoked} certificates left suspended were settled; closed`);
    });
}
