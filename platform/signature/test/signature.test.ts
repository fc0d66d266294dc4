import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, createPrivateKey, webcrypto, X509Certificate } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { runRiik } from "@riik/core/testing";
import { buildOcspRequest, type CardFile, cardCertificate, normaliseSerial } from "@riik/pki";
import {
  type AsicContainer,
  addDataFiles,
  cardFileSigner,
  completeSignature,
  createContainer,
  formatReport,
  type HashSigner,
  prepareSignature,
  readContainer,
  SignatureError,
  signContainer,
  signerInfo,
  type ValidationReport,
  validateContainer,
  writeContainer,
} from "../src/index.ts";
import { PIN2, type Sandbox, startSandbox } from "./fixture.ts";

const text = (s: string) => new TextEncoder().encode(s);
const FILES = [
  { name: "leping.txt", mediaType: "text/plain", data: text("Müüja ja ostja lepivad kokku.\n") },
  { name: "lisa.xml", mediaType: "application/xml", data: text("<lisa>1</lisa>\n") },
];
const codes = (report: ValidationReport) => report.signatures.flatMap((s) => s.findings.map((f) => f.code));
const xml = (container: AsicContainer, i = 0) => new TextDecoder().decode(container.signatures[i]!.xml);
const signerInfoCertificate = (card: CardFile) => new Uint8Array(new X509Certificate(card.signing.certificate).raw);
const pick = (source: string, pattern: RegExp) => Buffer.from(pattern.exec(source)![1]!, "base64");

