import {
  openPoliceApp,
  type PoliceConfig,
  PoliceError,
  PoliceRecords,
  readPoliceConfig,
  readRecordsFile,
  SAMPLE_RECORDS,
} from "@riik/police";
import type { Command } from "commander";
import { DB_OPTION_HELP, untilSignalled } from "../options.ts";

/** police.json, with --db taking the place of its databaseUrl. */
function configWith(options: { config: string; db?: string }): PoliceConfig {
  const config = readPoliceConfig(options.config);
  return options.db === undefined ? config : { ...config, databaseUrl: options.db };
}

/** Adds or replaces records (by reference) in the police's store, from FILE. */
async function importRecords(options: { config: string; db?: string }, file: string): Promise<void> {
  const config = configWith(options);
  if (config.dir === undefined)
    throw new PoliceError("POLICE_CONFIG", `${options.config} has no dir: the police keep no records without one`);
  const records = readRecordsFile(file);
  const store = await PoliceRecords.open({ dataDir: config.dir, url: config.databaseUrl });
  try {
    const counts = await store.import(records);
    console.log(`${counts.criminalRecords} criminal records, ${counts.businessBans} business bans`);
  } finally {
    await store.close();
  }
}

export function registerPoliceCommands(program: Command): void {
  const police = program
    .command("police")
    .description(
      "the police and border guard's sample information system: person queries, background checks and business bans over X-Road",
    );

  police
    .command("serve")
    .description(
      "serve POST /queries, and with dir in the config POST /background-checks and GET /business-bans/{code}; /healthz, /metrics",
    )
    .requiredOption(
      "--config <file>",
      "police.json: {port, host, client, securityServer: {url}, personsService, dir?, databaseUrl?, sanctionsList?, consumers?}",
    )
    .option("--db <url>", DB_OPTION_HELP)
    .action(async (o: { config: string; db?: string }) => {
      const app = await openPoliceApp(configWith(o));
      const address = await app.listen();
      console.log(`police app ${address}/queries`);
      await untilSignalled();
      await app.close();
    });

  police
    .command("import")
    .description(
      "add or replace criminal records and business bans (each by reference) from a riik-police-records/1 file",
    )
    .argument("<file>", "records file (JSON, format riik-police-records/1)")
    .requiredOption("--config <file>", "police.json (its dir and databaseUrl)")
    .option("--db <url>", DB_OPTION_HELP)
    .action(async (file: string, o: { config: string; db?: string }) => importRecords(o, file));

  police
    .command("seed")
    .description("import the package's sample records (invented persons: a conviction, a ban in force, an ended ban)")
    .requiredOption("--config <file>", "police.json (its dir and databaseUrl)")
    .option("--db <url>", DB_OPTION_HELP)
    .action(async (o: { config: string; db?: string }) => importRecords(o, SAMPLE_RECORDS));
}
