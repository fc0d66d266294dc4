import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  EmbassyClient,
  EmbassyError,
  initShipperHome,
  issueTlsIdentity,
  readMasterKeyFile,
  readShipperConfig,
  readTlsMaterial,
  resolveRegistry,
  restoreRegistry,
  rotateShipperKey,
  runDrill,
  Shipper,
  startEmbassyServer,
  type TlsMaterial,
  tlsFiles,
} from "@riik/embassy";
import { embassyDescriptor } from "@riik/embassy/descriptor";
import { embassyRegistry as landRegister } from "@riik/land-register";
import { parseVerifierKey } from "@riik/ledger";
import { embassyRegistry as populationRegister } from "@riik/population-register";
import type { Command } from "commander";
import { DB_OPTION_HELP, untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The registries the embassy commands know by name; any other is named with a module exporting embassyRegistry. */
const REGISTRIES = [populationRegister, landRegister];
const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

/**
 * The trust anchor of the embassy's verifiers: the ledger's verifier key, from --ledger-key
 * or the one default file named. Without one nothing can be checked, so they refuse
 * (VERIFY_NO_TRUST_ANCHOR, exit 3); trust never comes from the segments themselves.
 */
function readLedgerKey(path: string | undefined, fallback: string) {
  const file = path ?? (existsSync(fallback) ? fallback : undefined);
  if (!file)
    throw new EmbassyError(
      "VERIFY_NO_TRUST_ANCHOR",
      `no ledger verifier key: give --ledger-key (the ledger's ledger.vkey), or place it at ${fallback}`,
    );
  try {
    return { file: resolve(file), key: parseVerifierKey(readFileSync(file, "utf8").trim()) };
  } catch (cause) {
    throw new EmbassyError("EMBASSY_ARGUMENT", `${file} is not a ledger verifier key: ${(cause as Error).message}`, {
      cause,
    });
  }
}

function explicitTls(o: { tlsCert?: string; tlsKey?: string; ca?: string }): TlsMaterial | undefined {
  if (!o.tlsCert && !o.tlsKey && !o.ca) return undefined;
  if (!o.tlsCert || !o.tlsKey || !o.ca)
    throw new EmbassyError("EMBASSY_ARGUMENT", "give --tls-cert, --tls-key and --ca together");
  return readTlsMaterial({ cert: o.tlsCert, key: o.tlsKey, ca: o.ca });
}

export function registerEmbassyCommands(program: Command): void {
  const embassy = program
    .command("embassy")
    .description("data embassy: encrypted, chained, ledger-anchored replicas of registries abroad, and restore");

  embassy
    .command("init")
    .description("create the home side: DIR/master.key (0600) and a TLS client certificate from the server CA")
    .requiredOption("--dir <dir>", "home directory of the shipper")
    .requiredOption("--pki <dir>", "trust-services directory (its server CA issues the certificate)")
    .option("--ledger-key <file>", "copy the ledger's verifier key to DIR/ledger.vkey")
    .option("--name <cn>", "certificate common name", "riik-embassy-shipper")
    .option("--db <url>", DB_OPTION_HELP)
    .action(async (o) =>
      print(
        await initShipperHome({
          dir: o.dir,
          pkiDir: o.pki,
          ledgerKey: o.ledgerKey,
          commonName: o.name,
          databaseUrl: o.db,
        }),
      ),
    );

  servedCommand(embassy, embassyDescriptor, async (config) => {
    const dir = resolve(config.dir);
    const anchor = readLedgerKey(config.ledgerKey, join(dir, "ledger.vkey"));
    let tls = explicitTls(config);
    if (!tls) {
      if (!config.pki && !existsSync(tlsFiles(dir, "embassy").cert))
        throw new EmbassyError("EMBASSY_ARGUMENT", "give --pki DIR or --tls-cert/--tls-key/--ca");
      const files = existsSync(tlsFiles(dir, "embassy").cert)
        ? tlsFiles(dir, "embassy")
        : await issueTlsIdentity({
            dir,
            pkiDir: config.pki!,
            name: "embassy",
            commonName: `riik-embassy-${config.port}`,
            host: config.host,
          });
      tls = readTlsMaterial(files);
    }
    const server = await startEmbassyServer({
      dataDir: dir,
      databaseUrl: config.databaseUrl,
      ledgerKey: anchor.key,
      tls,
      allowClients: config.allowClients,
      host: config.host,
    });
    const { url, adminUrl } = await server.listen(config.port, config.adminPort);
    console.log(
      `embassy listening at ${url} (mutual TLS 1.3)${adminUrl ? `, admin ${adminUrl}` : ""}; data in ${dir}; anchors checked against the ledger key ${anchor.key.name} (${anchor.file})`,
    );
    await untilSignalled();
    await server.close();
  });

  embassy
    .command("ship")
    .description("run the shipper: journal -> encrypted, chained, anchored segments -> every embassy")
    .requiredOption("--config <file>", "shipper configuration (README: Shipper configuration)")
    .action(async (o) => {
      const shipper = await Shipper.open(readShipperConfig(o.config), { registries: REGISTRIES });
      await shipper.start();
      console.log(`shipper running${shipper.statusUrl ? `; status ${shipper.statusUrl}/v1/status` : ""}`);
      await untilSignalled();
      await shipper.close();
    });

  embassy
    .command("status")
    .description("replication lag per embassy and registry (seconds, segments, changes)")
    .requiredOption("--config <file>", "shipper configuration")
    .option("--json", "print JSON")
    .action(async (o) => {
      const config = readShipperConfig(o.config);
      let deliveries: Awaited<ReturnType<Shipper["refreshStatus"]>> | undefined;
      if (config.status) {
        try {
          const reply = await fetch(`http://${config.status.host}:${config.status.port}/v1/status`, {
            signal: AbortSignal.timeout(3000),
          });
          if (reply.ok) deliveries = ((await reply.json()) as { deliveries: typeof deliveries }).deliveries;
        } catch {
          // not running: compute from the stores below
        }
      }
      if (!deliveries) {
        const shipper = await Shipper.open(config, { registries: REGISTRIES });
        try {
          deliveries = await shipper.refreshStatus();
        } finally {
          await shipper.close();
        }
      }
      if (o.json) return print({ deliveries });
      console.log(
        "embassy          registry              lag_s  lag_segments  lag_changes  acked_seq  journal_seq  last_error",
      );
      for (const d of deliveries)
        console.log(
          `${d.embassy.padEnd(16)} ${d.registry.padEnd(20)} ${d.lagSeconds.toFixed(1).padStart(6)}  ${String(d.lagSegments).padStart(12)}  ${String(d.lagChanges).padStart(11)}  ${String(d.ackedSeq).padStart(9)}  ${String(d.journalSeq).padStart(11)}  ${d.lastError ?? ""}`,
        );
    });

  embassy
    .command("rotate-key")
    .description("start a new data key for new segments (history keeps its keys; nothing is re-encrypted)")
    .requiredOption("--config <file>", "shipper configuration")
    .action(async (o) => print({ dataKey: await rotateShipperKey(readShipperConfig(o.config)) }));

  embassy
    .command("restore")
    .description(
      "rebuild a registry's database from an embassy, verifying every segment against the chain and the ledger",
    )
    .requiredOption("--registry <name>", "registry, e.g. population-register")
    .requiredOption("--from <url>", "embassy URL (https://…)")
    .requiredOption("--key <file>", "master key file (repeatable for rotated master keys)", collect, [])
    .requiredOption("--to <dir>", "directory for the rebuilt database (the file must not exist)")
    .option("--at <time>", "restore the state as of this ISO-8601 time")
    .option("--ledger-key <file>", "the ledger's verifier key (default: ledger.vkey next to the key file)")
    .option(
      "--tls-dir <dir>",
      "directory holding tls/client.crt, client.key, ca.pem (default: the key file's directory)",
    )
    .option("--tls-cert <file>", "client certificate (PEM), instead of --tls-dir")
    .option("--tls-key <file>", "its key")
    .option("--ca <file>", "CA certificates trusted for the embassy")
    .option("--module <module>", "module exporting embassyRegistry, for registries that are not built in")
    .action(async (o) => {
      const keyFiles = o.key as string[];
      const at = o.at === undefined ? undefined : new Date(o.at);
      if (at && Number.isNaN(at.getTime()))
        throw new EmbassyError("EMBASSY_ARGUMENT", `--at ${o.at} is not an ISO-8601 time`);
      const home = dirname(resolve(keyFiles[0]!));
      const anchor = readLedgerKey(o.ledgerKey, join(home, "ledger.vkey"));
      process.stderr.write(`restore: trust anchor: the ledger key ${anchor.key.name} (${anchor.file})\n`);
      const tls = explicitTls(o) ?? readTlsMaterial(tlsFiles(o.tlsDir ?? home, "client"));
      const client = new EmbassyClient(o.from, tls);
      try {
        let lastShown = 0;
        const report = await restoreRegistry({
          definition: await resolveRegistry(o.registry, REGISTRIES, o.module),
          source: client,
          masterKeys: keyFiles.map(readMasterKeyFile),
          ledgerKey: anchor.key,
          to: resolve(o.to),
          ...(at ? { at } : {}),
          onProgress: (p) => {
            if (Date.now() - lastShown < 1000) return;
            lastShown = Date.now();
            process.stderr.write(
              `restore: segment ${p.index}/${p.last}, ${p.rows} snapshot rows, ${p.changes} changes\n`,
            );
          },
        });
        print({ ...report, trustAnchor: { ledgerKey: anchor.file, name: anchor.key.name } });
      } finally {
        await client.close();
      }
    });

  embassy
    .command("drill")
    .description(
      "digital continuity drill: destroy a registry's home data, restore it from the embassy, check the state works",
    )
    .option("--data <dir>", "data directory of a state started by `riik up`", "./data")
    .option("--registry <name>", "registry to destroy and restore", "population-register")
    .action(async (o) => {
      const report = await runDrill({
        dataDir: resolve(o.data),
        registry: o.registry,
        registries: REGISTRIES,
        log: (line) => console.error(line),
      });
      print(report);
      if (!report.ok) process.exitCode = 1;
    });
}
