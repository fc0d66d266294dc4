// `riik cdoc encrypt|decrypt|info`: CDOC2 containers, options shaped like the reference cdoc2-cli.
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import * as x509 from "@peculiar/x509";
import {
  CdocError,
  certificateRecipient,
  containerInfo,
  type DecryptionKey,
  decryptFile,
  type EncryptionRecipient,
  encryptFiles,
  type KeyServerConfig,
  readKeyServerConfig,
  serveCapsuleServer,
} from "@riik/cdoc";
import { capsuleServerDescriptor } from "@riik/cdoc/descriptor";
import { lookupAuthenticationCertificates } from "@riik/directory";
import { readCardFile } from "@riik/pki";
import { type Command, Option } from "commander";
import { untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** LABEL:SECRET, split at the first colon (a password may contain colons). */
function labelled(value: string, what: string): { label: string; value: string } {
  const colon = value.indexOf(":");
  if (colon < 0) throw new CdocError("CDOC_ARGUMENT", `give ${what} as LABEL:${what.toUpperCase()}`);
  return { label: value.slice(0, colon), value: value.slice(colon + 1) };
}

/** A secret as the reference writes it: LABEL:base64,KEY (or LABEL:hex,KEY). */
function secretOf(value: string): { label: string; key: Buffer } {
  const { label, value: rest } = labelled(value, "secret");
  const comma = rest.indexOf(",");
  const encoding = comma < 0 ? "" : rest.slice(0, comma);
  if (encoding !== "base64" && encoding !== "hex") {
    throw new CdocError("CDOC_ARGUMENT", "give --secret as LABEL:base64,KEY or LABEL:hex,KEY");
  }
  return { label, key: Buffer.from(rest.slice(comma + 1), encoding) };
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new CdocError("CDOC_ARGUMENT", `cannot read ${path}`, { cause });
  }
}

/**
 * A public key (SPKI PEM) or a certificate (PEM), e.g. an ID card's authentication certificate; a
 * certificate's key label is the reference's `TYPE=cert` form (CN, CERT_SHA1, FILE).
 */
function publicKeyOf(path: string): { key: KeyObject; label: string; keyLabel?: string } {
  const text = readText(path);
  const file = basename(path);
  try {
    if (text.includes("BEGIN CERTIFICATE")) return certificateRecipient(new x509.X509Certificate(text), file);
    return { key: createPublicKey(text), label: file };
  } catch (cause) {
    throw new CdocError("CDOC_ARGUMENT", `${path} is not a PEM public key or certificate`, { cause });
  }
}

/**
 * Every valid authentication certificate of a person in the certificate directory (as DigiDoc
 * encrypts for each of a person's cards); none there (never issued, suspended, revoked) is refused.
 */
async function directoryRecipients(directory: string | undefined, code: string): Promise<EncryptionRecipient[]> {
  if (!directory)
    throw new CdocError(
      "CDOC_ARGUMENT",
      "-r needs the certificate directory: --directory ldap://HOST:PORT (or RIIK_DIRECTORY)",
    );
  const found = await lookupAuthenticationCertificates(directory, code);
  if (found.length === 0)
    throw new CdocError(
      "CDOC_ARGUMENT",
      `${code} has no valid authentication certificate in the directory (none issued, or suspended or revoked)`,
    );
  return found.map((entry) => ({
    type: "public-key",
    ...certificateRecipient(new x509.X509Certificate(Buffer.from(entry.der)), `${entry.cn}.cer`),
  }));
}

