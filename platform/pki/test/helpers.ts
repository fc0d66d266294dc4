import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import { type CardFile, issueCard, type TrustServices } from "../src/index.ts";

export const run = promisify(execFile);

export { startTestTrustServices, type TestTrustServices } from "../src/testing.ts";
export { freePort };

export async function issueTestCard(
  services: TrustServices,
  dir: string,
  code = "38001085718",
): Promise<{ card: CardFile; authPath: string; signPath: string; cardPath: string }> {
  const card = await issueCard(services, {
    personalCode: code,
    givenName: "Mari-Liis",
    surname: "Männik",
    pin1: "1234",
    pin2: "12345",
  });
  const authPath = join(dir, `${code}-auth.crt`);
  const signPath = join(dir, `${code}-sign.crt`);
  const cardPath = join(dir, `${code}.card.json`);
  writeFileSync(authPath, card.authentication.certificate);
  writeFileSync(signPath, card.signing.certificate);
  writeFileSync(cardPath, JSON.stringify(card));
  return { card, authPath, signPath, cardPath };
}

/** OpenSSL's OCSP client asks the trust services at URL about the ESTEID certificate at CERTPATH (the answer checked against the root). */
export async function opensslOcsp(dir: string, url: string, certPath: string): Promise<string> {
  const ca = (name: string) => join(dir, "ca", `${name}.crt`);
  const { stdout, stderr } = await run("openssl", [
    "ocsp",
    ...["-url", `${url}/ocsp`, "-issuer", ca("esteid"), "-cert", certPath, "-CAfile", ca("root")],
  ]);
  assert.match(stderr, /Response verify OK/);
  return stdout;
}

export const SOFTHSM2_MODULE = "/usr/lib/softhsm/libsofthsm2.so";
// Under CI a missing SoftHSM2 fails the run (softHsmToken asserts) instead of skipping it.
export const skipWithoutSoftHsm = !existsSync(SOFTHSM2_MODULE) && process.env.CI !== "true";

export interface SoftHsmToken {
  module: string;
  label: string;
  pin: string;
  /** The user PIN in a 0600 file. */
  pinFile: string;
  dir: string;
}

/**
 * A SoftHSM2 token of our own in a temporary directory (SOFTHSM2_CONF is set for this test
 * process and the `riik` processes it starts), so the system's tokens are never touched.
 */
export function softHsmToken(label: string): SoftHsmToken {
  assert.ok(existsSync(SOFTHSM2_MODULE), `SoftHSM2 is not installed (${SOFTHSM2_MODULE}): apt-get install softhsm2`);
  const dir = temporaryDirectory("riik-pkcs11-");
  mkdirSync(join(dir, "tokens"));
  writeFileSync(
    join(dir, "softhsm2.conf"),
    `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = join(dir, "softhsm2.conf");
  const pin = "1234";
  execFileSync("softhsm2-util", ["--init-token", "--free", "--label", label, "--so-pin", "87654321", "--pin", pin]);
  const pinFile = join(dir, "pin");
  writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });
  return { module: SOFTHSM2_MODULE, label, pin, pinFile, dir };
}
