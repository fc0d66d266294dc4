import { readFileSync } from "node:fs";
import { trustAnchorOf, verifyEvidence, verifyUsageProof, XRoadError } from "@riik/xroad";
import type { Command } from "commander";

const collect = (value: string, previous: string[] = []) => [...previous, value];

// The anchor comes from --trust or --data, never from the file verified (exit 3 without one);
// it is named on stderr before the verdict.

interface TrustOptions {
  trust?: string[];
  data?: string;
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new XRoadError("XROAD_EVIDENCE_INVALID", `${file} is not a JSON ${what}`, { cause });
  }
}

function report(result: { ok: boolean; checks: string[]; problems: string[] }, verdict: string): void {
  for (const line of result.checks) console.log(`ok   ${line}`);
  for (const line of result.problems) console.log(`FAIL ${line}`);
  if (!result.ok) throw new XRoadError("XROAD_EVIDENCE_INVALID", `INVALID: ${result.problems.length} check(s) failed`);
  console.log(verdict);
}

const withTrust = (command: Command) =>
  command
    .option(
      "--trust <path>",
      "trusted root CA certificates (PEM) and ledger verifier keys (.vkey), files or directories (repeatable)",
      collect,
    )
    .option("--data <dir>", "trust the global configuration of the running state in DIR (riik up --data DIR)");

export function registerXroadCommands(program: Command): void {
  const xroad = program.command("xroad").description("X-Road data exchange: offline checks");
  withTrust(
    xroad
      .command("verify-evidence")
      .description("check a message's evidence (from a security server's /asic?queryId=…) against a trust anchor")
      .argument("<file>", "evidence JSON file"),
  ).action(async (file: string, o: TrustOptions) => {
    const anchor = await trustAnchorOf(o, "the evidence");
    process.stderr.write(`trust anchor: ${anchor.name}\n`);
    report(await verifyEvidence(readJson(file, "evidence file"), anchor), "VALID: evidence verified");
  });
  withTrust(
    xroad
      .command("verify-usage-proof")
      .description("check a Data Tracker proof (riik/proof, from the portal) against a trust anchor")
      .argument("<file>", "proof JSON file"),
  ).action(async (file: string, o: TrustOptions) => {
    const anchor = await trustAnchorOf(o, "the proof");
    process.stderr.write(`trust anchor: ${anchor.name}\n`);
    report(await verifyUsageProof(readJson(file, "Data Tracker proof"), anchor), "VALID: the use is anchored");
  });
}
