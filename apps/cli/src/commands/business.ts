import { resolve } from "node:path";
import { openBusinessRegister, startBusinessRegister } from "@riik/business-register";
import { businessRegisterDescriptor } from "@riik/business-register/descriptor";
import { readCertificate } from "@riik/pki";
import { demoPersons } from "@riik/population-register";
import type { Command } from "commander";
import { DB_OPTION_HELP, untilSignalled } from "../options.ts";
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
    .option("--count <n>", "how many demo companies", "3")
    .option("--db <url>", DB_OPTION_HELP)
    .action(async (o: { dir: string; registry: string; count: string; db?: string }) => {
      const count = Number(o.count);
      if (!Number.isInteger(count) || count < 1 || count > 50) throw new Error("--count must be 1-50");
      const persons = await demoPersons({ dataDir: resolve(o.registry) }, count + 1);
      // Seeds need no signature check: the register opens with no trust anchor it would use.
      const register = await openBusinessRegister({ dataDir: resolve(o.dir), url: o.db }, { trustAnchors: [] });
      try {
        for (let i = 0; i < count; i++) {
          const board = persons[i]!;
          const partner = persons[(i + 1) % persons.length]!;
          const ref = (p: typeof board) => ({
            personalCode: p.personalCode,
            givenName: p.givenName,
            surname: p.surname,
          });
          const founders = board.personalCode === partner.personalCode ? [board] : [board, partner];
          const company = await register.seedCompany({
            name: `${board.surname} ja Partnerid ${i + 1} OÜ`,
            legalForm: "OÜ",
            seatAddress: "Harju maakond, Tallinn, Kesklinna linnaosa, Lossi plats 1a, 15165",
            email: `info${i + 1}@example.ee`,
            activity: "62011",
            shareCapitalCents: founders.length * 125_000,
            founders: founders.map((f) => ({ ...ref(f), shareCents: 125_000 })),
            board: [ref(board)],
            beneficialOwners: founders.map(ref),
            representation: "alone",
            articles: "standard",
          });
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
    });
    process.stdout.write(`business register listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
}
