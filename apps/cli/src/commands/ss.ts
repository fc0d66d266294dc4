import { readFileSync, writeFileSync } from "node:fs";
import {
  callManagementApi,
  initSecurityServer,
  loadIdentity,
  readSecurityServerConfig,
  startSecurityServer,
  submitRegistration,
  XRoadError,
} from "@riik/xroad";
import { securityServerDescriptor } from "@riik/xroad/descriptor";
import type { Command } from "commander";
import { DB_OPTION_HELP, parsePort, untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";
import { pkcs11Config, pkcs11Options } from "./central.ts";

/** Calls the administration API of the security server configured in FILE. */
function callAdmin(configPath: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const config = readSecurityServerConfig(configPath);
  const token = loadIdentity(config).adminToken.toString();
  return callManagementApi(`http://${config.host}:${config.ports.admin}`, token, method, path, body);
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));
const enc = encodeURIComponent;
const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerSsCommands(program: Command): void {
  const ss = program
    .command("ss")
    .description("X-Road security server: r1 consumer and provider proxies, message log, administration");

  pkcs11Options(ss.command("init"), "the member signing key (ECDSA P-384; the authentication key stays a file)")
    .description("create keys, get authentication and signing certificates from the server CA, write DIR/ss.json")
    .requiredOption("--dir <dir>", "security server directory")
    .requiredOption("--pki <dir>", "trust-services directory (its server CA issues the certificates)")
    .requiredOption("--anchor <file>", "configuration anchor from the central server")
    .requiredOption("--id <id>", "server id INSTANCE/CLASS/MEMBER/SERVERCODE")
    .requiredOption("--name <name>", "the owner member's name")
    .option("--host <host>", "address the server listens on and is reached at", "127.0.0.1")
    .option("--client-port <port>", "HTTP port for information systems", parsePort, 8080)
    .option("--client-tls-port <port>", "HTTPS port for information systems (IS certificates)", parsePort, 8443)
    .option("--server-port <port>", "mutual TLS port for other security servers", parsePort, 5500)
    .option("--admin-port <port>", "administration API, /healthz, /metrics", parsePort, 4000)
    .option("--key <type>", "message key type: p256 or p384", "p256")
    .option("--db <url>", DB_OPTION_HELP)
    .action(async (o, command: Command) => {
      if (o.key !== "p256" && o.key !== "p384") throw new XRoadError("XROAD_ARGUMENT", "--key must be p256 or p384");
      const path = await initSecurityServer({
        dir: o.dir,
        pkiDir: o.pki,
        anchorFile: o.anchor,
        serverId: o.id,
        ownerName: o.name,
        host: o.host,
        ports: { client: o.clientPort, clientTls: o.clientTlsPort, server: o.serverPort, admin: o.adminPort },
        keyType: o.key,
        databaseUrl: o.db,
        pkcs11: pkcs11Config(o, command),
      });
      console.log(path);
    });

  servedCommand(ss, securityServerDescriptor, async (config) => {
    const server = await startSecurityServer({ configPath: config.config, databaseUrl: config.databaseUrl });
    console.log(
      `client ${server.urls.client} client-tls ${server.urls.clientTls} server ${server.urls.server} admin ${server.urls.admin}`,
    );
    await untilSignalled();
    await server.close();
  });

  ss.command("register")
    .description("submit the authentication certificate to the central server for approval")
    .requiredOption("--config <file>", "ss.json")
    .option("--central <url>", "central server base URL (default: from the anchor)")
    .action(async (o) => print(await submitRegistration(o.config, o.central)));

  const withConfig = (name: string, description: string) =>
    ss.command(name).description(description).requiredOption("--config <file>", "ss.json of a running security server");

  withConfig("clients", "list local clients").action(async (o) =>
    print(await callAdmin(o.config, "GET", "/api/v1/clients")),
  );
  withConfig("client-add", "add a local client (member or subsystem)")
    .requiredOption("--id <id>", "client id")
    .option("--connection <type>", "http (allow-listed addresses) or https (IS certificates)", "https")
    .option("--allow <address>", "allowed IS address for http (repeatable)", collect, [])
    .option("--logging <mode>", "message log mode: full or metadata", "full")
    .action(async (o) =>
      print(
        await callAdmin(o.config, "POST", "/api/v1/clients", {
          id: o.id,
          connection: o.connection,
          allowedAddresses: o.allow,
          loggingMode: o.logging,
        }),
      ),
    );
  withConfig("client-cert-add", "register an information system's TLS certificate for a client")
    .requiredOption("--client <id>", "client id")
    .requiredOption("--cert <file>", "PEM certificate")
    .action(async (o) =>
      print(
        await callAdmin(o.config, "POST", `/api/v1/clients/${enc(o.client)}/is-certificates`, {
          certificate: readFileSync(o.cert, "utf8"),
        }),
      ),
    );
  withConfig("service-add", "add (or replace) a REST service of a subsystem")
    .requiredOption("--client <id>", "provider subsystem id")
    .requiredOption("--code <code>", "service code")
    .requiredOption("--url <url>", "provider base URL")
    .option("--openapi <file>", "OpenAPI 3 description (JSON or YAML) to import endpoints from")
    .option("--timeout <seconds>", "provider timeout", "60")
    .option(
      "--connection <type>",
      "http, https-no-auth (TLS, IS certificate not checked) or https (IS certificate pinned with client-cert-add); default from the URL",
    )
    .option(
      "--personal-data",
      "the service returns personal data (Data Tracker: purpose and user required, uses recorded)",
    )
    .option(
      "--subjects-header <name>",
      "response header naming the persons (comma-separated user ids)",
      "X-Riik-Data-Subjects",
    )
    .option("--subject-path-param <name>", "path parameter naming the person (with --subject-path-pattern)")
    .option("--subject-path-pattern <pattern>", "path pattern with the parameter, e.g. '/persons/{code}'")
    .action(async (o) => {
      if (!o.personalData && (o.subjectPathParam || o.subjectPathPattern))
        throw new XRoadError("XROAD_ARGUMENT", "--subject-path-param and --subject-path-pattern need --personal-data");
      print(
        await callAdmin(o.config, "POST", `/api/v1/clients/${enc(o.client)}/services`, {
          serviceCode: o.code,
          url: o.url,
          timeoutSeconds: Number(o.timeout),
          ...(o.connection ? { connection: o.connection } : {}),
          ...(o.openapi ? { openapi: readFileSync(o.openapi, "utf8") } : {}),
          ...(o.personalData
            ? {
                personalData: {
                  subjectsHeader: o.subjectsHeader,
                  ...(o.subjectPathParam ? { subjectPathParam: o.subjectPathParam } : {}),
                  ...(o.subjectPathPattern ? { subjectPathPattern: o.subjectPathPattern } : {}),
                },
              }
            : {}),
        }),
      );
    });
  withConfig(
    "internal-tls-cert",
    "print the internal TLS certificate (PEM) that information systems pin: it is the client certificate towards https services",
  )
    .option("--out <file>", "write the PEM to this file instead")
    .action(async (o) => {
      const { certificate } = (await callAdmin(o.config, "GET", "/api/v1/internal-tls-certificate")) as {
        certificate: string;
      };
      if (o.out) writeFileSync(o.out, certificate);
      else process.stdout.write(certificate);
    });
  withConfig("access-grant", "grant an access right to a service (or one endpoint)")
    .requiredOption("--client <id>", "provider subsystem id")
    .requiredOption("--service <code>", "service code")
    .requiredOption("--subject <subject>", "client id, globalgroup:CODE or localgroup:CODE")
    .option("--method <method>", "HTTP method or *", "*")
    .option("--path <pattern>", "path pattern (* one segment, ** anything)", "**")
    .action(async (o) =>
      print(
        await callAdmin(o.config, "POST", `/api/v1/clients/${enc(o.client)}/services/${enc(o.service)}/access`, {
          subject: o.subject,
          method: o.method,
          path: o.path,
        }),
      ),
    );
  withConfig("datatracker-reader", "let a client read the Data Tracker usage protocol of a provider subsystem")
    .requiredOption("--client <id>", "provider subsystem id (with personal-data services)")
    .requiredOption(
      "--reader <subject>",
      "client id (e.g. the portal's data tracker subsystem), globalgroup:CODE or localgroup:CODE",
    )
    .action(async (o) =>
      print(
        await callAdmin(o.config, "POST", `/api/v1/clients/${enc(o.client)}/datatracker/readers`, { reader: o.reader }),
      ),
    );
  withConfig("datatracker-hide-grant", "let a consumer hide its uses from the persons concerned until a date")
    .requiredOption("--client <id>", "provider subsystem id")
    .requiredOption("--consumer <subject>", "consumer client id, globalgroup:CODE or localgroup:CODE")
    .action(async (o) =>
      print(
        await callAdmin(o.config, "POST", `/api/v1/clients/${enc(o.client)}/datatracker/hide-grants`, {
          consumer: o.consumer,
        }),
      ),
    );
  withConfig("datatracker-hidden", "list the hidden uses of a provider subsystem (operator's view)")
    .requiredOption("--client <id>", "provider subsystem id")
    .action(async (o) =>
      print(await callAdmin(o.config, "GET", `/api/v1/clients/${enc(o.client)}/datatracker/hidden`)),
    );
  withConfig("refresh", "download the global configuration now and drop cached OCSP answers").action(async (o) =>
    print(await callAdmin(o.config, "POST", "/api/v1/refresh")),
  );
  withConfig("log-verify", "check the whole message log against its anchors").action(async (o) => {
    const result = (await callAdmin(o.config, "GET", "/api/v1/messagelog/verify")) as { problems: string[] };
    print(result);
    if (result.problems.length > 0) throw new XRoadError("XROAD_EVIDENCE_INVALID", "the message log does not verify");
  });
  withConfig("evidence", "download the evidence for one message")
    .requiredOption("--query-id <id>", "X-Road-Id of the message")
    .requiredOption("--out <file>", "where to write the evidence JSON")
    .action(async (o) => {
      const evidence = await callAdmin(o.config, "GET", `/asic?queryId=${enc(o.queryId)}`);
      writeFileSync(o.out, `${JSON.stringify(evidence, null, 2)}\n`);
      console.log(o.out);
    });

  // Listings and removals: every resource of the administration API has its verbs here.
  withConfig("status", "show the server id, the global configuration version and the last errors").action(async (o) =>
    print(await callAdmin(o.config, "GET", "/status")),
  );
  withConfig("client-remove", "remove a local client (its services, rights and IS certificates)")
    .requiredOption("--id <id>", "client id")
    .action(async (o) => print(await callAdmin(o.config, "DELETE", `/api/v1/clients/${enc(o.id)}`)));
  withConfig("client-update", "change a local client's connection, allowed addresses or logging")
    .requiredOption("--id <id>", "client id")
    .option("--connection <type>", "http or https")
    .option("--allow <address>", "allowed IS address for http (repeatable; replaces the list)", collect)
    .option("--logging <mode>", "full or metadata")
    .action(async (o) =>
      print(
        await callAdmin(o.config, "PATCH", `/api/v1/clients/${enc(o.id)}`, {
          ...(o.connection ? { connection: o.connection } : {}),
          ...(o.allow ? { allowedAddresses: o.allow } : {}),
          ...(o.logging ? { loggingMode: o.logging } : {}),
        }),
      ),
    );
  withConfig("services", "list the services of a subsystem")
    .requiredOption("--client <id>", "provider subsystem id")
    .action(async (o) => print(await callAdmin(o.config, "GET", `/api/v1/clients/${enc(o.client)}/services`)));
  withConfig("service-remove", "remove a service and its access rights")
    .requiredOption("--client <id>", "provider subsystem id")
    .requiredOption("--code <code>", "service code")
    .action(async (o) =>
      print(await callAdmin(o.config, "DELETE", `/api/v1/clients/${enc(o.client)}/services/${enc(o.code)}`)),
    );
  withConfig("access-revoke", "revoke an access right (the same subject, method and path as granted)")
    .requiredOption("--client <id>", "provider subsystem id")
    .requiredOption("--service <code>", "service code")
    .requiredOption("--subject <subject>", "client id, globalgroup:CODE or localgroup:CODE")
    .option("--method <method>", "HTTP method or *", "*")
    .option("--path <pattern>", "path pattern", "**")
    .action(async (o) => {
      const query = new URLSearchParams({ subject: o.subject, method: o.method, path: o.path });
      print(
        await callAdmin(
          o.config,
          "DELETE",
          `/api/v1/clients/${enc(o.client)}/services/${enc(o.service)}/access?${query}`,
        ),
      );
    });
  withConfig("local-group-set", "set the members of a local group of a subsystem")
    .requiredOption("--client <id>", "subsystem id")
    .requiredOption("--code <code>", "group code")
    .option("--member <id>", "member client id (repeatable; none empties the group)", collect, [])
    .action(async (o) =>
      print(
        await callAdmin(o.config, "PUT", `/api/v1/clients/${enc(o.client)}/local-groups/${enc(o.code)}`, {
          members: o.member,
        }),
      ),
    );
  for (const [verb, kind, option] of [
    ["datatracker-reader-revoke", "readers", "reader"],
    ["datatracker-hide-revoke", "hide-grants", "consumer"],
  ] as const)
    withConfig(verb, `revoke a Data Tracker ${option === "reader" ? "reader" : "hide"} right`)
      .requiredOption("--client <id>", "provider subsystem id")
      .requiredOption(`--${option} <subject>`, "client id, globalgroup:CODE or localgroup:CODE")
      .action(async (o) =>
        print(
          await callAdmin(o.config, "DELETE", `/api/v1/clients/${enc(o.client)}/datatracker/${kind}/${enc(o[option])}`),
        ),
      );
  withConfig("messages", "list the logged messages of one exchange")
    .requiredOption("--query-id <id>", "X-Road-Id of the message")
    .action(async (o) => print(await callAdmin(o.config, "GET", `/api/v1/messages?queryId=${enc(o.queryId)}`)));
  withConfig("datatracker-uses", "list the Data Tracker records of one exchange")
    .requiredOption("--query-id <id>", "X-Road-Id of the message")
    .action(async (o) => print(await callAdmin(o.config, "GET", `/api/v1/datatracker/uses?queryId=${enc(o.queryId)}`)));
  withConfig("anchor", "anchor the pending message log and Data Tracker batches now").action(async (o) =>
    print(await callAdmin(o.config, "POST", "/api/v1/messagelog/anchor")),
  );
}