export function registerCdocCommands(program: Command): void {
  const cdoc = program
    .command("cdoc")
    .description("CDOC2 encrypted containers (RIA's format): encrypt files for ID cards, keys, passwords, secrets");

  cdoc
    .command("encrypt")
    .description("encrypt files into a new CDOC2 container for one or more recipients")
    .argument("<files...>", "files to encrypt")
    .requiredOption("-f, --file <out>", "container to write (never overwritten)")
    .option("-p, --pubkey <pem>", "recipient public key or certificate, EC secp384r1 or RSA (repeatable)", collect)
    .option(
      "-c, --cert <pem>",
      "recipient certificate, e.g. an ID card's authentication certificate (repeatable)",
      collect,
    )
    .option(
      "-r, --recipient <code>",
      "recipient by personal code, looked up in the certificate directory (repeatable)",
      collect,
    )
    .option("--directory <url>", "the certificate directory (ldap://…), for -r", process.env.RIIK_DIRECTORY)
    .option("--password <label:pw>", "recipient password, at least 8 characters (repeatable)", collect)
    .option("--secret <label:base64,key>", "recipient symmetric key, at least 32 bytes (repeatable)", collect)
    .option(
      "--server <file>",
      "keep the key recipients' capsules on a CDOC2 capsule server (its key-server.json), not in the container",
    )
    .option("--capsule-expiry <time>", "with --server: when the server may forget the capsules (ISO 8601)")
    .action(async (files: string[], o) => {
      const byCode: EncryptionRecipient[] = [];
      for (const code of (o.recipient as string[] | undefined) ?? [])
        byCode.push(...(await directoryRecipients(o.directory as string | undefined, code)));
      const recipients: EncryptionRecipient[] = [
        ...byCode,
        ...[...((o.pubkey as string[] | undefined) ?? []), ...((o.cert as string[] | undefined) ?? [])].map(
          (path): EncryptionRecipient => {
            return { type: "public-key", ...publicKeyOf(path) };
          },
        ),
        ...((o.password as string[] | undefined) ?? []).map((v): EncryptionRecipient => {
          const { label, value } = labelled(v, "password");
          return { type: "password", label, password: value };
        }),
        ...((o.secret as string[] | undefined) ?? []).map(
          (v): EncryptionRecipient => ({
            type: "symmetric",
            ...secretOf(v),
          }),
        ),
      ];
      if (recipients.length === 0)
        throw new CdocError("CDOC_ARGUMENT", "give a recipient: -r, -p, -c, --password or --secret");
      const server = o.server ? readKeyServerConfig(o.server) : undefined;
      if (o.capsuleExpiry && !server) throw new CdocError("CDOC_ARGUMENT", "--capsule-expiry goes with --server");
      const capsuleExpiry = o.capsuleExpiry ? new Date(o.capsuleExpiry) : undefined;
      if (capsuleExpiry && Number.isNaN(capsuleExpiry.getTime()))
        throw new CdocError("CDOC_ARGUMENT", `--capsule-expiry ${o.capsuleExpiry} is not an ISO 8601 time`);
      const placed = recipients.map(
        (recipient): EncryptionRecipient =>
          server && recipient.type === "public-key"
            ? { ...recipient, keyServer: server, ...(capsuleExpiry ? { capsuleExpiry } : {}) }
            : recipient,
      );
      await encryptFiles({ files, recipients: placed, out: o.file });
      process.stdout.write(`${o.file}: ${files.length} file(s) for ${recipients.length} recipient(s)\n`);
    });

  cdoc
    .command("decrypt")
    .description("decrypt a CDOC2 container into a directory (files appear only once the whole payload verified)")
    .requiredOption("-f, --file <in>", "container to decrypt")
    .option("--card <file>", "card file (riik id issue); PIN1 from RIIK_PIN1")
    .addOption(new Option("--pin1 <pin>", "PIN1 for --card; prefer the environment variable").env("RIIK_PIN1"))
    .option("-k, --key <pem>", "EC or RSA private key (PEM)")
    .option("--cert <pem>", "with -k: its certificate, the client certificate a capsule server asks for")
    .option("--server <file>", "a capsule server's key-server.json, for key-server recipients (repeatable)", collect)
    .option("--password <label:pw>", "password (an empty label tries every password recipient)")
    .option("--secret <label:base64,key>", "symmetric key")
    .option("-o, --output <dir>", "directory to write into (created if missing)", ".")
    .action(async (o) => {
      const given = ["card", "key", "password", "secret"].filter((k) => o[k] !== undefined);
      if (given.length !== 1)
        throw new CdocError("CDOC_ARGUMENT", "give exactly one of --card, -k, --password, --secret");
      let key: DecryptionKey;
      if (o.card) {
        if (!o.pin1) throw new CdocError("CDOC_ARGUMENT", "set RIIK_PIN1 (PIN1 of the card) for --card");
        key = { type: "card", card: readCardFile(o.card), pin1: o.pin1 };
      } else if (o.key) {
        let privateKey: KeyObject;
        try {
          privateKey = createPrivateKey(readText(o.key));
        } catch (cause) {
          throw new CdocError("CDOC_ARGUMENT", `${o.key} is not a PEM private key`, { cause });
        }
        key = { type: "private-key", key: privateKey, ...(o.cert ? { certificate: readText(o.cert) } : {}) };
      } else if (o.password !== undefined) {
        const { label, value } = labelled(o.password, "password");
        key = { type: "password", label, password: value };
      } else {
        key = { type: "symmetric", ...secretOf(o.secret) };
      }
      const keyServers: KeyServerConfig[] = ((o.server as string[] | undefined) ?? []).map(readKeyServerConfig);
      const names = await decryptFile({ file: o.file, key, outputDir: o.output, keyServers });
      for (const name of names) process.stdout.write(`${name}\n`);
    });

  cdoc
    .command("info")
    .description("list a CDOC2 container's recipients (needs no key)")
    .requiredOption("-f, --file <in>", "container")
    .option("--json", "as JSON")
    .action((o) => {
      const recipients = containerInfo(o.file);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(recipients, null, 2)}\n`);
        return;
      }
      for (const r of recipients) process.stdout.write(`${r.type}\t${r.label}\t${r.keyLabel}\n`);
    });

  const capsuleServer = cdoc
    .command("capsule-server")
    .description("the CDOC2 key capsule server: keeps recipients' key capsules, hands them over mutual TLS");
  servedCommand(capsuleServer, capsuleServerDescriptor, async (config) => {
    const server = await serveCapsuleServer(config);
    process.stdout.write(
      `capsule server: senders ${server.putUrl}, recipients ${server.getUrl} (clients: ${config.dir}/key-server.json)\n`,
    );
    await untilSignalled();
    await server.close();
  });
}
