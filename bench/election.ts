// riik's verifier against belenios-tool on the same archive: an election of N voters (default
// 50; `-- 1000` for more) run by riik, then `belenios-tool election verify` and
// verifyElectionRecord timed on it. Last line: the ratio riik / belenios-tool.
// Run: npm run bench -- election [N]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBallot, credentialSecret, verifyElectionRecord } from "../agencies/electoral-office/src/index.ts";
import { CANDIDATES, oneHot, setupElection } from "../agencies/electoral-office/test/election.ts";

const voters = Number(process.argv[2] ?? 50);
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

let start = process.hrtime.bigint();
const { uuid, server, decryptionKeys, election, privateCredentials, archive, record } = setupElection(voters);
privateCredentials.forEach((c, i) => {
  record.castBallot(createBallot(election, credentialSecret(uuid, c), [oneHot(i % CANDIDATES.length)]));
});
const cast = seconds(start);
start = process.hrtime.bigint();
record.endBallots();
record.shuffle(2);
record.shuffle(3);
record.endShuffles();
const mixed = seconds(start);
start = process.hrtime.bigint();
record.decrypt(1, server.secret);
record.decrypt(2, decryptionKeys[0] as bigint);
record.decrypt(3, decryptionKeys[1] as bigint);
record.publishResult();
const decrypted = seconds(start);
console.log(
  `${voters} ballots: cast ${cast.toFixed(1)} s (${(voters / cast).toFixed(1)} ballots/s made and checked), 2 shuffles with proofs ${mixed.toFixed(1)} s, 3 partial decryptions + result ${decrypted.toFixed(1)} s`,
);

const dir = mkdtempSync(join(tmpdir(), "riik-bench-verify-"));
writeFileSync(join(dir, `${uuid}.bel`), archive.bytes());
start = process.hrtime.bigint();
const tool = spawnSync("belenios-tool", ["election", "verify", `--dir=${dir}`], { encoding: "utf8" });
const toolSeconds = seconds(start);
rmSync(dir, { recursive: true, force: true });
if (tool.status !== 0) throw new Error(`belenios-tool failed: ${tool.stderr}`);
start = process.hrtime.bigint();
const report = verifyElectionRecord(archive.bytes());
const riikSeconds = seconds(start);
if (!report.valid) throw new Error(`riik's verifier failed: ${report.error?.message}`);
console.log(
  `belenios-tool election verify ${toolSeconds.toFixed(2)} s, riik verifyElectionRecord ${riikSeconds.toFixed(2)} s`,
);
console.log(`riik verifier / belenios-tool: ${(riikSeconds / toolSeconds).toFixed(2)}x the time`);
