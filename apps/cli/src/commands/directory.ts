import { lookupAuthenticationCertificates, serveDirectory, toPem } from "@riik/directory";
import type { Command } from "commander";
import { parsePort, untilSignalled } from "../options.ts";

export function registerDirectoryCommands(program: Command): void {
  const directory = program
    .command("directory")
    .description("the public certificate directory: OpenLDAP slapd with every valid authentication certificate");
  directory
    .command("serve")
    .description(
      "start slapd on 127.0.0.1:PORT with its state in DIR and follow the trust services' certificate registry",
    )
    .requiredOption("--dir <dir>", "the directory's state (slapd configuration, database, root secret, cursor)")
    .requiredOption("--port <port>", "LDAP port", parsePort)
    .option("--http-port <port>", "HTTP lookup port (GET /certificates?code=…, /healthz, /metrics)", parsePort)
    .option("--pki-dir <dir>", "the trust services' directory", "./pki")
    .option("--db <url>", "the trust services' PostgreSQL database (instead of the SQLite file in --pki-dir)")
    .action(async (options: { dir: string; port: number; httpPort?: number; pkiDir: string; db?: string }) => {
      const stopping = untilSignalled();
      const server = await serveDirectory({
        dir: options.dir,
        port: options.port,
        httpPort: options.httpPort,
        pkiDir: options.pkiDir,
        databaseUrl: options.db,
        onProgress: (p) =>
          process.stdout.write(`directory: journal at ${p.cursor}, ${p.added} added, ${p.removed} removed\n`),
      });
      process.stdout.write(
        `directory listening at ${server.ldapUrl}${server.httpUrl ? `; lookup at ${server.httpUrl}` : ""}\n`,
      );
      const signal = await stopping;
      process.stdout.write(`directory: ${signal}, stopping\n`);
      await server.close();
    });
  directory
    .command("search")
    .description("print the authentication certificates the directory holds for a personal code (PEM)")
    .argument("<code>", "personal code (38001085718, EE38001085718 or PNOEE-38001085718)")
    .option("--url <url>", "the directory", "ldap://127.0.0.1:389")
    .action(async (code: string, options: { url: string }) => {
      const found = await lookupAuthenticationCertificates(options.url, code);
      if (found.length === 0) process.stderr.write(`no authentication certificate for ${code}\n`);
      for (const certificate of found) process.stdout.write(`# ${certificate.dn}\n${toPem(certificate.der)}`);
      if (found.length === 0) process.exitCode = 1;
    });
}
