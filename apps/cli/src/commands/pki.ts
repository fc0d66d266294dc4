import cluster from "node:cluster";
import {
  CertificateRegistry,
  DEFAULT_HOURLY_QUOTA,
  DEFAULT_RA_PERMISSIONS,
  initTrustServices,
  openTrustServices,
  parseKeyAlgorithm,
  RegistrationAuthorities,
  startTrustServicesServer,
} from "@riik/pki";
import { pkiDescriptor } from "@riik/pki/descriptor";
import type { Command } from "commander";
import { DB_OPTION_HELP, untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";
import { registerIncidentCommands } from "./pki-incident.ts";

export function registerPkiCommands(program: Command): void {
  const pki = program
    .command("pki")
    .description("trust services: root and issuing CAs, OCSP responder, time-stamping authority");

  pki
    .command("init")
    .description("create the root CA, the identity-document and server CAs, OCSP responders and the TSA in DIR")
    .requiredOption(
      "--dir <dir>",
      "trust-services directory (certificates in DIR/ca, encrypted keys in DIR/keys unless --pkcs11)",
    )
    .option("--url <url>", "base URL where `riik pki serve` will answer (written into AIA)", "http://127.0.0.1:8800")
    .option("--key <type>", "key type: p384 or rsa2048", parseKeyAlgorithm, "p384")
    .option("--db <url>", DB_OPTION_HELP)
    .option(
      "--pkcs11 <module>",
      "generate the keys inside a PKCS#11 token through this module (e.g. /usr/lib/softhsm/libsofthsm2.so), not in DIR/keys",
    )
    .option("--token-label <label>", "with --pkcs11: the token's label")
    .option("--pin-file <file>", "with --pkcs11: a 0600 file holding the user PIN (else RIIK_PKCS11_PIN)")
    .action(
      async (
        options: {
          dir: string;
          url: string;
          key: "p384" | "rsa2048";
          db?: string;
          pkcs11?: string;
          tokenLabel?: string;
          pinFile?: string;
        },
        command: Command,
      ) => {
        if (options.pkcs11 === undefined && (options.tokenLabel ?? options.pinFile) !== undefined)
          command.error("error: --token-label and --pin-file go with --pkcs11 MODULE");
        if (options.pkcs11 !== undefined && options.tokenLabel === undefined)
          command.error("error: --pkcs11 needs --token-label LABEL (softhsm2-util --show-slots lists them)");
        const services = await initTrustServices({
          dir: options.dir,
          baseUrl: options.url,
          algorithm: options.key,
          databaseUrl: options.db,
          pkcs11: options.pkcs11
            ? { module: options.pkcs11, tokenLabel: options.tokenLabel!, pinFile: options.pinFile }
            : undefined,
        });
        await services.close();
        for (const name of ["root", "esteid", "server", "ocsp", "ocsp-server", "tsa"])
          console.log(`${options.dir}/ca/${name}.crt`);
      },
    );

  const ra = pki
    .command("ra")
    .description(
      "registration authorities: services that may ask for app certificates or cards over HTTP with a token",
    );
  const withAuthorities = async <T>(
    options: { dir: string; db?: string },
    use: (ras: RegistrationAuthorities) => Promise<T>,
  ) => {
    const registry = await CertificateRegistry.open({ dataDir: options.dir, url: options.db });
    try {
      return await use(new RegistrationAuthorities(registry));
    } finally {
      await registry.close();
    }
  };
  const raStore = (command: Command) =>
    command.requiredOption("--dir <dir>", "trust-services directory").option("--db <url>", DB_OPTION_HELP);
  raStore(ra.command("add"))
    .description("add an authority; prints its bearer token once (keep it in a 0600 file)")
    .argument("[name]", "the authority's name (e.g. auth, e-residency)")
    .option("--name <name>", "the authority's name, as an option")
    .option(
      "--allow <permissions>",
      "what it may ask for, comma-separated: app-certificates, cards (cards and revoking them)",
      DEFAULT_RA_PERMISSIONS.join(","),
    )
    .option(
      "--hourly-quota <n>",
      "issuances (app certificates or cards) it may ask for per hour",
      (v) => Number(v),
      DEFAULT_HOURLY_QUOTA,
    )
    .action(
      async (
        positional: string | undefined,
        options: { dir: string; db?: string; name?: string; allow: string; hourlyQuota: number },
        command: Command,
      ) => {
        if (positional !== undefined && options.name !== undefined && positional !== options.name)
          command.error("error: give the name once, as NAME or --name");
        const name = positional ?? options.name;
        if (name === undefined) command.error("error: missing the authority's name (riik pki ra add NAME)");
        const { token } = await withAuthorities(options, (ras) =>
          ras.add(name, {
            hourlyQuota: options.hourlyQuota,
            allow: options.allow.split(",").map((p) => p.trim()),
          }),
        );
        console.log(token);
      },
    );
  raStore(ra.command("list"))
    .description("list the authorities (never their tokens)")
    .action(async (options: { dir: string; db?: string }) => {
      for (const authority of await withAuthorities(options, (ras) => ras.list()))
        console.log(
          `${authority.name}  ${authority.hourlyQuota}/hour  allow ${authority.allow.join(",")}  since ${authority.createdAt}`,
        );
    });
  raStore(ra.command("remove"))
    .description("remove an authority: its token stops working at once")
    .requiredOption("--name <name>", "the authority's name")
    .action(async (options: { dir: string; db?: string; name: string }) => {
      await withAuthorities(options, (ras) => ras.remove(options.name));
    });

  registerIncidentCommands(pki, raStore);

  servedCommand(pki, pkiDescriptor, async (config) => {
    if (config.workers > 1 && cluster.isPrimary) {
      await superviseWorkers(config.workers);
      return;
    }
    const services = await openTrustServices(config.dir, { databaseUrl: config.databaseUrl });
    const server = await startTrustServicesServer({
      services,
      port: config.port,
      host: config.host,
      validitySeconds: config.ocspValidity,
    });
    console.log(`ocsp ${server.urls.ocsp}\ntsa ${server.urls.tsa}\nca ${server.urls.ca}`);
    await untilSignalled();
    await server.close();
    await services.close();
  });
}

/** Forks the workers, which share the listening port (node:cluster), and stops them on a signal. */
async function superviseWorkers(count: number): Promise<void> {
  for (let i = 0; i < count; i++) cluster.fork();
  let stopping = false;
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    console.error(`riik pki serve: worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  await untilSignalled();
  stopping = true;
  await Promise.all(
    Object.values(cluster.workers ?? {}).map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker?.once("exit", () => resolve());
          worker?.process.kill("SIGTERM");
        }),
    ),
  );
}