describe("XAdES signatures in ASiC-E", { timeout: 120_000 }, () => {
  let sandbox: Sandbox;
  let mari: CardFile;
  let jaan: CardFile;
  let signed: AsicContainer;
  let stampedAt: Date;
  let twice: AsicContainer;
  let work: string;
  const validate = (container: AsicContainer | Uint8Array) =>
    validateContainer(container instanceof Uint8Array ? container : writeContainer(container), {
      trustAnchors: [sandbox.root],
    });

  before(async () => {
    sandbox = await startSandbox();
    work = mkdtempSync(join(sandbox.dir, "work-"));
    mari = await sandbox.card("48707282714", "Mari", "Maasikas");
    jaan = await sandbox.card("38001085718", "Jaan", "Tamm");
    const first = await signContainer(createContainer(FILES), await cardFileSigner(mari, PIN2), {
      tsaUrl: sandbox.urls.tsa,
      role: "Juhatuse liige",
      productionPlace: { city: "Tallinn", countryName: "Eesti" },
    });
    signed = first.container;
    stampedAt = first.timeStamp.genTime;
    twice = (
      await signContainer(readContainer(writeContainer(signed)), await cardFileSigner(jaan, PIN2), {
        tsaUrl: sandbox.urls.tsa,
        level: "LTA",
      })
    ).container;
  });
  after(() => sandbox?.close());

  it("validates a B-LT signature and says who signed, when, with what status", async () => {
    const report = await validate(signed);
    assert.equal(report.verdict, "valid", formatReport(report));
    const [signature] = report.signatures;
    assert.equal(signature!.signer?.name, "MARI MAASIKAS");
    assert.equal(signature!.signer?.personalCode, "48707282714");
    assert.equal(signature!.level, "B-LT");
    assert.equal(signature!.certificateStatus, "good");
    assert.equal(signature!.role, "Juhatuse liige");
    // #22: the signing time is the time-stamp's genTime, not "close to now".
    assert.equal(signature!.signingTime, stampedAt.toISOString());
    assert.match(formatReport(report), /signer: MARI MAASIKAS, personal code 48707282714/);
  });

  it("adds a second signer (B-LTA) without touching the first signature", async () => {
    assert.deepEqual(twice.signatures[0]!.xml, signed.signatures[0]!.xml);
    assert.deepEqual(
      twice.signatures.map((s) => s.name),
      ["META-INF/signatures0.xml", "META-INF/signatures1.xml"],
    );
    const report = await validate(twice);
    assert.equal(report.verdict, "valid", formatReport(report));
    assert.deepEqual(
      report.signatures.map((s) => [s.signer?.personalCode, s.level]),
      [
        ["48707282714", "B-LT"],
        ["38001085718", "B-LTA"],
      ],
    );
  });

  it("xmlsec1 --verify accepts each signature's XML-DSig core", () => {
    writeFileSync(join(work, "root.pem"), sandbox.root.toString("pem"));
    writeFileSync(join(work, "esteid.pem"), sandbox.issuer.toString("pem"));
    for (const file of FILES) writeFileSync(join(work, file.name), file.data);
    for (const [i, signature] of twice.signatures.entries()) {
      writeFileSync(join(work, `signatures${i}.xml`), signature.xml);
      const result = spawnSync(
        "xmlsec1",
        [
          "--verify",
          "--id-attr:Id",
          "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
          "--trusted-pem",
          "root.pem",
          "--untrusted-pem",
          "esteid.pem",
          `signatures${i}.xml`,
        ],
        { cwd: work, encoding: "utf8" },
      );
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /SignedInfo References \(ok\/all\): 3\/3/);
    }
  });

  it("openssl ts -verify accepts the time-stamp over the canonicalised SignatureValue", () => {
    const source = xml(signed);
    const value = /<ds:SignatureValue Id="S0-SIG">([^<]+)</.exec(source)![1];
    // c14n by hand: the root's namespace declarations, sorted, then the Id attribute.
    const canonical =
      `<ds:SignatureValue xmlns:asic="http://uri.etsi.org/02918/v1.2.1#" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ` +
      `xmlns:xades="http://uri.etsi.org/01903/v1.3.2#" Id="S0-SIG">${value}</ds:SignatureValue>`;
    writeFileSync(join(work, "signature-value.xml"), canonical);
    writeFileSync(join(work, "tst.der"), pick(source, /<xades:EncapsulatedTimeStamp[^>]*>([^<]+)</));
    writeFileSync(join(work, "root.pem"), sandbox.root.toString("pem"));
    const out = execFileSync(
      "openssl",
      ["ts", "-verify", "-data", "signature-value.xml", "-in", "tst.der", "-token_in", "-CAfile", "root.pem"],
      { cwd: work, encoding: "utf8" },
    );
    assert.match(out, /Verification: OK/);
  });

  it("openssl ocsp accepts the embedded OCSP response", () => {
    const source = xml(signed);
    writeFileSync(join(work, "ocsp.der"), pick(source, /<xades:EncapsulatedOCSPValue[^>]*>([^<]+)</));
    writeFileSync(join(work, "chain.pem"), `${sandbox.root.toString("pem")}\n${sandbox.issuer.toString("pem")}\n`);
    writeFileSync(join(work, "esteid.pem"), sandbox.issuer.toString("pem"));
    writeFileSync(join(work, "signer.pem"), cardCertificate(mari, "signing").toString("pem"));
    const result = spawnSync(
      "openssl",
      [
        "ocsp",
        "-respin",
        "ocsp.der",
        "-CAfile",
        "chain.pem",
        "-issuer",
        "esteid.pem",
        "-sha256",
        "-cert",
        "signer.pem",
        "-no_nonce",
      ],
      { cwd: work, encoding: "utf8" },
    );
    assert.match(result.stderr + result.stdout, /Response verify OK/);
    assert.match(result.stdout, /signer\.pem: good/);
  });

  it("refuses a file changed after signing", async () => {
    const changed = {
      ...twice,
      dataFiles: [{ ...FILES[0]!, data: text("Müüja ja ostja ei lepi kokku.\n") }, FILES[1]!],
    };
    const report = await validate(changed);
    assert.equal(report.verdict, "invalid");
    assert.deepEqual(
      report.signatures.map((s) => s.verdict),
      ["invalid", "invalid"],
    );
    assert.ok(codes(report).includes("DATA_FILE_CHANGED"));
  });

  it("refuses a file added that no signature covers", async () => {
    const added = {
      ...twice,
      dataFiles: [...FILES, { name: "extra.txt", mediaType: "text/plain", data: text("hidden") }],
    };
    const report = await validate(added);
    assert.equal(report.verdict, "invalid");
    assert.deepEqual(
      report.signatures.map((s) => s.findings.map((f) => f.code)),
      [["FILE_NOT_COVERED"], ["FILE_NOT_COVERED"]],
    );
    assert.throws(() => addDataFiles(signed, [FILES[0]!]), { code: "SIGN_CONTAINER_SEALED" });
  });

  it("refuses a signature copied from another container", async () => {
    const other = createContainer([{ name: "other.txt", mediaType: "text/plain", data: text("something else") }]);
    const copied = { ...other, signatures: [signed.signatures[0]!] };
    const report = await validate(copied);
    assert.equal(report.verdict, "invalid");
    assert.ok(codes(report).includes("DATA_FILE_MISSING"));
    assert.ok(codes(report).includes("FILE_NOT_COVERED"));
    // The same signature twice in one container is refused too.
    const doubled = await validate({
      ...signed,
      signatures: [signed.signatures[0]!, { name: "META-INF/signatures1.xml", xml: signed.signatures[0]!.xml }],
    });
    assert.ok(codes(doubled).includes("DUPLICATE_SIGNATURE"));
  });

  it("refuses an OCSP response lifted from another signature", async () => {
    const source = xml(twice, 0);
    const foreign = pick(xml(twice, 1), /<xades:EncapsulatedOCSPValue[^>]*>([^<]+)</).toString("base64");
    const forged = source.replace(/(<xades:EncapsulatedOCSPValue[^>]*>)[^<]+</, `$1${foreign}<`);
    const report = await validate({ ...signed, signatures: [{ name: "META-INF/signatures0.xml", xml: text(forged) }] });
    assert.equal(report.verdict, "invalid");
    assert.ok(
      codes(report).some((c) => c === "OCSP_INVALID" || c === "OCSP_OTHER_SIGNATURE"),
      codes(report).join(),
    );
  });

  it("refuses a time-stamp from an untrusted TSA", async () => {
    const stranger = await startSandbox();
    try {
      const result = await signContainer(createContainer(FILES), await cardFileSigner(mari, PIN2), {
        tsaUrl: stranger.urls.tsa,
        ocspUrl: sandbox.urls.ocsp,
        trustAnchors: [stranger.root],
      });
      const report = await validate(result.container);
      assert.equal(report.verdict, "indeterminate");
      assert.ok(codes(report).includes("TIMESTAMP_UNTRUSTED"), codes(report).join());
      await assert.rejects(
        signContainer(createContainer(FILES), await cardFileSigner(mari, PIN2), { tsaUrl: stranger.urls.tsa }),
        { code: "SIGN_TSA_FAILED" },
      );
    } finally {
      await stranger.close();
    }
  });

  it("refuses a wrong PIN2 and a signer whose key does not match", async () => {
    await assert.rejects(cardFileSigner(mari, "54321"), { code: "CARD_WRONG_PIN" });
    const signer = await cardFileSigner(mari, PIN2);
    const liar: HashSigner = {
      certificate: signer.certificate,
      sign: async (d, a) => (await cardFileSigner(jaan, PIN2)).sign(d, a),
    };
    await assert.rejects(signContainer(createContainer(FILES), liar, { tsaUrl: sandbox.urls.tsa }), {
      code: "SIGN_BAD_SIGNER",
    });
  });

  it("two steps for a browser: WebCrypto signs the canonical SignedInfo that prepareSignature returns", async () => {
    // WebCrypto's ECDSA hashes what it signs, so a browser gets the octets, not the digest.
    const pending = prepareSignature(createContainer(FILES), signerInfoCertificate(mari), { role: "Müüja" });
    assert.equal(pending.digestAlgorithm, "SHA-384");
    assert.deepEqual(pending.digest, new Uint8Array(createHash("sha384").update(pending.signedInfo).digest()));
    assert.match(new TextDecoder().decode(pending.signedInfo), /^<ds:SignedInfo xmlns:asic=/);
    const pkcs8 = createPrivateKey({ key: mari.signing.privateKey, passphrase: PIN2 }).export({
      format: "der",
      type: "pkcs8",
    });
    const key = await webcrypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-384" }, false, [
      "sign",
    ]);
    const value = new Uint8Array(
      await webcrypto.subtle.sign({ name: "ECDSA", hash: "SHA-384" }, key, new Uint8Array(pending.signedInfo)),
    );
    assert.equal(value.length, 96, "r‖s, 48 octets each");
    await assert.rejects(
      completeSignature(
        pending,
        value.map((b, i) => (i === 5 ? b ^ 1 : b)),
        { tsaUrl: sandbox.urls.tsa },
      ),
      {
        code: "SIGN_BAD_SIGNER",
      },
    );
    const done = await completeSignature(pending, value, { tsaUrl: sandbox.urls.tsa });
    const report = await validate(done.container);
    assert.equal(report.verdict, "valid", formatReport(report));
    assert.equal(report.signatures[0]?.signer?.personalCode, "48707282714");
    assert.deepEqual(signerInfo(signerInfoCertificate(mari)).personalCode, "48707282714");
    assert.throws(() => signerInfo(new Uint8Array([48, 0])), { code: "SIGNER_CERTIFICATE" });
  });

  it("refuses to sign with a suspended or revoked certificate, and reports revocation before the time-stamp", async () => {
    const kati = await sandbox.card("60001019906", "Kati", "Karu");
    const signer = await cardFileSigner(kati, PIN2);
    const options = { tsaUrl: sandbox.urls.tsa };
    const good = await signContainer(createContainer(FILES), signer, options);
    await sandbox.setStatus(kati, "suspended");
    await assert.rejects(signContainer(createContainer(FILES), signer, options), (error: unknown) => {
      assert.ok(error instanceof SignatureError);
      assert.equal(error.code, "SIGNER_SUSPENDED");
      return true;
    });
    await sandbox.setStatus(kati, "resumed");
    await sandbox.services.registry.changeStatus(
      "esteid",
      normaliseSerial(cardCertificate(kati, "signing").serialNumber),
      {
        event: "revoked",
        reason: "keyCompromise",
        actor: "test",
        at: new Date(good.timeStamp.genTime.getTime() - 60_000),
      },
    );
    await assert.rejects(signContainer(createContainer(FILES), signer, options), { code: "SIGNER_REVOKED" });

    // A container whose OCSP response says "revoked before the time-stamp" is invalid.
    const value = pick(xml(good.container), /<ds:SignatureValue[^>]*>([^<]+)</);
    const nonce = (await import("../src/sign.ts")).ocspNonce(value);
    const reply = await fetch(sandbox.urls.ocsp, {
      method: "POST",
      headers: { "content-type": "application/ocsp-request" },
      body: buildOcspRequest(cardCertificate(kati, "signing"), sandbox.issuer, nonce) as BodyInit,
    });
    const revoked = Buffer.from(await reply.arrayBuffer()).toString("base64");
    const forged = xml(good.container).replace(/(<xades:EncapsulatedOCSPValue[^>]*>)[^<]+</, `$1${revoked}<`);
    const report = await validate({
      ...good.container,
      signatures: [{ name: "META-INF/signatures0.xml", xml: text(forged) }],
    });
    assert.equal(report.verdict, "invalid");
    assert.equal(report.signatures[0]!.certificateStatus, "revoked");
    assert.ok(codes(report).includes("CERTIFICATE_REVOKED"));
  });

  it("riik sign, sign --add and verify: exit 0 only for a valid container", async () => {
    const { main } = await import("../../../apps/cli/src/main.ts");
    const cardPath = (card: CardFile, name: string) => {
      const path = join(work, `${name}.json`);
      writeFileSync(path, JSON.stringify(card));
      return path;
    };
    writeFileSync(join(work, "leping.txt"), FILES[0]!.data);
    writeFileSync(join(work, "root.pem"), sandbox.root.toString("pem"));
    const out = join(work, "cli.asice");
    const quiet = async (argv: string[]) => {
      const log = console.log;
      const write = process.stdout.write;
      console.log = () => {};
      process.stdout.write = (() => true) as typeof process.stdout.write;
      const stderr = process.stderr.write;
      if (!process.env.DEBUG_CLI) process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        return await main(["node", "riik", ...argv]);
      } finally {
        console.log = log;
        process.stdout.write = write;
        process.stderr.write = stderr;
        process.exitCode = undefined;
      }
    };
    const card = cardPath(mari, "mari");
    assert.equal(
      await quiet(["sign", join(work, "leping.txt"), "--card", card, "--pin2", PIN2, "--out", out, "--role", "Ostja"]),
      0,
    );
    assert.equal(await quiet(["sign", "--add", out, "--card", cardPath(jaan, "jaan"), "--pin2", PIN2, "--lta"]), 0);
    assert.equal(await quiet(["verify", out, "--trust", join(work, "root.pem")]), 0);
    assert.equal(await quiet(["sign", "--add", out, "--card", card, "--pin2", "99999"]), 1);
    assert.equal(await quiet(["sign", "--add", out, join(work, "leping.txt"), "--card", card, "--pin2", PIN2]), 1);
    assert.equal(await quiet(["verify", out]), 3, "no trusted root: refused, exit 3");
    const report = await validateContainer(new Uint8Array((await import("node:fs")).readFileSync(out)), {
      trustAnchors: [sandbox.root],
    });
    assert.deepEqual(
      report.signatures.map((s) => s.signer?.personalCode),
      ["48707282714", "38001085718"],
    );
    const container = readContainer(new Uint8Array((await import("node:fs")).readFileSync(out)));
    const tampered = join(work, "tampered.asice");
    writeFileSync(
      tampered,
      writeContainer({ ...container, dataFiles: [{ ...container.dataFiles[0]!, data: text("forged") }] }),
    );
    assert.equal(await quiet(["verify", tampered, "--trust", join(work, "root.pem")]), 1);
  });

  describe("#10 riik verify fails closed on its trust anchor", () => {
    let container: string;
    let elsewhere: string;
    before(async () => {
      // A state's data directory as riik up lays it out, and a shell somewhere else.
      const state = join(work, "state");
      mkdirSync(join(state, "data", "pki"), { recursive: true });
      cpSync(join(sandbox.services.dir, "ca"), join(state, "data", "pki", "ca"), { recursive: true });
      container = join(state, "signed.asice");
      writeFileSync(container, writeContainer(signed));
      elsewhere = mkdtempSync(join(sandbox.dir, "elsewhere-"));
    });

    it("#10 run from another directory: --data DIR names the anchor and the B-LT container is valid", async () => {
      // Relative paths, typed in the other directory, resolved once against it.
      const data = relative(elsewhere, join(work, "state", "data"));
      const result = await runRiik(["verify", relative(elsewhere, container), "--data", data], { cwd: elsewhere });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /trusted root: \/.*\/state\/data\/pki\/ca\/root\.crt \(.*CN=RIIK ROOT CA/);
      assert.match(result.stdout, /level: XAdES B-LT\n/);
      assert.match(result.stdout, new RegExp(`signed at: ${stampedAt.toISOString()}`));
      assert.doesNotMatch(result.stdout, /not time-stamped/);
    });

    it("#10 no trust anchor: VERIFY_NO_TRUST_ANCHOR, exit 3, even next to a state's data directory", async () => {
      for (const cwd of [elsewhere, join(work, "state")]) {
        const result = await runRiik(["verify", container], { cwd });
        assert.equal(result.code, 3, result.stdout + result.stderr);
        assert.match(result.stderr, /^riik: VERIFY_NO_TRUST_ANCHOR: /);
        assert.equal(result.stdout, "", "no report without an anchor");
      }
      await assert.rejects(validateContainer(writeContainer(signed), { trustAnchors: [] }), {
        code: "VERIFY_NO_TRUST_ANCHOR",
      });
    });

    it("#10 a container signed under a self-made CA is INVALID against the real anchor", async () => {
      const stranger = await startSandbox();
      try {
        const mallory = await stranger.card("38001085718", "Jaan", "Tamm");
        const forged = await signContainer(createContainer(FILES), await cardFileSigner(mallory, PIN2), {
          tsaUrl: stranger.urls.tsa,
          trustAnchors: [stranger.root],
        });
        // Against its own root it is valid: only the anchor the verifier brings decides.
        assert.equal(
          (await validateContainer(writeContainer(forged.container), { trustAnchors: [stranger.root] })).verdict,
          "valid",
        );
        const path = join(elsewhere, "self-made.asice");
        writeFileSync(path, writeContainer(forged.container));
        const result = await runRiik(["verify", path, "--data", join(work, "state", "data"), "--json"], {
          cwd: elsewhere,
        });
        assert.equal(result.code, 1, result.stderr);
        const report = JSON.parse(result.stdout) as ValidationReport;
        assert.equal(report.verdict, "invalid");
        assert.ok(codes(report).includes("CERTIFICATE_CHAIN"), codes(report).join());
        assert.match(result.stderr, /riik: CONTAINER_INVALID: /);
      } finally {
        await stranger.close();
      }
    });
  });
});
