import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freePort, RIIK_BIN, runRiik, temporaryDirectory } from "@riik/core/testing";
import { encodeImprint } from "../src/aggregator/imprint.ts";
import { encodeCalendarLeaf } from "../src/calendar/leaf.ts";
import { leafHash } from "../src/merkle/hash.ts";
import { formatCheckpoint } from "../src/note/checkpoint.ts";
import { signatureLine } from "../src/note/signed-note.ts";
import { parseVerifierKey } from "../src/note/verifier-key.ts";
import { parsePublicationsFile } from "../src/publication/publications-file.ts";
import { hashFile } from "../src/signature/document.ts";
import { formatSignature, SIGNATURE_FORMAT } from "../src/signature/signature-file.ts";

/**
 * A signature the ledger never issued: a one-imprint round and a one-leaf calendar built
 * here over FILE, and a checkpoint "signed" under the ledger's key name with 64 zero bytes.
 * Internally consistent, so only a trust anchor can tell it from a real one.
 */
async function forgeSignature(file: string, vkeyText: string): Promise<string> {
  const digest = await hashFile(file, "SHA-256");
  const root = leafHash(encodeImprint({ algorithm: "SHA-256", digest }));
  const leaf = encodeCalendarLeaf({ round: 0, time: Date.now(), size: 1, root });
  const key = parseVerifierKey(vkeyText.trim());
  const text = formatCheckpoint({ origin: key.name, size: 1, root: leafHash(leaf), extensions: [] });
  return formatSignature({
    format: SIGNATURE_FORMAT,
    hash: { algorithm: "SHA-256", digest: Buffer.from(digest).toString("hex") },
    aggregation: { index: 0, path: [] },
    calendar: { leaf: leaf.toString("base64"), proof: [] },
    checkpoint: `${text}\n${signatureLine(key.name, key.keyId, new Uint8Array(64))}`,
  });
}

/** The real `riik` command (the ledger verbs can wait on the network: bounded). */
const run = (...args: string[]) => runRiik(args, { timeoutMs: 60_000 });

async function serve(...args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [RIIK_BIN, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RIIK_LOG_LEVEL: "warn" },
  });
  after(async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
  child.stdout!.setEncoding("utf8");
  // Keep reading stdout for the whole life of the child: a closed pipe would kill it.
  let text = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: string) => {
      text += chunk;
      const match = / listening at (http:\/\/[^\s;]+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.once("exit", () => reject(new Error(`server exited before listening: ${text}`)));
  });
  return { child, url };
}

/**
 * Repeats ATTEMPT (a whole CLI run, which paces the loop) until it answers, bounded by its
 * own deadline; no sleep whose length would be a guess about the machine's speed (#22).
 */
async function eventually<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
  }
}

