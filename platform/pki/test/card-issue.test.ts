import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as x509 from "@peculiar/x509";
import { RIIK_BIN, runRiik, temporaryDirectory } from "@riik/core/testing";
import { parseCardFile, writeCardFile } from "../src/identity/card-file.ts";
import { issueCardFile, normaliseSerial, PkiError } from "../src/index.ts";
import { startTestTrustServices } from "./helpers.ts";

const PINS = { RIIK_PIN1: "1234", RIIK_PIN2: "12345" };
const person = (code: string) => ["--code", code, "--given", "Mari", "--surname", "Maasikas"];

describe("#10 riik id issue never leaves an issued certificate without its key", async () => {
  const { dir, services } = await startTestTrustServices();
  const out = temporaryDirectory("riik-cards-");
  const statuses = async (code: string) =>
    (await services.registry.byPersonalCode(code)).map((row) => [row.purpose, row.status, row.revocation_reason]);

  it("#10 --out EXISTING is refused before anything is issued, with a riik code and no stack trace", async () => {
    const existing = join(out, "existing.json");
    writeFileSync(existing, "mine\n");
    const result = await runRiik(["id", "issue", "--dir", dir, ...person("48707282714"), "--out", existing], {
      cwd: out,
      env: PINS,
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^riik: CARD_FILE_EXISTS: /);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    assert.equal(readFileSync(existing, "utf8"), "mine\n");
    assert.deepEqual(await statuses("48707282714"), [], "nothing issued");
  });

  it("#10 writes the card file atomically: 0600, in a new 0700 directory, PINs from RIIK_PIN1/RIIK_PIN2", async () => {
    const target = join(out, "new", "deeper", "mari.json");
    const result = await runRiik(["id", "issue", "--dir", dir, ...person("38001085718"), "--out", target], {
      cwd: out,
      env: PINS,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(statSync(target).mode & 0o777, 0o600);
    assert.equal(statSync(join(out, "new")).mode & 0o777, 0o700);
    assert.equal(statSync(join(out, "new", "deeper")).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(join(out, "new", "deeper")), ["mari.json"], "no temporary file left");
    const card = parseCardFile(readFileSync(target, "utf8"));
    assert.equal(card.personalCode, "38001085718");
    assert.deepEqual(await statuses("38001085718"), [
      ["id-authentication", "good", null],
      ["id-signing", "good", null],
    ]);
    const noPin = await runRiik(["id", "issue", "--dir", dir, ...person("38001085718"), "--out", join(out, "x.json")], {
      cwd: out,
    });
    assert.equal(noPin.code, 2, "PIN1 is mandatory without RIIK_PIN1");
  });

  it("#10 the target appears while issuing: the write fails and both certificates are revoked", async () => {
    const target = join(out, "raced.json");
    // Another process creates the file between the check and the write: the link refuses to overwrite.
    const raced = (path: string, card: Parameters<typeof writeCardFile>[1]) => {
      writeFileSync(path, "someone else's\n");
      writeCardFile(path, card);
    };
    const request = { personalCode: "60001019906", givenName: "Kati", surname: "Karu", pin1: "1234", pin2: "12345" };
    await assert.rejects(issueCardFile(services, request, target, raced), (error: unknown) => {
      assert.ok(error instanceof PkiError);
      assert.equal(error.code, "CARD_FILE_EXISTS");
      assert.equal((error.details?.revoked as string[] | undefined)?.length, 2);
      return true;
    });
    assert.equal(readFileSync(target, "utf8"), "someone else's\n");
    assert.deepEqual(await statuses("60001019906"), [
      ["id-authentication", "revoked", 5],
      ["id-signing", "revoked", 5],
    ]);
    assert.deepEqual(
      readdirSync(out).filter((name) => name.includes(".partial")),
      [],
    );
  });

  it("#10 any other write failure after issuance revokes both certificates too", async () => {
    const request = { personalCode: "49701010350", givenName: "Kati", surname: "Karu", pin1: "1234", pin2: "12345" };
    // A full disk cannot be provoked here: this writer stands in for it.
    const full = () => {
      throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    };
    await assert.rejects(issueCardFile(services, request, join(out, "full.json"), full), { code: "CARD_FILE_WRITE" });
    const rows = await services.registry.byPersonalCode("49701010350");
    assert.deepEqual(
      rows.map((row) => row.status),
      ["revoked", "revoked"],
    );
    const events = await services.registry.events("esteid", rows[0]!.serial);
    assert.match(events.at(-1)!.actor, /card file .*full\.json not written/);
  });
});

describe("#10 riik id show", async () => {
  const { dir, services } = await startTestTrustServices();
  const out = temporaryDirectory("riik-cards-");
  const card = join(out, "jaan.json");
  const issued = await runRiik(["id", "issue", "--dir", dir, ...person("38001085718"), "--out", card], {
    cwd: out,
    env: PINS,
  });
  assert.equal(issued.code, 0, issued.stderr);
  const serial = normaliseSerial(
    new x509.X509Certificate(parseCardFile(readFileSync(card, "utf8")).signing.certificate).serialNumber,
  );

  it("#10 keeps the status apart from the validity period: no 'revoked until 2031'", async () => {
    await services.registry.changeStatus("esteid", serial, {
      event: "revoked",
      reason: "keyCompromise",
      actor: "test",
    });
    const result = await runRiik(["id", "show", "--dir", dir, "--code", "38001085718"], { cwd: out });
    assert.equal(result.code, 0, result.stderr);
    const line = result.stdout.split("\n").find((l) => l.startsWith(`esteid/${serial} `))!;
    assert.match(line, /^esteid\/\S+ id-signing revoked since \S+Z \(keyCompromise\), valid \S+Z to \S+Z$/);
    assert.doesNotMatch(result.stdout, /until/);
    assert.match(result.stdout, /id-authentication good, valid /);
  });

  it("#10 riik id show … | head -1 exits 0 without a stack trace (EPIPE is the reader's choice)", async () => {
    // More history (about 110 KB) than a 64 KB pipe holds, so riik is still writing when head has gone.
    const auth = (await services.registry.byPersonalCode("38001085718")).find(
      (r) => r.purpose === "id-authentication",
    )!;
    for (let i = 0; i < 1600; i++)
      await services.registry.changeStatus("esteid", auth.serial, {
        event: i % 2 === 0 ? "suspended" : "resumed",
        actor: "a test that makes a long history",
      });
    const script = `"${process.execPath}" "${RIIK_BIN}" id show --dir "${dir}" --code 38001085718 | head -1; echo "riik exit $\{PIPESTATUS[0]}" >&2`;
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile("bash", ["-c", script], { env: { ...process.env, RIIK_LOG_LEVEL: "warn" } }, (error, stdout, stderr) =>
        error ? reject(error) : resolve({ stdout, stderr }),
      ),
    );
    assert.match(stdout, /^esteid\/\S+ id-authentication good, valid .*\n$/);
    assert.equal(stderr, "riik exit 0\n");
  });
});
