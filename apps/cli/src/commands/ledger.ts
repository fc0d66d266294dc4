import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  createLedgerServer,
  createWitnessService,
  formatSignature,
  hashFile,
  LedgerClient,
  LedgerError,
  type LedgerTokenKey,
  loadOrCreateSigner,
  parseSignature,
  parseVerifierKeys,
  readTokenKey,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  SIGNATURE_TYPE_ED25519,
  tokenSigner,
  type VerificationPolicy,
  type VerifierKey,
  verifySignature,
  Witness,
  writeTokenKey,
} from "@riik/ledger";
import { ledgerDescriptor, witnessDescriptor } from "@riik/ledger/descriptor";
import { Pkcs11KeyStore } from "@riik/pki";
import { readStateFile } from "@riik/state";
import { type Command, InvalidArgumentError } from "commander";
import { servedCommand } from "../served-command.ts";
import { pkcs11Config, pkcs11Options } from "./central.ts";

/** The label of the ledger's Ed25519 key pair in a token. */
const LEDGER_KEY_LABEL = "ledger-checkpoint";

/** The ledger's checkpoint key inside its token (Ed25519, C2SP signed-note type 0x01), and the store to close. */
async function openLedgerToken(key: LedgerTokenKey, origin: string, create = false) {
  const store = await Pkcs11KeyStore.open(key);
  try {
    return { store, signer: tokenSigner(origin, SIGNATURE_TYPE_ED25519, store.ed25519(key.keyLabel, { create })) };
  } catch (cause) {
    store.close();
    throw cause;
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

function integer(name: string, min: number) {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return Number(value);
  };
}

/** Resolves when the process is asked to stop (Ctrl-C or a service manager). */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}

function readKeys(paths: readonly string[]): VerifierKey[] {
  return paths.flatMap((path) => parseVerifierKeys(readFileSync(path, "utf8")));
}

/** The ledger of a state started by `riik up` in DIR, as its state.json names it. */
function stateLedger(dataDir: string): { url: string; vkey: string; stateFile: string } {
  const state = readStateFile(dataDir);
  const ledger = state.services?.ledger;
  if (!ledger?.url || !ledger.vkey) {
    throw new LedgerError("REQUEST_MALFORMED", `${state.path} names no ledger (services.ledger.url and .vkey)`);
  }
  return { url: ledger.url, vkey: ledger.vkey, stateFile: state.path };
}

function ledgerUrl(options: { url?: string; data?: string }): string {
  if (options.url && options.data) throw new LedgerError("REQUEST_MALFORMED", "give either --url or --data, not both");
  if (options.url) return options.url;
  if (options.data) return stateLedger(options.data).url;
  throw new LedgerError("REQUEST_MALFORMED", "give the ledger's --url, or --data DIR of a state started by riik up");
}

