// `riik cdoc` end to end, as a user runs it.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runRiik, temporaryDirectory } from "@riik/core/testing";
import { issueCard } from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import { cardPublicKey } from "../src/index.ts";
import { listAll, VECTORS } from "./helpers.ts";

const SECRET = "ops:base64,HHeUrHfo+bCZd//gGmEOU2nA5cgQolQ/m18UO/dN1tE=";

test("riik cdoc: encrypt for a card's certificate, a password and a secret; info; decrypt with each", async () => {
  const { services } = await startTestTrustServices();
  const card = await issueCard(services, {
    personalCode: "38001085718",
    givenName: "Mari",
    surname: "Maasikas",
    pin1: "1234",
    pin2: "12345",
  });
  const dir = temporaryDirectory();
  const cardFile = join(dir, "mari.card.json");
  writeFileSync(cardFile, JSON.stringify(card), { mode: 0o600 });
  writeFileSync(join(dir, "auth.pem"), card.authentication.certificate);
  writeFileSync(join(dir, "pub.pem"), cardPublicKey(card).export({ format: "pem", type: "spki" }));
  writeFileSync(join(dir, "report.txt"), "salajane\n");
  const container = join(dir, "report.cdoc2");

  const enc = await runRiik([
    "cdoc",
    "encrypt",
    "-f",
    container,
    "-c",
    join(dir, "auth.pem"),
    "-p",
    join(dir, "pub.pem"),
    "--password",
    "kevad:pikk salasõna",
    "--secret",
    SECRET,
    join(dir, "report.txt"),
  ]);
  assert.equal(enc.code, 0, enc.stderr);

  const info = await runRiik(["cdoc", "info", "-f", container, "--json"]);
  assert.equal(info.code, 0, info.stderr);
  const recipients = JSON.parse(info.stdout) as { type: string; label: string; keyLabel: string }[];
  assert.deepEqual(
    recipients.map((r) => r.type),
    ["ecc", "ecc", "password", "symmetric"],
  );
  // -p keys first, then -c certificates, then passwords and secrets.
  assert.equal(recipients[0]!.label, "pub.pem");
  assert.match(recipients[1]!.label, /38001085718/);
  assert.match(recipients[1]!.keyLabel, /^data:V=1&TYPE=cert&CN=.*38001085718.*&CERT_SHA1=[0-9a-f]{40}&FILE=auth.pem$/);

  for (const [args, env] of [
    [["--card", cardFile], { RIIK_PIN1: "1234" }],
    [["--password", "kevad:pikk salasõna"], {}],
    [["--secret", SECRET], {}],
  ] as const) {
    const out = temporaryDirectory();
    const dec = await runRiik(["cdoc", "decrypt", "-f", container, ...args, "-o", out], { env });
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(dec.stdout.trim(), "report.txt");
    assert.equal(readFileSync(join(out, "report.txt"), "utf8"), "salajane\n");
  }

  const wrongPin = await runRiik(["cdoc", "decrypt", "-f", container, "--card", cardFile, "-o", join(dir, "x")], {
    env: { RIIK_PIN1: "9999" },
  });
  assert.equal(wrongPin.code, 1);
  assert.match(wrongPin.stderr, /CARD_WRONG_PIN/);
  assert.ok(!wrongPin.stderr.includes("9999"), "the PIN is not echoed");

  const again = await runRiik(["cdoc", "encrypt", "-f", container, "--secret", SECRET, join(dir, "report.txt")]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /CDOC_OUTPUT_EXISTS/);
});

test("riik cdoc decrypt: a reference vector with its RSA key; an altered file is refused and writes nothing", async () => {
  const out = temporaryDirectory();
  const ok = await runRiik([
    "cdoc",
    "decrypt",
    "-f",
    join(VECTORS, "rsa_simple.cdoc2"),
    "-k",
    join(VECTORS, "rsa_priv.pem"),
    "-o",
    out,
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), "README.md");

  const bytes = readFileSync(join(VECTORS, "rsa_simple.cdoc2"));
  bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 1;
  const altered = join(temporaryDirectory(), "altered.cdoc2");
  writeFileSync(altered, bytes);
  const out2 = temporaryDirectory();
  const bad = await runRiik(["cdoc", "decrypt", "-f", altered, "-k", join(VECTORS, "rsa_priv.pem"), "-o", out2]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /CDOC_PAYLOAD_AUTH/);
  assert.deepEqual(listAll(out2), []);

  const none = await runRiik(["cdoc", "decrypt", "-f", altered, "-o", out2]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /CDOC_ARGUMENT/);
});
