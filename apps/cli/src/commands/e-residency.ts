import { resolve } from "node:path";
import { EResidencyError, signDecision, startEResidency } from "@riik/e-residency";
import { eResidencyDescriptor } from "@riik/e-residency/descriptor";
import { cardCertificate, ocspUrlOf, readCardFile, readCertificate, readRegistrationAuthorityToken } from "@riik/pki";
import type { Command } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerEResidencyCommands(program: Command): void {
  const eResidency = program
    .command("e-residency")
    .description(
      "the Police and Border Guard Board's e-Residency: applications, background checks, signed decisions, digital IDs",
    );
  servedCommand(eResidency, eResidencyDescriptor, async (config) => {
    const { xroadSecurityServer, xroadClient, backgroundChecksService, populationRegisterService } = config;
    const { pkiUrl, raTokenFile, applicationsPerHour } = config;
    const server = await startEResidency({
      dataDir: resolve(config.dir),
      ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
      port: config.port,
      host: config.host,
      trustAnchors: [readCertificate(config.trust)],
      officials: config.officials,
      ...(xroadSecurityServer && xroadClient && backgroundChecksService
        ? {
            exchange: {
              securityServer: xroadSecurityServer,
              client: xroadClient,
              backgroundChecksService,
              ...(populationRegisterService ? { populationRegisterService } : {}),
            },
          }
        : {}),
      ...(applicationsPerHour ? { applicationsPerHour } : {}),
      ...(pkiUrl && raTokenFile
        ? { registrationAuthority: { url: pkiUrl, token: readRegistrationAuthorityToken(raTokenFile) } }
        : {}),
    });
    process.stdout.write(`e-Residency listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
  eResidency
    .command("decide")
    .description("sign an application's decision with the official's card and send it to the agency")
    .requiredOption("--card <file>", "the official's card file")
    .requiredOption("--pin2 <pin>", "the signing PIN")
    .requiredOption("--application <number>", "ER-YYYY-NNNNNN")
    .option("--grant", "grant e-Residency")
    .option("--refuse <reason>", "refuse, with the reason the applicant is told")
    .requiredOption(
      "--url <url>",
      "the agency's URL, or its decisions service through a security server (…/r1/EE/GOV/70008747/e-residency/decisions)",
    )
    .option("--xroad-client <subsystem>", "X-Road-Client when --url is a security server")
    .option("--tsa <url>", "RFC 3161 time-stamping authority; default /tsa next to the card's OCSP responder")
    .action(
      async (o: {
        card: string;
        pin2: string;
        application: string;
        grant?: boolean;
        refuse?: string;
        url: string;
        xroadClient?: string;
        tsa?: string;
      }) => {
        if (Boolean(o.grant) === (o.refuse !== undefined))
          throw new EResidencyError("DECISION_INVALID", "give exactly one of --grant and --refuse REASON");
        const card = readCardFile(o.card);
        const ocspUrl = ocspUrlOf(cardCertificate(card, "signing"));
        const tsaUrl = o.tsa ?? (ocspUrl ? new URL("/tsa", ocspUrl).toString() : undefined);
        if (!tsaUrl) throw new EResidencyError("DECISION_INVALID", "give --tsa URL: the card names no OCSP responder");
        const container = await signDecision(
          card,
          o.pin2,
          { number: o.application, granted: Boolean(o.grant), ...(o.refuse ? { reason: o.refuse } : {}) },
          { tsaUrl, ...(ocspUrl ? { ocspUrl } : {}) },
        );
        const reply = await fetch(`${o.url.replace(/\/+$/, "")}/staff/applications/${o.application}/decision`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(o.xroadClient
              ? {
                  "x-road-client": o.xroadClient,
                  "x-road-userid": `EE${card.personalCode}`,
                  "x-road-issue": "e-Residency decision",
                }
              : {}),
          },
          body: JSON.stringify({ container: Buffer.from(container).toString("base64") }),
        });
        const answer = await reply.text();
        process.stdout.write(`${answer}\n`);
        if (!reply.ok) process.exitCode = 1;
      },
    );
}
