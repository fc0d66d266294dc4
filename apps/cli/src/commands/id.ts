import { parsePersonalCode } from "@riik/core";
import {
  assertCardFileTarget,
  type CertificateRow,
  type IssuingCaName,
  issueCardFile,
  normaliseSerial,
  openTrustServices,
  PkiError,
  parseKeyAlgorithm,
  REVOCATION_REASONS,
  type RevocationReasonName,
  readCardFile,
  renewCardRemotely,
  type TrustServices,
  writeCardFile,
} from "@riik/pki";
import { type Command, Option } from "commander";
import { DB_OPTION_HELP } from "../options.ts";
import { registerAuthTokenCommand } from "./auth-token.ts";

export function registerIdCommands(program: Command): void {
  const id = program
    .command("id")
    .description("identity documents: ID cards and e-Residency digital IDs, their status, Web eID login");

  id.command("issue")
    .description("issue an ID card (or an e-Residency digital ID) with authentication and signing certificates")
    .requiredOption("--dir <dir>", "trust-services directory")
    .requiredOption("--code <code>", "personal identification code (11 digits)")
    .requiredOption("--given <name>", "given name")
    .requiredOption("--surname <name>", "surname")
    .addOption(pinOption("--pin1 <pin>", "PIN1, 4-12 digits, protects the authentication key", "RIIK_PIN1"))
    .addOption(pinOption("--pin2 <pin>", "PIN2, 5-12 digits, protects the signing key", "RIIK_PIN2"))
    .requiredOption("--out <file>", "card file to write (JSON, mode 0600); must not exist")
    .option("--e-resident", "issue an e-Residency digital ID")
    .option("--key <type>", "key type: p384 or rsa2048", parseKeyAlgorithm, "p384")
    .option("--db <url>", DB_OPTION_HELP)
    .action(async (o) => {
      await withServices(o.dir, o.db, async (services) => {
        const request = {
          personalCode: o.code,
          givenName: o.given,
          surname: o.surname,
          pin1: o.pin1,
          pin2: o.pin2,
          eResident: Boolean(o.eResident),
          algorithm: o.key,
        };
        const card = await issueCardFile(services, request, o.out);
        console.log(
          `${card.kind} ${card.documentNumber} for ${card.surname.toUpperCase()},${card.givenName.toUpperCase()},${card.personalCode} written to ${o.out}`,
        );
      });
    });

  const statusCommand = (verb: "suspend" | "resume" | "revoke", description: string) => {
    const command = id
      .command(verb)
      .description(description)
      .requiredOption("--dir <dir>", "trust-services directory")
      .option("--code <code>", "every certificate of this person")
      .option("--serial <hex>", "one certificate, by serial number")
      .option("--ca <name>", "issuer of --serial: esteid or server", "esteid")
      .option("--db <url>", DB_OPTION_HELP);
    if (verb === "revoke")
      command.option(
        "--reason <reason>",
        `one of ${Object.keys(REVOCATION_REASONS)
          .filter((r) => r !== "certificateHold")
          .join(", ")}`,
        "unspecified",
      );
    command.action(async (o) => {
      if (Boolean(o.code) === Boolean(o.serial))
        throw new PkiError("PKI_ARGUMENT", "give exactly one of --code and --serial");
      if (o.reason && !(o.reason in REVOCATION_REASONS))
        throw new PkiError("PKI_ARGUMENT", `unknown revocation reason ${o.reason}`);
      await withServices(o.dir, o.db, async (services) => {
        const event = verb === "suspend" ? "suspended" : verb === "resume" ? "resumed" : "revoked";
        const targets = await selectCertificates(services, o, event);
        for (const row of targets) {
          const changed = await services.registry.changeStatus(row.issuer, row.serial, {
            event,
            ...(o.reason ? { reason: o.reason as RevocationReasonName } : {}),
            actor: `riik id ${verb}`,
          });
          console.log(`${event} ${changed.issuer}/${changed.serial} ${changed.purpose} ${changed.subject}`);
        }
      });
    });
  };
  statusCommand("suspend", "suspend certificates (OCSP: revoked, reason certificateHold) until resumed");
  statusCommand("resume", "lift a suspension (OCSP: good again)");
  statusCommand("revoke", "revoke certificates for good");

  id.command("show")
    .description("list a person's certificates with their status and history")
    .requiredOption("--dir <dir>", "trust-services directory")
    .requiredOption("--code <code>", "personal identification code")
    .option("--db <url>", DB_OPTION_HELP)
    .action(async (o) => {
      await withServices(o.dir, o.db, async (services) => {
        for (const row of await services.registry.byPersonalCode(parsePersonalCode(o.code).code)) {
          console.log(
            `${row.issuer}/${row.serial} ${row.purpose} ${statusText(row)}, valid ${row.not_before} to ${row.not_after}`,
          );
          for (const event of await services.registry.events(row.issuer, row.serial))
            console.log(`  ${event.at} ${event.event} by ${event.actor}`);
        }
      });
    });

  id.command("renew")
    .description(
      "renew a card suspended by a key incident: prove the old authentication key (PIN1), make new keys, get new certificates",
    )
    .requiredOption("--card <file>", "the suspended card file")
    .requiredOption("--out <file>", "the renewed card file to write (never overwritten)")
    .requiredOption("--incident <id>", "the incident (riik pki incident list; the trust services' /incidents)")
    .requiredOption("--url <url>", "the trust services (riik pki serve), e.g. http://127.0.0.1:8800")
    .addOption(pinOption("--pin1 <pin>", "PIN1: proves the old key and protects the new one", "RIIK_PIN1"))
    .addOption(pinOption("--pin2 <pin>", "PIN2: protects the new signing key", "RIIK_PIN2"))
    .action(async (o) => {
      assertCardFileTarget(o.out);
      const renewed = await renewCardRemotely({
        card: readCardFile(o.card),
        pin1: o.pin1,
        pin2: o.pin2,
        url: o.url,
        incident: o.incident,
      });
      writeCardFile(o.out, renewed);
      console.log(`${renewed.documentNumber} renewed: new keys and certificates in ${o.out}`);
    });

  registerAuthTokenCommand(id);
}

