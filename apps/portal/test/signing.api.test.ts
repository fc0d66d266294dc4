// Signing and checking containers through the portal's HTTP API, against real trust services
// (CA, OCSP, TSA): prepare → sign the SignedInfo (here with Node's WebCrypto, as the page does)
// → finish → download; the refusals; the session-bound, bounded store; and the replication
// figures of the operator view.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cardCertificate, normaliseSerial, readCertificate } from "@riik/pki";
import { readContainer, validateContainer, writeContainer } from "@riik/signature";
import {
  attachment,
  containerName,
  type FinishResponse,
  type OperatorOverview,
  type PrepareResponse,
  parsePortalConfig,
  parsePrepareRequest,
  SigningStore,
} from "../src/index.ts";
import { Client } from "./client.ts";
import { signAsPage, startWorld, type TestWorld } from "./helpers.ts";

// Signing uses the real trust services (TSA, OCSP); the stand-in only answers the login's register reads.
const world: TestWorld = await startWorld();
const { url, portal } = await world.startPortal();
const root = () => readCertificate(portal.config.signing?.trustAnchorFiles[0] as string);

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const FILES = [
  { name: "leping.txt", mediaType: "text/plain", data: b64("Müüja ja ostja lepivad kokku.\n") },
  { name: "lisa.xml", mediaType: "application/xml", data: b64("<lisa>1</lisa>\n") },
];

/** The whole flow for a logged-in client: prepare FILES, sign as the page does, finish, download. */
async function signFiles(client: Client): Promise<Uint8Array> {
  const prepared = (
    await client.call("/api/sign/prepare", {
      method: "POST",
      body: { certificate: world.card.signing.certificate, files: FILES },
    })
  ).json as PrepareResponse;
  const finished = (
    await client.call("/api/sign/finish", {
      method: "POST",
      body: { id: prepared.id, signatureValue: await signAsPage(world.card, prepared) },
    })
  ).json as FinishResponse;
  return (await client.call(finished.download.href)).bytes;
}

