import { resolve } from "node:path";
import { openBusinessRegister, seedDemoCompanies, startBusinessRegister } from "@riik/business-register";
import { businessRegisterDescriptor } from "@riik/business-register/descriptor";
import { readCertificate } from "@riik/pki";
import { demoPersons } from "@riik/population-register";
import { type Command, InvalidArgumentError } from "commander";
import { DB_OPTION_HELP, parsePositiveInteger, untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

export function registerBusinessCommands(program: Command): void {
  const business = program
    .command("business")
    .description("the e-Business Register: companies, registry codes, representation rights, founding an OÜ online");
  business
    .command("seed")
    .description(
      "register demo companies (OÜ) whose board members are the population register's demo persons, so they can act for a company",
    )
    .requiredOption("--dir <dir>", "the business register's data directory")
    .requiredOption("--registry <dir>", "the population register's data directory (its demo persons)")
    .option(
      "--count <n>",
      "how many demo companies (1-50)",
      (value) => {
        const n = parsePositiveInteger(value);
        if (n > 50) throw new InvalidArgumentError("at most 50");
        return n;
      },
      3,
    )
    .option("--db <url>", DB_OPTION_HELP)
    .action(async (o: { dir: string; registry: string; count: number; db?: string }) => {
      const { count } = o;
      const persons = await demoPersons({ dataDir: resolve(o.registry) }, count + 1);
      // Seeds need no signature check: the register opens with no trust anchor it would use.
      const register = await openBusinessRegister({ dataDir: resolve(o.dir), url: o.db }, { trustAnchors: [] });
      try {
        for (const { company, board } of await seedDemoCompanies(register, persons, count)) {
          process.stdout.write(
            `${company.registryCode} ${company.name}: board ${board.givenName} ${board.surname} (${board.personalCode})\n`,
          );
        }
      } finally {
        await register.close();
      }
    });

  servedCommand(business, businessRegisterDescriptor, async (config) => {
    const server = await startBusinessRegister({
      dataDir: resolve(config.dir),
      url: config.databaseUrl,
      port: config.port,
      host: config.host,
      trustAnchors: [readCertificate(resolve(config.trust))],
      ...(config.xroadSecurityServer && config.xroadClient && config.personsService
        ? {
            xroad: {
              securityServer: config.xroadSecurityServer,
              client: config.xroadClient,
              personsService: config.personsService,
              ...(config.eResidentsService ? { eResidentsService: config.eResidentsService } : {}),
              ...(config.businessBansService ? { businessBansService: config.businessBansService } : {}),
            },
          }
        : {}),
      foundingHourlyLimit: config.foundingHourlyLimit,
    });
    process.stdout.write(`business register listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
}