/** A PIN from the command line or, for scripts, the environment (a command line is visible to other users). */
function pinOption(flags: string, description: string, variable: string): Option {
  return new Option(flags, `${description}; or set ${variable}`).env(variable).makeOptionMandatory();
}

const REASON_NAMES = new Map<number, string>(Object.entries(REVOCATION_REASONS).map(([name, code]) => [code, name]));

/** The status now, kept apart from the validity period: "revoked" is not "until" anything. */
function statusText(row: CertificateRow): string {
  if (row.status === "good") return Date.parse(row.not_after) < Date.now() ? "expired" : "good";
  if (row.revocation_reason === REVOCATION_REASONS.certificateHold) return `suspended since ${row.revoked_at}`;
  const reason = REASON_NAMES.get(row.revocation_reason ?? 0) ?? String(row.revocation_reason);
  return `revoked since ${row.revoked_at} (${reason})`;
}

async function withServices(
  dir: string,
  db: string | undefined,
  work: (services: TrustServices) => Promise<void>,
): Promise<void> {
  const services = await openTrustServices(dir, { databaseUrl: db });
  try {
    await work(services);
  } finally {
    await services.close();
  }
}

const applies: Record<"suspended" | "resumed" | "revoked", (row: CertificateRow) => boolean> = {
  suspended: (row) => row.status === "good",
  resumed: (row) => row.revocation_reason === REVOCATION_REASONS.certificateHold,
  revoked: (row) => row.status === "good" || row.revocation_reason === REVOCATION_REASONS.certificateHold,
};

/** One certificate by serial, or every certificate of a person that the change applies to. */
async function selectCertificates(
  services: TrustServices,
  o: { code?: string; serial?: string; ca: string },
  event: keyof typeof applies,
): Promise<CertificateRow[]> {
  if (o.serial) {
    if (o.ca !== "esteid" && o.ca !== "server") throw new PkiError("PKI_ARGUMENT", "--ca must be esteid or server");
    const row = await services.registry.find(o.ca as IssuingCaName, normaliseSerial(o.serial));
    if (!row) throw new PkiError("PKI_CERTIFICATE_UNKNOWN", `no certificate ${o.serial} issued by ${o.ca}`);
    return [row];
  }
  const all = await services.registry.byPersonalCode(parsePersonalCode(o.code!).code);
  if (all.length === 0) throw new PkiError("PKI_CERTIFICATE_UNKNOWN", `no certificates for ${o.code}`);
  const rows = all.filter(applies[event]);
  if (rows.length === 0)
    throw new PkiError("PKI_STATUS_TRANSITION", `none of the ${all.length} certificates of ${o.code} can be ${event}`);
  return rows;
}
