import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "@riik/core/testing";
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