describe("signing through the portal API", () => {
  it("#10 one citizen cannot block signing: many sessions of one person hit a typed 429, and the portal still signs", async () => {
    const clients = [new Client(url, world.card), new Client(url, world.card), new Client(url, world.card)];
    for (const client of clients) assert.equal((await client.login()).status, 200);
    const refusals = [];
    for (const client of clients)
      for (let i = 0; i < 4; i++) {
        const answer = await client.call("/api/sign/prepare", {
          method: "POST",
          body: { certificate: world.card.signing.certificate, files: FILES },
        });
        if (answer.status !== 200) refusals.push(answer);
      }
    // Eight entries per person by default: the third session's four prepares are refused.
    assert.equal(refusals.length, 4);
    assert.equal(refusals[0]?.status, 429);
    assert.equal(refusals[0]?.json.code, "PORTAL_QUOTA");
    for (const client of clients) await client.call("/api/logout", { method: "POST", body: {} });
    const fresh = new Client(url, world.card);
    assert.equal((await fresh.login()).status, 200);
    assert.ok((await signFiles(fresh)).byteLength > 0);
    await fresh.call("/api/logout", { method: "POST", body: {} });
  });

  it("prepares, takes the browser's signature, finishes a valid B-LT container, and offers it once per session", async () => {
    const client = new Client(url, world.card);
    assert.equal((await client.login()).status, 200);
    const prepared = await client.call("/api/sign/prepare", {
      method: "POST",
      body: { certificate: world.card.signing.certificate, files: FILES },
    });
    assert.equal(prepared.status, 200, JSON.stringify(prepared.json));
    const p = prepared.json as PrepareResponse;
    assert.equal(p.digestAlgorithm, "SHA-384");
    assert.equal(p.containerName, "leping.asice");
    assert.deepEqual(
      p.files.map((f) => f.name),
      ["leping.txt", "lisa.xml"],
    );
    assert.equal(Buffer.from(p.digest, "base64").length, 48);
    assert.match(Buffer.from(p.dataToSign, "base64").toString("utf8"), /^<ds:SignedInfo /);

    // Another session cannot finish it, and a wrong value is refused (and uses the pending signature up).
    const stranger = new Client(url, world.card);
    assert.equal((await stranger.login(await world.newCard("Jaan", "Tamm"))).status, 200);
    const value = await signAsPage(world.card, p);
    const foreign = await stranger.call("/api/sign/finish", {
      method: "POST",
      body: { id: p.id, signatureValue: value },
    });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.json.code, "PORTAL_SIGNATURE_UNKNOWN");

    const finished = await client.call("/api/sign/finish", {
      method: "POST",
      body: { id: p.id, signatureValue: value },
    });
    assert.equal(finished.status, 200, JSON.stringify(finished.json));
    const f = finished.json as FinishResponse;
    assert.equal(f.report.verdict, "valid");
    assert.equal(f.report.signatures[0]?.signer?.personalCode, world.card.personalCode);
    assert.equal(f.report.signatures[0]?.level, "B-LT");
    assert.equal(f.report.signatures[0]?.certificateStatus, "good");
    const again = await client.call("/api/sign/finish", { method: "POST", body: { id: p.id, signatureValue: value } });
    assert.equal(again.json.code, "PORTAL_SIGNATURE_UNKNOWN", "a prepared signature is finished once");

    const download = await client.call(f.download.href);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get("content-type"), "application/vnd.etsi.asic-e+zip");
    assert.match(download.headers.get("content-disposition") ?? "", /^attachment; filename="leping.asice"/);
    assert.equal(download.headers.get("cache-control"), "no-store");
    const report = await validateContainer(download.bytes, { trustAnchors: [root()] });
    assert.equal(report.verdict, "valid");
    assert.equal((await stranger.call(f.download.href)).status, 404, "only the signer's session downloads it");

    const checked = await client.call("/api/containers/validate", { method: "POST", raw: download.bytes });
    assert.equal(checked.status, 200);
    assert.equal(checked.json.verdict, "valid");
  });

  it("adds a second signer's signature to an uploaded container", async () => {
    const first = new Client(url, world.card);
    assert.equal((await first.login()).status, 200);
    const bytes = await signFiles(first);

    const kati = await world.newCard("Kati", "Karu");
    const second = new Client(url, world.card);
    assert.equal((await second.login(kati)).status, 200);
    const p2 = await second.call("/api/sign/prepare", {
      method: "POST",
      body: {
        certificate: kati.signing.certificate,
        container: { name: "leping.asice", data: Buffer.from(bytes).toString("base64") },
      },
    });
    assert.equal(p2.status, 200, JSON.stringify(p2.json));
    assert.equal(p2.json.existingSignatures, 1);
    const f2 = await second.call("/api/sign/finish", {
      method: "POST",
      body: { id: p2.json.id, signatureValue: await signAsPage(kati, p2.json) },
    });
    assert.equal(f2.status, 200, JSON.stringify(f2.json));
    const report = (f2.json as FinishResponse).report;
    assert.equal(report.verdict, "valid");
    assert.deepEqual(
      report.signatures.map((s) => s.signer?.personalCode),
      [world.card.personalCode, kati.personalCode],
    );
  });

  it("refuses another person's certificate, an untrusted one, an authentication certificate, and bad input", async () => {
    const anonymous = await new Client(url, world.card).call("/api/sign/prepare", {
      method: "POST",
      body: { certificate: world.card.signing.certificate, files: FILES },
    });
    assert.equal(anonymous.status, 401);
    const client = new Client(url, world.card);
    assert.equal((await client.login()).status, 200);
    const prepare = (body: unknown) => client.call("/api/sign/prepare", { method: "POST", body });
    const other = await world.newCard("Peeter", "Teine");
    const notYou = await prepare({ certificate: other.signing.certificate, files: FILES });
    assert.equal(notYou.status, 403);
    assert.equal(notYou.json.code, "PORTAL_SIGNER_NOT_YOU");
    const untrusted = await prepare({ certificate: root().toString("pem"), files: FILES });
    assert.equal(untrusted.status, 403);
    assert.equal(untrusted.json.code, "PORTAL_SIGNER_UNTRUSTED");
    const auth = await prepare({ certificate: world.card.authentication.certificate, files: FILES });
    assert.equal(auth.status, 400);
    assert.equal(auth.json.code, "SIGNER_CERTIFICATE", "PIN1's certificate cannot sign");
    const bad = await prepare({
      certificate: "nope",
      files: [
        { name: "../x", data: "!!" },
        { name: "META-INF/manifest.xml", data: "" },
      ],
      extra: 1,
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, "PORTAL_INPUT");
    assert.deepEqual(bad.json.details.fields, ["extra", "files[0].name", "files[0].data", "files[1].name"]);
    const duplicate = await prepare({ certificate: world.card.signing.certificate, files: [FILES[0], FILES[0]] });
    assert.equal(duplicate.json.code, "ASIC_DUPLICATE_NAME");
    const notContainer = await prepare({
      certificate: world.card.signing.certificate,
      container: { name: "x.asice", data: b64("not a zip") },
    });
    assert.equal(notContainer.status, 400);
    assert.equal(notContainer.json.code, "ASIC_ZIP");
    const finish = await client.call("/api/sign/finish", { method: "POST", body: { id: "x", signatureValue: "AAAA" } });
    assert.equal(finish.json.code, "PORTAL_SIGNATURE_UNKNOWN");
    const garbage = await client.call("/api/sign/finish", { method: "POST", body: { signatureValue: "*" } });
    assert.deepEqual(garbage.json.details.fields, ["id", "signatureValue"]);
  });

  it("refuses a signature value that does not verify, and a suspended signer", async () => {
    const client = new Client(url, world.card);
    assert.equal((await client.login()).status, 200);
    const p = (
      await client.call("/api/sign/prepare", {
        method: "POST",
        body: { certificate: world.card.signing.certificate, files: FILES },
      })
    ).json as PrepareResponse;
    const wrong = await client.call("/api/sign/finish", {
      method: "POST",
      body: { id: p.id, signatureValue: Buffer.alloc(96, 1).toString("base64") },
    });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.code, "SIGN_BAD_SIGNER");

    const suspended = await world.newCard("Sulev", "Peatatud");
    const serial = normaliseSerial(cardCertificate(suspended, "signing").serialNumber);
    await world.services.registry.changeStatus("esteid", serial, { event: "suspended", actor: "test" });
    const holder = new Client(url, world.card);
    assert.equal((await holder.login(suspended)).status, 200);
    const ps = (
      await holder.call("/api/sign/prepare", {
        method: "POST",
        body: { certificate: suspended.signing.certificate, files: FILES },
      })
    ).json as PrepareResponse;
    const refused = await holder.call("/api/sign/finish", {
      method: "POST",
      body: { id: ps.id, signatureValue: await signAsPage(suspended, ps) },
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.code, "SIGNER_SUSPENDED");
  });

  it("checks an uploaded container: a changed file is invalid with its reason; size and type are limited", async () => {
    const client = new Client(url, world.card);
    assert.equal((await client.login()).status, 200);
    const container = readContainer(await signFiles(client));
    const tampered = writeContainer({
      ...container,
      dataFiles: container.dataFiles.map((d, i) =>
        i === 0 ? { ...d, data: new TextEncoder().encode("Muudetud.\n") } : d,
      ),
    });
    const report = await client.call("/api/containers/validate", { method: "POST", raw: tampered });
    assert.equal(report.status, 200);
    assert.equal(report.json.verdict, "invalid");
    assert.deepEqual(
      report.json.signatures[0].findings.map((x: { code: string }) => x.code),
      ["DATA_FILE_CHANGED"],
    );
    const junk = await client.call("/api/containers/validate", { method: "POST", raw: new Uint8Array([1, 2, 3]) });
    assert.equal(junk.json.verdict, "invalid");
    assert.equal(junk.json.container.findings[0].code, "CONTAINER_FORMAT");

    const { url: small } = await world.startPortal({
      signing: {
        tsaUrl: portal.config.signing?.tsaUrl,
        trustAnchorFiles: portal.config.signing?.trustAnchorFiles,
        maxUploadBytes: 2048,
      },
    });
    const tiny = new Client(small, world.card);
    assert.equal((await tiny.login()).status, 200);
    const tooLarge = await tiny.call("/api/containers/validate", { method: "POST", raw: new Uint8Array(4096) });
    assert.equal(tooLarge.status, 413);
    const tooMuch = await tiny.call("/api/sign/prepare", {
      method: "POST",
      body: {
        certificate: world.card.signing.certificate,
        files: [{ name: "a.bin", data: Buffer.alloc(3000).toString("base64") }],
      },
    });
    assert.equal(tooMuch.status, 413);
    assert.equal(tooMuch.json.code, "PORTAL_TOO_LARGE");
    const json = await tiny.call("/api/containers/validate", { method: "POST", body: { a: 1 } });
    assert.equal(json.status, 400);
    assert.equal(json.json.code, "PORTAL_INPUT");
  });

  it("answers 404 without a signing section, and checks the section's fields", async () => {
    const { url: plain } = await world.startPortal({ signing: undefined });
    const client = new Client(plain, world.card);
    assert.equal((await client.login()).status, 200);
    assert.equal((await client.call("/api/session")).json.signing, undefined);
    const refused = await client.call("/api/containers/validate", { method: "POST", raw: new Uint8Array(10) });
    assert.equal(refused.status, 404);
    assert.equal(refused.json.code, "PORTAL_SIGNING_UNCONFIGURED");
    assert.throws(
      () =>
        parsePortalConfig({
          publicOrigin: "http://127.0.0.1:1",
          securityServer: { url: "http://127.0.0.1:2" },
          trustedCaFiles: ["ca.pem"],
          auth: { issuer: "http://127.0.0.1:3", clientId: "portal", clientSecret: "s".repeat(43) },
          signing: { tsaUrl: "ftp://x", trustAnchorFiles: [], level: "B", maxUploadBytes: 1, other: true },
        }),
      (error: any) => {
        assert.deepEqual(error.details.fields, [
          "signing.other",
          "signing.tsaUrl",
          "signing.trustAnchorFiles",
          "signing.level",
          "signing.maxUploadBytes",
        ]);
        return true;
      },
    );
  });
});