describe("riik ledger CLI, end to end with real processes", () => {
  it("serves, witnesses, signs, verifies offline, detects tampering, extends and applies K-of-N", async () => {
    const ledgerDir = temporaryDirectory("riik-cli-ledger-");
    const w1Dir = temporaryDirectory("riik-cli-w1-");
    const w2Dir = temporaryDirectory("riik-cli-w2-");
    const work = temporaryDirectory("riik-cli-work-");
    const [p1, p2] = [await freePort(), await freePort()];
    const ledger = await serve(
      "ledger",
      "serve",
      "--dir",
      ledgerDir,
      "--port",
      "0",
      "--round-ms",
      "50",
      "--publication-interval-ms",
      "400",
      "--origin",
      "riik.test/cli-ledger",
      "--witness",
      `http://127.0.0.1:${p1}`,
      "--witness",
      `http://127.0.0.1:${p2}`,
    );
    const vkey = join(ledgerDir, "ledger.vkey");
    assert.match(readFileSync(vkey, "utf8"), /^riik\.test\/cli-ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+\n$/);
    await serve(
      "ledger",
      "witness",
      "serve",
      "--dir",
      w1Dir,
      "--port",
      String(p1),
      "--name",
      "riik.test/w1",
      "--log",
      vkey,
    );
    await serve(
      "ledger",
      "witness",
      "serve",
      "--dir",
      w2Dir,
      "--port",
      String(p2),
      "--name",
      "riik.test/w2",
      "--log",
      vkey,
    );
    const w1 = join(w1Dir, "witness.vkey");
    const w2 = join(w2Dir, "witness.vkey");

    const doc = join(work, "otsus.txt");
    writeFileSync(doc, "Vabariigi Valitsuse korraldus nr 1\n");
    const sig = join(work, "otsus.sig");
    const signed = await run("ledger", "sign", doc, "--url", ledger.url, "--out", sig);
    assert.equal(signed.code, 0, signed.stderr);
    const signature = JSON.parse(readFileSync(sig, "utf8"));
    assert.equal(signature.format, "riik-ledger-signature/v1");

    const valid = await run(
      "ledger",
      "verify",
      doc,
      sig,
      "--key",
      vkey,
      "--witness-key",
      w1,
      "--witness-key",
      w2,
      "--witnesses",
      "2",
    );
    assert.equal(valid.code, 0, valid.stderr);
    assert.match(valid.stdout, /^VALID: /);
    assert.match(valid.stdout, /witnesses +2 of 2 trusted/);

    // #10: no trust anchor is no verification, however consistent the signature is.
    const noAnchor = await run("ledger", "verify", doc, sig);
    assert.equal(noAnchor.code, 3, noAnchor.stdout);
    assert.match(noAnchor.stderr, /^riik: VERIFY_NO_TRUST_ANCHOR: /);
    assert.doesNotMatch(noAnchor.stdout, /VALID/);

    // #10: the forgery of the review (a checkpoint signed with 64 zero bytes over a file the
    // ledger never saw) was VALID without --key; now it is refused without an anchor, and
    // with the real anchor it is a bad signature.
    const forged = join(work, "forged.sig");
    const unseen = join(work, "never-signed.txt");
    writeFileSync(unseen, "Otsus, mida pole kunagi allkirjastatud\n");
    writeFileSync(forged, await forgeSignature(unseen, readFileSync(vkey, "utf8")));
    const forgedNoAnchor = await run("ledger", "verify", unseen, forged);
    assert.equal(forgedNoAnchor.code, 3);
    assert.match(forgedNoAnchor.stderr, /VERIFY_NO_TRUST_ANCHOR/);
    const forgedAnchored = await run("ledger", "verify", unseen, forged, "--key", vkey);
    assert.equal(forgedAnchored.code, 1);
    assert.match(forgedAnchored.stderr, /^riik: VERIFY_BAD_SIGNATURE: /m);

    // #10: a state's data directory names the ledger to sign with and the key to trust.
    const stateDir = join(work, "state");
    mkdirSync(stateDir);
    writeFileSync(join(stateDir, "state.json"), JSON.stringify({ services: { ledger: { url: ledger.url, vkey } } }));
    const viaState = join(work, "via-state.sig");
    const signedViaState = await run("ledger", "sign", doc, "--data", stateDir, "--out", viaState);
    assert.equal(signedViaState.code, 0, signedViaState.stderr);
    const verifiedViaState = await run("ledger", "verify", doc, viaState, "--data", stateDir);
    assert.equal(verifiedViaState.code, 0, verifiedViaState.stderr);
    assert.match(
      verifiedViaState.stderr,
      new RegExp(`^trust anchor: ledger key riik\\.test/cli-ledger from ${vkey}$`, "m"),
    );
    const forgedViaState = await run("ledger", "verify", unseen, forged, "--data", stateDir);
    assert.equal(forgedViaState.code, 1);

    const tooFew = await run("ledger", "verify", doc, sig, "--key", vkey, "--witness-key", w1, "--witnesses", "2");
    assert.equal(tooFew.code, 1);
    assert.match(tooFew.stderr, /^riik: VERIFY_TOO_FEW_WITNESSES: /m);

    // A witness key is no ledger key: asking for witnesses without the ledger key is refused.
    const noKey = await run("ledger", "verify", doc, sig, "--key", w1, "--witnesses", "1");
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /VERIFY_UNKNOWN_KEY/);

    // Tampering: one byte of the file, one byte of the aggregation path.
    const tamperedDoc = join(work, "tampered.txt");
    writeFileSync(tamperedDoc, "Vabariigi Valitsuse korraldus nr 2\n");
    const wrongHash = await run("ledger", "verify", tamperedDoc, sig, "--key", vkey);
    assert.equal(wrongHash.code, 1);
    assert.match(wrongHash.stderr, /VERIFY_WRONG_HASH/);
    const brokenSig = join(work, "broken.sig");
    const path0 = Buffer.from(signature.calendar.leaf, "base64");
    path0[30]! ^= 0x01;
    writeFileSync(
      brokenSig,
      JSON.stringify({ ...signature, calendar: { ...signature.calendar, leaf: path0.toString("base64") } }),
    );
    const broken = await run("ledger", "verify", doc, brokenSig, "--key", vkey);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /VERIFY_BROKEN_PATH/);

    // Extend once a publication covers the round; then the code alone verifies.
    const extended = join(work, "otsus.extended.sig");
    await eventually("publication covering the signature", async () => {
      const r = await run("ledger", "extend", sig, "--url", ledger.url, "--out", extended);
      return r.code === 0 ? r : undefined;
    });
    const publications = await run("ledger", "publications", "--url", ledger.url);
    assert.equal(publications.code, 0);
    const pubFile = join(work, "publications.txt");
    writeFileSync(pubFile, publications.stdout);
    const { publications: list } = parsePublicationsFile(publications.stdout);
    const code = JSON.parse(readFileSync(extended, "utf8")).publication.code as string;
    assert.ok(list.some((p) => p.code === code));
    const byCode = await run("ledger", "verify", doc, extended, "--publication", code);
    assert.equal(byCode.code, 0, byCode.stderr);
    assert.match(byCode.stdout, /policy +publication code/);
    const byFile = await run("ledger", "verify", doc, extended, "--publications", pubFile, "--key", vkey);
    assert.equal(byFile.code, 0, byFile.stderr);
    // The publication time is signed only in the publications file: a time edited in the
    // signature file is shown as unsigned under a code, and replaced by the file's under a file.
    assert.match(byCode.stdout, /published \S+ per the signature file, unsigned\)$/m);
    const backdated = join(work, "otsus.backdated.sig");
    const extendedJson = JSON.parse(readFileSync(extended, "utf8"));
    const listedAt = extendedJson.publication.publishedAt as string;
    writeFileSync(
      backdated,
      JSON.stringify({
        ...extendedJson,
        publication: { ...extendedJson.publication, publishedAt: "2001-01-01T00:00:00.000Z" },
      }),
    );
    const backdatedByFile = await run("ledger", "verify", doc, backdated, "--publications", pubFile, "--key", vkey);
    assert.equal(backdatedByFile.code, 0, backdatedByFile.stderr);
    assert.match(
      backdatedByFile.stdout,
      new RegExp(`published ${listedAt.replace(/\./g, "\\.")} per the publications file\\)$`, "m"),
    );
    const unextended = await run("ledger", "verify", doc, sig, "--publication", code);
    assert.equal(unextended.code, 1);
    assert.match(unextended.stderr, /VERIFY_NOT_EXTENDED/);
    const typo = code.replace(/^./, (c) => (c === "A" ? "B" : "A"));
    const badCode = await run("ledger", "verify", doc, extended, "--publication", typo);
    assert.equal(badCode.code, 1);
    assert.match(badCode.stderr, /PUBLICATION_CODE_CHECKSUM/);
    assert.ok(existsSync(join(ledgerDir, "ledger.sqlite")));
  });
});
