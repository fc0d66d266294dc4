// The README walkthroughs are the scripts in walkthroughs/ (issue #10: they must run as
// written). Each README shows its script's whole text after a marker line; this file checks
// that text against the script and runs every script in a fresh directory.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort, freePortRange, temporaryDirectory } from "@riik/core/testing";
import { PORT_COUNT } from "@riik/state";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const WALKTHROUGHS = join(ROOT, "walkthroughs");
const MARKER = /^<!-- walkthrough: walkthroughs\/([\w.-]+\.sh) -->\n```sh\n([\s\S]*?)```$/gm;

/** What each walkthrough promises to print, beyond exiting 0. */
const PROMISES: Record<string, RegExp[]> = {
  "cdoc.sh": [
    /^serialNumber: PNOEE-38001085718$/m,
    /^kiri\.cdoc: 1 file\(s\) for 1 recipient\(s\)$/m,
    /^ecc\tMÄNNIK,MARI-LIIS,38001085718\tdata:V=1&TYPE=cert&/m,
    /^Kohtume reedel\.$/m,
    /^riik: CDOC_ARGUMENT: 38001085718 has no valid authentication certificate/m,
    /^refused: exit 1$/m,
  ],
  "ledger.sh": [
    /^VALID: otsus\.txt$/m,
    /^ {2}policy {7}key: checkpoint signed by riik\.localhost\/ledger$/m,
    /^ {2}witnesses {4}1 of 1 trusted/m,
    /^refused: exit 3$/m,
  ],
  "pki.sh": [
    // OpenSSL's OCSP client sees every status change at once (pre-signed answers are dropped).
    /signing\.pem: good[\s\S]*signing\.pem: revoked\n.*\n.*\n\tReason: certificateHold[\s\S]*signing\.pem: good[\s\S]*"format":"web-eid:1\.0"[\s\S]*signing\.pem: revoked/,
    /^Response verify OK$/m,
  ],
  "signature.sh": [
    /^trusted root: .*pki\/ca\/root\.crt/m,
    /^otsus\.asice: VALID$/m,
    /^signature S0 in .*: VALID\n[\s\S]*level: XAdES B-LT\n/m,
    /^signature S1 in .*: VALID\n[\s\S]*level: XAdES B-LTA\n/m,
    /^riik: VERIFY_NO_TRUST_ANCHOR: /m,
    /^refused: exit 3$/m,
  ],
  "state.sh": [
    /^ready http:\/\/127\.0\.0\.1:\d+ /m,
    /^\{"person":\{"personalCode":"\d{11}".*"query":\{"purpose":"Kriminaalmenetlus 1-24-1234".*"xroad":\{"id":"[\w-]+"/m,
    // The registrar's birth, and the Board's offer it caused (issue 13).
    /^ {2}"type": "birth",$/m,
    /"benefit":"childbirth-allowance"/,
    /^drill: trust anchor: the ledger key riik\.localhost\/ledger/m,
    /^drill: recovery point 0 changes/m,
    /^ {2}"ok": true,\n {2}"registry": "population-register"/m,
  ],
  "xroad.sh": [
    /"personalCode":"35012221282"/,
    /^trust anchor: .*pki\/ca\/root\.crt$/m,
    /^ok {3}.*batch statement time-stamped/m,
    /^VALID: evidence verified$/m,
    /^riik: VERIFY_NO_TRUST_ANCHOR: /m,
    /^refused: exit 3$/m,
  ],
};

const scripts = readdirSync(WALKTHROUGHS)
  .filter((name) => name.endsWith(".sh") && name !== "lib.sh")
  .sort();

const readmes = [
  join(ROOT, "README.md"),
  // The floors of the tree (platform, agencies, apps), each package with its README.
  ...["platform", "agencies", "apps"].flatMap((floor) =>
    readdirSync(join(ROOT, floor)).map((pkg) => join(ROOT, floor, pkg, "README.md")),
  ),
].flatMap((path) => {
  try {
    return [{ path, text: readFileSync(path, "utf8") }];
  } catch {
    return []; // a package without a README has no walkthrough
  }
});

/** Every walkthrough block of the READMEs: script name → the text shown. */
function shownBlocks(): Map<string, string[]> {
  const shown = new Map<string, string[]>();
  for (const { text } of readmes)
    for (const [, name, body] of text.matchAll(MARKER)) shown.set(name!, [...(shown.get(name!) ?? []), body!]);
  return shown;
}

interface Run {
  code: number | null;
  output: string;
  /** Whether any process of the script's process group is still alive after it exited. */
  leftBehind: boolean;
}

/** Runs a walkthrough in `dir` as its own process group, on free ports. */
async function runWalkthrough(name: string, dir: string): Promise<Run> {
  const script = join(WALKTHROUGHS, name);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The ports a script takes are its `: "${NAME_PORT:=default}"` defaults, and RIIK_PORT_BASE
  // for `riik up`'s range: the test gives each free ones.
  const text = readFileSync(script, "utf8");
  for (const [, port] of text.matchAll(/\$\{(\w+_PORT):=\d+\}/g)) env[port!] = String(await freePort());
  if (text.includes("${RIIK_PORT_BASE:=")) env.RIIK_PORT_BASE = String(await freePortRange(PORT_COUNT));
  const child = spawn("bash", [script], { cwd: dir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk) => (output += chunk));
  const [code] = (await once(child, "close")) as [number | null];
  // tsx's esbuild helper outlives each riik command for a moment (it exits when its pipe
  // closes): wait, within a bound, for the group to empty instead of reporting those.
  const deadline = Date.now() + 30_000;
  while (groupAlive(child.pid!) && Date.now() < deadline) await delay(100);
  const leftBehind = groupAlive(child.pid!);
  if (leftBehind) process.kill(-child.pid!, "SIGKILL"); // not left to the next test either
  return { code, output, leftBehind };
}

/** Whether any process of the process group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false; // ESRCH: no process of the group is left
  }
}

/** The services' logs, for a failure message. */
function logs(dir: string): string {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".log"))
    .map((name) => `--- ${name}\n${readFileSync(join(dir, name), "utf8").slice(-4000)}`)
    .join("\n");
}

describe("README walkthroughs (#10: the walkthroughs must run as written)", () => {
  it("every README walkthrough block is exactly the text of its script, and every script is shown", () => {
    const shown = shownBlocks();
    assert.deepEqual([...shown.keys()].sort(), scripts, "scripts shown in the READMEs vs. walkthroughs/*.sh");
    for (const [name, bodies] of shown)
      for (const body of bodies) assert.equal(body, readFileSync(join(WALKTHROUGHS, name), "utf8"), name);
  });

  it("every sh block of the READMEs is a walkthrough (synopses are plain blocks), so none goes unrun", () => {
    for (const { path, text } of readmes) {
      const unrun = [...text.matchAll(/^(.*)\n```sh$/gm)].filter(([, before]) => !/^<!-- walkthrough: /.test(before!));
      assert.deepEqual(
        unrun.map((match) => match.index),
        [],
        `${path}: sh blocks without a walkthrough marker`,
      );
    }
  });

  it("every walkthrough with output to check has its promises listed", () => {
    assert.deepEqual(Object.keys(PROMISES).sort(), scripts);
  });

  describe("each walkthrough runs in a fresh directory, exits 0, prints what it promises and leaves no process behind", {
    concurrency: true,
  }, () => {
    for (const name of scripts)
      it(name, async () => {
        const dir = temporaryDirectory(`riik-walkthrough-${name.replace(/\.sh$/, "")}-`);
        const run = await runWalkthrough(name, dir);
        const context = () => `${name} output:\n${run.output}\n${logs(dir)}`;
        assert.equal(run.code, 0, context());
        for (const promise of PROMISES[name] ?? []) assert.match(run.output, promise, context());
        assert.equal(run.leftBehind, false, `${name} left processes behind`);
      });
  });
});
