import { readFile } from "node:fs/promises";
import { type VerificationReport, verifyArchiveGrowth, verifyElectionArchive } from "@riik/electoral-office";
import type { Command } from "commander";

function print(report: VerificationReport, what: string): void {
  if (report.valid) {
    console.log(
      `VALID: ${what}: ${report.ballots} ballots (${report.tallied} tallied), ${report.shuffles} shuffles, ${report.partialDecryptions} partial decryptions`,
    );
    if (report.result) console.log(`result: ${JSON.stringify(report.result)}`);
    return;
  }
  console.error(`riik: ${report.error?.code}: ${report.error?.message}`);
  process.exitCode = 1;
}

/**
 * `riik election verify ARCHIVE [--since SNAPSHOT]`: riik's own verifier of a Belenios 2.0
 * election record (every proof, the chain, the result), which agrees with
 * `belenios-tool election verify`; with --since, also that the archive only grew since a
 * monitor's earlier snapshot (what a dropped ballot with a rebuilt chain fails).
 */
export function registerElectionCommands(program: Command): void {
  const election = program.command("election").description("i-voting: the Belenios 2.0 election record");
  election
    .command("verify")
    .description("verify every proof of a Belenios 2.0 election archive (.bel); exit 1 when anything fails")
    .argument("<archive>", "the election archive")
    .option("--since <snapshot>", "an earlier snapshot of the same archive it must extend")
    .action(async (archive: string, o: { since?: string }) => {
      const report = await verifyElectionArchive(archive);
      if (!report.valid || !o.since) return print(report, archive);
      print(verifyArchiveGrowth(await readFile(o.since), await readFile(archive)), `${archive} extends ${o.since}`);
    });
}
