import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { verifyEvidence, XRoadError } from "@riik/xroad";
import type { Command } from "commander";

export function registerXroadCommands(program: Command): void {
  const xroad = program.command("xroad").description("X-Road data exchange: offline checks");
  xroad
    .command("verify-evidence")
    .description("check a message's evidence (from a security server's /asic?queryId=…) offline")
    .argument("<file>", "evidence JSON file")
    .option("--root <pem>", "trusted root CA certificate (PEM); default: the roots inside the evidence")
    .action(async (file: string, o: { root?: string }) => {
      let evidence: unknown;
      try {
        evidence = JSON.parse(readFileSync(file, "utf8"));
      } catch (cause) {
        throw new XRoadError("XROAD_EVIDENCE_INVALID", `${file} is not a JSON evidence file`, { cause });
      }
      const roots = o.root ? [new X509Certificate(readFileSync(o.root))] : undefined;
      const result = await verifyEvidence(evidence, roots);
      for (const line of result.checks) console.log(`ok   ${line}`);
      for (const line of result.problems) console.log(`FAIL ${line}`);
      if (!result.ok) throw new XRoadError("XROAD_EVIDENCE_INVALID", `${result.problems.length} check(s) failed`);
      console.log("evidence verified");
    });
}
