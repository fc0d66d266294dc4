import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { temporaryDirectory } from "@riik/core/testing";
import { freePort } from "../../pki/test/helpers.ts";

const RIIK = fileURLToPath(new URL("../bin/riik.js", import.meta.url));

/** Starts `riik up` and resolves with its output once it prints the `ready` line. */
function startUp(dataDir: string, portBase: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [RIIK, "up", "--data", dataDir, "--port-base", String(portBase)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    const check = setInterval(() => {
      if (/^ready /m.test(output)) {
        clearInterval(check);
        resolve({ child, output: () => output });
      }
    }, 50);
    child.once("exit", (code) => {
      clearInterval(check);
      reject(new Error(`riik up exited with ${code}: ${output}`));
    });
  });
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

describe("riik up (the main job)", () => {
  it("initialises, serves, restarts a crashed service, stops cleanly on SIGTERM, and resumes with its data", async () => {
    const dataDir = temporaryDirectory("riik-up-");
    const portBase = await freePort();
    const url = `http://127.0.0.1:${portBase}`;
    const first = await startUp(dataDir, portBase);
    assert.match(first.output(), /first start, initialising trust services/);
    const state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8"));
    assert.equal(state.services.pki.url, url);
    assert.ok(await healthy(url));
    const rootBefore = readFileSync(join(dataDir, "pki", "ca", "root.crt"), "utf8");

    // Kill the trust services process: the supervisor reports it and starts it again.
    const pid = Number(readFileSync(join(dataDir, "logs", "pki.log"), "utf8").match(/"pid":(\d+)/)?.[1]);
    assert.ok(pid > 0);
    process.kill(pid, "SIGKILL");
    while (!/pki exited \(SIGKILL\); restarting/.test(first.output())) await new Promise((r) => setTimeout(r, 50));
    while (!(await healthy(url))) await new Promise((r) => setTimeout(r, 100));

    first.child.kill("SIGTERM");
    const [code] = await once(first.child, "exit");
    assert.equal(code, 0);
    assert.equal(await healthy(url), false, "no service is left running");

    const second = await startUp(dataDir, portBase);
    assert.doesNotMatch(second.output(), /first start/);
    assert.equal(
      readFileSync(join(dataDir, "pki", "ca", "root.crt"), "utf8"),
      rootBefore,
      "the same trust services resume",
    );
    second.child.kill("SIGINT");
    assert.equal((await once(second.child, "exit"))[0], 0);
  });

  it("answers --help on every verb", async () => {
    for (const verb of [
      [],
      ["up"],
      ["pki"],
      ["pki", "init"],
      ["pki", "serve"],
      ["id"],
      ["id", "issue"],
      ["id", "revoke"],
    ]) {
      const child = spawn(process.execPath, [RIIK, ...verb, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (c) => (out += c));
      const [code] = await once(child, "exit");
      assert.equal(code, 0, `riik ${verb.join(" ")} --help`);
      assert.match(out, /Usage: riik/);
    }
  });

  it("refuses bad input with a typed error and exit code 1", async () => {
    const child = spawn(
      process.execPath,
      [
        RIIK,
        "id",
        "issue",
        "--dir",
        temporaryDirectory(),
        "--code",
        "38001085719",
        "--given",
        "A",
        "--surname",
        "B",
        "--pin1",
        "1234",
        "--pin2",
        "12345",
        "--out",
        "/dev/null",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    child.stderr!.setEncoding("utf8").on("data", (c) => (err += c));
    const [code] = await once(child, "exit");
    assert.equal(code, 1);
    assert.match(err, /riik: PKI_NOT_INITIALISED: /);
  });
});
