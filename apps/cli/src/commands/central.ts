import { readFileSync } from "node:fs";
import type { Pkcs11Config } from "@riik/pki";
import { callManagementApi, centralFiles, initCentral, readCentralConfig, startCentralServer } from "@riik/xroad";
import { centralDescriptor } from "@riik/xroad/descriptor";
import type { Command } from "commander";
import { parsePositiveInteger, untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

/** Calls the management API of the central server whose directory is DIR (address and token from there). */
function callCentral(dir: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const config = readCentralConfig(dir);
  const token = readFileSync(centralFiles(dir).token, "utf8").trim();
  return callManagementApi(config.address, token, method, path, body);
}

/** `--pkcs11 MODULE --token-label L --pin-file F`, as `riik pki init` takes them: a key made inside a token. */
export function pkcs11Options(command: Command, key: string): Command {
  return command
    .option(
      "--pkcs11 <module>",
      `generate ${key} inside a PKCS#11 token through this module (e.g. /usr/lib/softhsm/libsofthsm2.so)`,
    )
    .option("--token-label <label>", "with --pkcs11: the token's label")
    .option("--pin-file <file>", "with --pkcs11: a 0600 file holding the user PIN (else RIIK_PKCS11_PIN)");
}

/** The token pkcs11Options named, or undefined; a label or PIN file without a module is an error. */
export function pkcs11Config(
  options: { pkcs11?: string; tokenLabel?: string; pinFile?: string },
  command: Command,
): Pkcs11Config | undefined {
  if (options.pkcs11 === undefined && (options.tokenLabel ?? options.pinFile) !== undefined)
    command.error("error: --token-label and --pin-file go with --pkcs11 MODULE");
  if (options.pkcs11 === undefined) return undefined;
  if (options.tokenLabel === undefined)
    command.error("error: --pkcs11 needs --token-label LABEL (softhsm2-util --show-slots lists them)");
  return { module: options.pkcs11, tokenLabel: options.tokenLabel, pinFile: options.pinFile };
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const enc = encodeURIComponent;

export function registerCentralCommands(program: Command): void {
  const central = program
    .command("central")
    .description(
      "X-Road central server: members, subsystems, security servers, global groups, signed global configuration",
    );

  pkcs11Options(
    central
      .command("init")
      .description("create the configuration signing key, the admin token and the configuration anchor in DIR")
      .requiredOption("--dir <dir>", "central server directory")
      .requiredOption("--instance <code>", "X-Road instance code, e.g. EE")
      .option("--url <url>", "base URL where `riik central serve` will answer", "http://127.0.0.1:8810")
      .option("--pki <dir>", "trust-services directory whose server CA, root and TSA the configuration announces")
      .option("--validity <seconds>", "how long each signed configuration is valid", parsePositiveInteger, 600)
      .option(
        "--ocsp-freshness <seconds>",
        "how long security servers may cache OCSP answers",
        parsePositiveInteger,
        60,
      ),
    "the configuration signing key",
  ).action(async (o, command: Command) => {
    const result = await initCentral({
      dir: o.dir,
      instance: o.instance,
      address: o.url,
      pkiDir: o.pki,
      confValiditySeconds: o.validity,
      ocspFreshnessSeconds: o.ocspFreshness,
      pkcs11: pkcs11Config(o, command),
    });
    console.log(`anchor ${result.anchorPath}\nadmin token ${result.tokenPath}`);
  });

  servedCommand(central, centralDescriptor, async (config) => {
    const server = await startCentralServer({
      dir: config.dir,
      port: config.port,
      host: config.host,
      databaseUrl: config.databaseUrl,
      ...(config.validity ? { confValiditySeconds: config.validity } : {}),
    });
    console.log(`central ${server.url} globalconf ${server.url}/globalconf`);
    await untilSignalled();
    await server.close();
  });

  const dirOption = (command: Command) => command.requiredOption("--dir <dir>", "central server directory");

  dirOption(central.command("member-add").description("register a member"))
    .requiredOption("--class <class>", "member class, e.g. GOV")
    .requiredOption("--code <code>", "member code")
    .requiredOption("--name <name>", "member name")
    .action(async (o) =>
      print(
        await callCentral(o.dir, "POST", "/api/v1/members", { memberClass: o.class, memberCode: o.code, name: o.name }),
      ),
    );
  dirOption(central.command("subsystem-add").description("register a subsystem (INSTANCE/CLASS/MEMBER/SUBSYSTEM)"))
    .requiredOption("--id <id>", "subsystem id")
    .option("--name <name>", "subsystem name")
    .action(async (o) => print(await callCentral(o.dir, "POST", "/api/v1/subsystems", { id: o.id, name: o.name })));
  for (const verb of ["disable", "enable", "remove"] as const)
    dirOption(central.command(`client-${verb}`).description(`${verb} a member or subsystem`))
      .requiredOption("--id <id>", "client id")
      .action(async (o) =>
        print(
          await callCentral(
            o.dir,
            verb === "remove" ? "DELETE" : "POST",
            `/api/v1/clients/${enc(o.id)}${verb === "remove" ? "" : `/${verb}`}`,
          ),
        ),
      );
  dirOption(central.command("requests").description("list authentication certificate registration requests")).action(
    async (o) => print(await callCentral(o.dir, "GET", "/api/v1/registration-requests")),
  );
  for (const verb of ["approve", "reject"] as const)
    dirOption(central.command(verb).description(`${verb} a registration request`))
      .requiredOption("--request <id>", "request id")
      .action(async (o) =>
        print(await callCentral(o.dir, "POST", `/api/v1/registration-requests/${enc(o.request)}/${verb}`)),
      );
  dirOption(central.command("server-client-add").description("register a client on a security server"))
    .requiredOption("--server <id>", "INSTANCE/CLASS/MEMBER/SERVERCODE")
    .requiredOption("--client <id>", "client id")
    .action(async (o) =>
      print(
        await callCentral(o.dir, "POST", `/api/v1/security-servers/${enc(o.server)}/clients`, { client: o.client }),
      ),
    );
  dirOption(central.command("group-add").description("create a global group"))
    .requiredOption("--code <code>", "group code")
    .option("--description <text>", "description", "")
    .action(async (o) =>
      print(
        await callCentral(o.dir, "POST", "/api/v1/global-groups", { groupCode: o.code, description: o.description }),
      ),
    );
  dirOption(central.command("group-member-add").description("add a client to a global group"))
    .requiredOption("--code <code>", "group code")
    .requiredOption("--client <id>", "client id")
    .action(async (o) =>
      print(await callCentral(o.dir, "POST", `/api/v1/global-groups/${enc(o.code)}/members`, { client: o.client })),
    );

  // Listings and removals: every resource of the management API has its verbs here.
  for (const [verb, path, what] of [
    ["members", "/api/v1/members", "list members and their subsystems"],
    ["servers", "/api/v1/security-servers", "list security servers, their clients and certificates"],
    ["groups", "/api/v1/global-groups", "list global groups and their members"],
    ["trust", "/api/v1/trust", "show the trust services the configuration announces"],
    ["configuration", "/api/v1/configuration", "show the version and expiry of the configuration being served"],
  ] as const)
    dirOption(central.command(verb).description(what)).action(async (o) =>
      print(await callCentral(o.dir, "GET", path)),
    );
  dirOption(central.command("regenerate").description("sign a new configuration version now")).action(async (o) =>
    print(await callCentral(o.dir, "POST", "/api/v1/configuration/regenerate")),
  );
  dirOption(central.command("server-remove").description("remove a security server (its certificates and clients)"))
    .requiredOption("--server <id>", "INSTANCE/CLASS/MEMBER/SERVERCODE")
    .action(async (o) => print(await callCentral(o.dir, "DELETE", `/api/v1/security-servers/${enc(o.server)}`)));
  dirOption(central.command("server-client-remove").description("remove a client from a security server"))
    .requiredOption("--server <id>", "INSTANCE/CLASS/MEMBER/SERVERCODE")
    .requiredOption("--client <id>", "client id")
    .action(async (o) =>
      print(await callCentral(o.dir, "DELETE", `/api/v1/security-servers/${enc(o.server)}/clients/${enc(o.client)}`)),
    );
  dirOption(central.command("auth-cert-add").description("register another authentication certificate of a server"))
    .requiredOption("--server <id>", "INSTANCE/CLASS/MEMBER/SERVERCODE")
    .requiredOption("--cert <file>", "PEM certificate")
    .action(async (o) =>
      print(
        await callCentral(o.dir, "POST", `/api/v1/security-servers/${enc(o.server)}/auth-certificates`, {
          certificate: readFileSync(o.cert, "utf8"),
        }),
      ),
    );
  dirOption(central.command("auth-cert-remove").description("revoke an authentication certificate of a server"))
    .requiredOption("--server <id>", "INSTANCE/CLASS/MEMBER/SERVERCODE")
    .requiredOption("--hash <sha256>", "SHA-256 of the certificate (hex)")
    .action(async (o) =>
      print(
        await callCentral(
          o.dir,
          "DELETE",
          `/api/v1/security-servers/${enc(o.server)}/auth-certificates/${enc(o.hash)}`,
        ),
      ),
    );
  dirOption(central.command("group-remove").description("remove a global group"))
    .requiredOption("--code <code>", "group code")
    .action(async (o) => print(await callCentral(o.dir, "DELETE", `/api/v1/global-groups/${enc(o.code)}`)));
  dirOption(central.command("group-member-remove").description("remove a client from a global group"))
    .requiredOption("--code <code>", "group code")
    .requiredOption("--client <id>", "client id")
    .action(async (o) =>
      print(await callCentral(o.dir, "DELETE", `/api/v1/global-groups/${enc(o.code)}/members/${enc(o.client)}`)),
    );
}
