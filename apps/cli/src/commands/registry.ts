import { resolve } from "node:path";
import { readSecretFile } from "@riik/core";
import { DEFAULT_REFERENCE_DATE, seedPopulation, startPopulationRegister } from "@riik/population-register";
import { populationRegisterDescriptor } from "@riik/population-register/descriptor";
import { type Command, InvalidArgumentError } from "commander";
import { DB_OPTION_HELP, parsePositiveInteger, untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";

function parseSeed(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 0xffffffff) throw new InvalidArgumentError("must be an integer 0-4294967295");
  return n;
}

function parseDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new InvalidArgumentError("must be a date YYYY-MM-DD");
  return value;
}

const thousands = (n: number) => n.toLocaleString("en-US");

/**
 * Progress on stderr: an in-place bar with counts, rate and ETA on a terminal, plain lines
 * (at most one every two seconds, and the last) when stderr is a file or a pipe.
 */
export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const started = Date.now();
  let lastLine = 0;
  return (done: number, total: number) => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = done / seconds;
    const eta = rate > 0 ? Math.ceil((total - done) / rate) : 0;
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const speed =
      done === 0
        ? ""
        : `  ${thousands(Math.round(rate))}/s  ${done < total ? `ETA ${eta}s` : `${seconds.toFixed(1)}s`}`;
    const text = `${thousands(done)}/${thousands(total)} ${label}${speed}`;
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      stream.write(
        `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(percent).padStart(3)}% ${text}\x1b[K`,
      );
      if (done >= total) stream.write("\n");
    } else if (done >= total || Date.now() - lastLine >= 2000) {
      lastLine = Date.now();
      stream.write(`${percent}% ${text}\n`);
    }
  };
}

export function registerRegistryCommands(program: Command): void {
  const registry = program
    .command("registry")
    .description("population register (Ministry of the Interior): persons, families, addresses over a REST API");

  registry
    .command("seed")
    .description(
      "fill an empty register with a synthetic population: valid personal codes, Estonian names, families, addresses",
    )
    .requiredOption("--dir <dir>", "data directory (SQLite database population_register.sqlite)")
    .option("--persons <n>", "how many persons (Estonia: 1300000)", parsePositiveInteger, 10_000)
    .option("--seed <s>", "random seed; the same seed gives the same population", parseSeed, 1)
    .option(
      "--as-of <date>",
      "the day the population is as of (ages, deaths, address dates)",
      parseDate,
      DEFAULT_REFERENCE_DATE,
    )
    .option("--db <url>", DB_OPTION_HELP)
    .action(async (options: { dir: string; persons: number; seed: number; asOf: string; db?: string }) => {
      const result = await seedPopulation({
        dataDir: resolve(options.dir),
        url: options.db,
        persons: options.persons,
        seed: options.seed,
        referenceDate: options.asOf,
        onProgress: progressReporter("persons"),
        onStage: (stage) => process.stderr.write(`${process.stderr.isTTY ? "\n" : ""}${stage}\n`),
      });
      process.stdout.write(
        `seeded ${thousands(result.persons)} persons, ${thousands(result.relations)} family relations, ${thousands(result.addresses)} addresses (${thousands(result.journalEntries)} journal entries) in ${(result.elapsedMs / 1000).toFixed(1)}s\n`,
      );
    });

  servedCommand(registry, populationRegisterDescriptor, async (config) => {
    const server = await startPopulationRegister({
      dataDir: resolve(config.dir),
      url: config.databaseUrl,
      port: config.port,
      host: config.host,
      ...(config.xroadSecurityServer && config.xroadClient && config.officialCode
        ? {
            exchange: {
              securityServer: config.xroadSecurityServer,
              client: config.xroadClient,
              officialCode: config.officialCode,
              ...(config.operatorTokenFile
                ? { operatorToken: readSecretFile(config.operatorTokenFile, "the register's operator token") }
                : {}),
            },
          }
        : {}),
    });
    process.stdout.write(`population register listening at ${server.url} (OpenAPI: ${server.url}/openapi.json)\n`);
    await untilSignalled();
    await server.close();
  });
}