export function registerLedgerCommands(program: Command): void {
  const ledger = program
    .command("ledger")
    .description("integrity ledger: keyless signatures, signed and witnessed checkpoints, publications");

  pkcs11Options(
    ledger
      .command("init")
      .description(
        "make the ledger's checkpoint key (Ed25519) inside a PKCS#11 token; without --pkcs11, serve makes DIR/ledger.key",
      )
      .requiredOption("--dir <dir>", "ledger data directory")
      .option("--origin <origin>", "checkpoint origin and key name", "riik.localhost/ledger"),
    "the checkpoint signing key",
  ).action(
    async (
      o: { dir: string; origin: string; pkcs11?: string; tokenLabel?: string; pinFile?: string },
      command: Command,
    ) => {
      const pkcs11 = pkcs11Config(o, command);
      if (!pkcs11) return command.error("error: riik ledger init needs --pkcs11 MODULE (a file key is made by serve)");
      const key: LedgerTokenKey = { ...pkcs11, keyLabel: LEDGER_KEY_LABEL };
      if (key.pinFile) key.pinFile = resolve(key.pinFile);
      const { store, signer } = await openLedgerToken(key, o.origin, true);
      try {
        writeTokenKey(o.dir, key, signer);
      } finally {
        store.close();
      }
      process.stdout.write(`${signer.verifierKey.text}\n`);
    },
  );

  servedCommand(ledger, ledgerDescriptor, async (config) => {
    const tokenKey = readTokenKey(config.dir);
    const token = tokenKey && (await openLedgerToken(tokenKey, config.origin));
    const server = await createLedgerServer({
      ...(token ? { signer: token.signer } : {}),
      dataDir: config.dir,
      databaseUrl: config.databaseUrl,
      origin: config.origin,
      roundMs: config.roundMs,
      witnesses: config.witnesses,
      publicationIntervalMs: config.publicationIntervalMs,
    });
    const address = await server.listen(config.port, config.host);
    process.stdout.write(
      `ledger ${server.origin} listening at ${address}; verifier key ${join(config.dir, "ledger.vkey")}\n`,
    );
    await untilStopped();
    await server.close();
    token?.store.close();
  });

  ledger
    .command("sign")
    .description("hash FILE locally and get a ledger signature for the hash (the file never leaves this machine)")
    .argument("<file>", "file to sign")
    .option("--url <url>", "ledger URL")
    .option("--data <dir>", "use the ledger of the state started by `riik up` in DIR")
    .option("--out <sig>", "where to write the signature (default: FILE.ledgersig)")
    .option("--algorithm <alg>", "SHA-256, SHA-384 or SHA-512", "SHA-256")
    .action(async (file: string, options) => {
      const algorithm = options.algorithm.toUpperCase().replace(/^SHA(\d)/, "SHA-$1");
      if (!["SHA-256", "SHA-384", "SHA-512"].includes(algorithm)) {
        throw new LedgerError("REQUEST_ALGORITHM", `unsupported algorithm ${options.algorithm}`);
      }
      const digest = await hashFile(file, algorithm);
      const signature = await new LedgerClient({ url: ledgerUrl(options) }).signDigest(digest, algorithm);
      const out = options.out ?? `${file}.ledgersig`;
      writeFileSync(out, formatSignature(signature));
      process.stdout.write(`signed ${file} (${algorithm} ${Buffer.from(digest).toString("hex")}) -> ${out}\n`);
    });

  ledger
    .command("verify")
    .description(
      "verify FILE against its signature SIG, offline, against a trust anchor (a ledger key, a publication code, or a state's key); exit 0 when valid, 1 with the failure code when not, 3 without an anchor",
    )
    .argument("<file>", "the signed file")
    .argument("<sig>", "its ledger signature")
    .option("--key <vkey-file>", "trusted verifier keys: the ledger key (type 0x01) and optionally witness keys (0x04)")
    .option("--data <dir>", "trust the ledger key of the state started by `riik up` in DIR")
    .option("--witness-key <vkey-file>", "trusted witness verifier keys; repeatable", collect, [])
    .option("--witnesses <k>", "require cosignatures from at least K trusted witnesses", integer("K", 0), 0)
    .option("--publication <code>", "verify against a publication code obtained independently (no key needed)")
    .option("--publications <file>", "verify against a publications file, its signature checked with the ledger key")
    .action(async (file: string, sigPath: string, options) => {
      if (options.key && options.data)
        throw new LedgerError("REQUEST_MALFORMED", "give either --key or --data, not both");
      // Trust comes from an anchor given here, never from the signature file (whose checkpoint
      // names its own key): the ledger key, or a publication code read elsewhere.
      const anchorKeyFile: string | undefined =
        options.key ?? (options.data ? stateLedger(options.data).vkey : undefined);
      const signature = parseSignature(readFileSync(sigPath));
      const digest = await hashFile(file, signature.hash.algorithm);
      const keys = readKeys([...(anchorKeyFile ? [anchorKeyFile] : []), ...options.witnessKey]);
      const logKeys = keys.filter((k) => k.type === SIGNATURE_TYPE_ED25519);
      const witnesses = keys.filter((k) => k.type === SIGNATURE_TYPE_COSIGNATURE_V1);
      if (logKeys.length > 1) throw new LedgerError("VKEY_MALFORMED", "give one ledger key (type 0x01), not several");
      const logKey = logKeys[0];
      let policy: VerificationPolicy;
      if (options.publication && options.publications) {
        throw new LedgerError("REQUEST_MALFORMED", "give either --publication or --publications, not both");
      } else if (options.publication) policy = { kind: "publication", code: options.publication };
      else if (options.publications) {
        if (!logKey) {
          throw new LedgerError(
            "VERIFY_NO_TRUST_ANCHOR",
            "a publications file is trusted only with its signature checked: give the ledger key (--key or --data)",
          );
        }
        policy = { kind: "publications-file", file: readFileSync(options.publications, "utf8"), key: logKey };
      } else if (logKey) policy = { kind: "key", logKey, witnesses, minWitnesses: options.witnesses };
      else if (options.witnesses > 0)
        throw new LedgerError("VERIFY_UNKNOWN_KEY", "--witnesses needs the ledger key (--key)");
      else {
        throw new LedgerError(
          "VERIFY_NO_TRUST_ANCHOR",
          "nothing to verify against: give the ledger key (--key FILE.vkey, or --data DIR of a riik up state) or a publication code (--publication CODE)",
        );
      }
      if (anchorKeyFile)
        process.stderr.write(`trust anchor: ledger key ${logKey?.name ?? "?"} from ${anchorKeyFile}\n`);
      else process.stderr.write(`trust anchor: publication code ${options.publication}\n`);
      const report = verifySignature(signature, digest, policy);
      const lines = [
        `VALID: ${file}`,
        `  hash         ${report.algorithm} ${report.digest}`,
        `  round        ${report.round} closed ${report.roundTime}, ${report.roundSize} imprint(s)`,
        `  calendar     ${report.origin}, checkpoint of size ${report.checkpointSize}`,
      ];
      if (policy.kind === "key") {
        lines.push(`  policy       key: checkpoint signed by ${policy.logKey.name}`);
        lines.push(
          `  witnesses    ${report.witnesses.length} of ${witnesses.length} trusted (${report.witnesses.join(", ") || "none"}), ${options.witnesses} required`,
        );
      } else if (policy.kind === "publication") lines.push("  policy       publication code");
      else lines.push("  policy       publications file, signed by the ledger key");
      if (report.publication) {
        lines.push(
          `  publication  ${report.publication.code} (size ${report.publication.size}, published ${report.publication.publishedAt} per the ${report.publication.publishedAtFrom})`,
        );
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });

  ledger
    .command("extend")
    .description("add the proof up to a later publication, so SIG verifies from the publication code alone")
    .argument("<sig>", "the signature to extend (rewritten in place unless --out)")
    .option("--url <url>", "ledger URL")
    .option("--data <dir>", "use the ledger of the state started by `riik up` in DIR")
    .option("--out <file>", "write the extended signature here")
    .option("--publication <size>", "extend to the publication of this calendar size", integer("size", 1))
    .action(async (sigPath: string, options) => {
      const signature = parseSignature(readFileSync(sigPath));
      const extended = await new LedgerClient({ url: ledgerUrl(options) }).extend(signature, options.publication);
      const out = options.out ?? sigPath;
      writeFileSync(out, formatSignature(extended));
      process.stdout.write(`extended to publication ${extended.publication!.code} -> ${out}\n`);
    });

  ledger
    .command("publications")
    .description("fetch the signed publications file")
    .option("--url <url>", "ledger URL")
    .option("--data <dir>", "use the ledger of the state started by `riik up` in DIR")
    .option("--out <file>", "write the file here instead of standard output")
    .action(async (options) => {
      const file = await new LedgerClient({ url: ledgerUrl(options) }).publications();
      if (options.out) writeFileSync(options.out, file);
      else process.stdout.write(file);
    });

  const witness = ledger.command("witness").description("C2SP tlog-witness: cosign checkpoints of trusted logs");
  servedCommand(witness, witnessDescriptor, async (config) => {
    const signer = loadOrCreateSigner(
      join(config.dir, "witness.key"),
      join(config.dir, "witness.vkey"),
      config.name,
      SIGNATURE_TYPE_COSIGNATURE_V1,
    );
    const logs = readKeys(config.logs).filter((k) => k.type === SIGNATURE_TYPE_ED25519);
    if (logs.length === 0) throw new LedgerError("VKEY_MALFORMED", "--log files hold no log key (type 0x01)");
    const instance = await Witness.open({ signer, logs, dataDir: config.dir, url: config.databaseUrl });
    const { app } = createWitnessService(instance);
    const address = await app.listen({ port: config.port, host: config.host });
    process.stdout.write(
      `witness ${signer.name} listening at ${address} for ${logs.map((l) => l.name).join(", ")}; verifier key ${join(config.dir, "witness.vkey")}\n`,
    );
    await untilStopped();
    await app.close();
    await instance.close();
  });
}