describe("signing pieces", () => {
  it("keeps pending signatures per session, bounded, expiring, and counted in bytes", () => {
    let now = 0;
    const store = new SigningStore({ perSession: 2, maxBytes: 100, pendingMs: 1000, signedMs: 5000, now: () => now });
    const signed = (n: number) => ({ kind: "signed" as const, containerName: "a.asice", bytes: new Uint8Array(n) });
    const a = store.put("s1", "p1", signed(10));
    const b = store.put("s1", "p1", signed(10));
    const c = store.put("s1", "p1", signed(10));
    assert.equal(store.get("s1", a), undefined, "the oldest goes when a session has too many");
    assert.ok(store.get("s1", b) && store.get("s1", c));
    assert.equal(store.get("s2", b), undefined, "an id means nothing in another session");
    assert.equal(store.bytes, 20);
    assert.throws(() => store.put("s2", "p2", signed(90)), { code: "PORTAL_BUSY" });
    now = 6000;
    assert.equal(store.get("s1", b), undefined, "expired");
    store.put("s3", "p3", signed(50));
    assert.equal(store.bytes, 50, "expired entries were swept");
    store.drop("s3");
    assert.equal(store.bytes, 0);
  });

  it("#10 one person's quota holds over all their sessions and leaves room for everyone else", () => {
    const store = new SigningStore({ perSession: 4, maxBytes: 1000, perPersonBytes: 100, perPersonEntries: 3 });
    const signed = (n: number) => ({ kind: "signed" as const, containerName: "a.asice", bytes: new Uint8Array(n) });
    for (const session of ["s1", "s2", "s3"]) store.put(session, "mari", signed(10));
    assert.throws(() => store.put("s4", "mari", signed(10)), {
      code: "PORTAL_QUOTA",
      details: { maxBytes: 100, maxEntries: 3 },
    });
    assert.throws(() => store.put("s5", "jaan", signed(101)), {
      code: "PORTAL_QUOTA",
      details: { maxBytes: 100, maxEntries: 3 },
    });
    assert.ok(store.put("s5", "jaan", signed(100)), "another person still signs");
    store.drop("s1");
    assert.ok(store.put("s4", "mari", signed(10)), "room again once an entry goes");
  });

  it("names containers and downloads safely", () => {
    assert.equal(containerName("Leping 2026.pdf"), "Leping 2026.asice");
    assert.equal(containerName("leping.v2.asice"), "leping.v2.asice");
    assert.equal(containerName('a"b;c\\d.txt'), "a_b_c_d.asice");
    assert.equal(containerName(""), "dokumendid.asice");
    assert.equal(attachment("Müük.asice"), `attachment; filename="Muuk.asice"; filename*=UTF-8''M%C3%BC%C3%BCk.asice`);
    assert.throws(() => parsePrepareRequest([], 10), { code: "PORTAL_INPUT" });
    assert.throws(
      () => parsePrepareRequest({ certificate: "x" }, 10),
      (e: any) => e.details.fields[0] === "files|container",
    );
    const parsed = parsePrepareRequest(
      { certificate: "x", files: [{ name: "a.txt", mediaType: "bad type", data: "AA==" }] },
      10,
    );
    assert.equal(parsed.files?.[0]?.mediaType, "application/octet-stream");
  });
});

describe("replication in the operator view", () => {
  it("shows lag, segments, the last snapshot and the data key per registry and embassy", async () => {
    const overview = (await new Client(url, world.card).call("/api/operator/overview")).json as OperatorOverview;
    assert.ok(overview.replication);
    assert.equal(overview.replication.error, undefined);
    const [land, population] = overview.replication.deliveries;
    assert.equal(population?.registry, "population-register");
    assert.equal(population?.embassy, "lux");
    assert.equal(population?.chainIndex, 17);
    assert.equal(population?.ackedIndex, 15);
    assert.equal(population?.lagSegments, 2);
    assert.equal(population?.lagSeconds, 3.25);
    assert.equal(population?.keyId, "dk-20260301-0123456789ab");
    assert.deepEqual(population?.lastSnapshot, { index: 9, seq: 900, at: "2026-03-01T09:00:00.000Z", complete: true });
    assert.equal(land?.registry, "land-register");
    assert.equal(land?.lastSnapshot, undefined, "the embassy node holds no snapshot of it");
    assert.match(land?.lastError ?? "", /EMBASSY_UNREACHABLE/);
  });
});
