// Signed global configuration, message signing input, PR-REST request hash, RFC 6962 proofs.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { selfSignedCertificate } from "../src/crypto/keys.ts";
import { XRoadFault } from "../src/errors.ts";
import {
  ANCHOR_FORMAT,
  type ConfigurationAnchor,
  type GlobalConfContent,
  signGlobalConf,
  verifyGlobalConf,
} from "../src/globalconf/document.ts";
import { inclusionProof, merkleRoot, rootFromProof } from "../src/messagelog/merkle.ts";
import {
  bodyHash,
  endToEndHeaders,
  normaliseServicePath,
  remainderOf,
  requestHash,
  requestHead,
} from "../src/protocol/message.ts";
import { compilePathPattern, endpointsOf } from "../src/ss/local-conf.ts";

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
const pem = await selfSignedCertificate(privateKey, "EE configuration signing");
const certificate = new X509Certificate(pem);
const anchor: ConfigurationAnchor = {
  format: ANCHOR_FORMAT,
  instance: "EE",
  generatedAt: new Date().toISOString(),
  sources: [{ url: "http://central/globalconf", certificates: [pem] }],
};

function content(overrides: Partial<GlobalConfContent> = {}): GlobalConfContent {
  return {
    instance: "EE",
    version: 3,
    generatedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + 600_000).toISOString(),
    centralServer: { address: "http://central" },
    members: [{ memberClass: "GOV", memberCode: "70000001", name: "Ministry", subsystems: [] }],
    securityServers: [],
    globalGroups: [],
    trust: { serverCas: [], roots: [], tsa: [], ledger: null },
    settings: { ocspFreshnessSeconds: 60, maxClockSkewSeconds: 60 },
    ...overrides,
  };
}

describe("global configuration", () => {
  it("verifies what the central server signed", () => {
    const signed = signGlobalConf(content(), privateKey, certificate);
    assert.equal(verifyGlobalConf(JSON.stringify(signed), anchor).content.version, 3);
  });

  it("refuses a changed document, another signer, another instance, an expired copy and malformed input", async () => {
    const signed = signGlobalConf(content(), privateKey, certificate);
    const changed = structuredClone(signed);
    changed.content.members[0]!.name = "Someone else";
    assert.throws(() => verifyGlobalConf(JSON.stringify(changed), anchor), { code: "XROAD_GLOBALCONF_SIGNATURE" });
    const other = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey;
    const otherCert = new X509Certificate(await selfSignedCertificate(other, "impostor"));
    assert.throws(() => verifyGlobalConf(JSON.stringify(signGlobalConf(content(), other, otherCert)), anchor), {
      code: "XROAD_GLOBALCONF_SIGNATURE",
    });
    assert.throws(
      () =>
        verifyGlobalConf(JSON.stringify(signGlobalConf(content({ instance: "LV" }), privateKey, certificate)), anchor),
      {
        code: "XROAD_GLOBALCONF_INSTANCE",
      },
    );
    const expired = signGlobalConf(
      content({ expiresAt: new Date(Date.now() - 1).toISOString() }),
      privateKey,
      certificate,
    );
    assert.throws(() => verifyGlobalConf(JSON.stringify(expired), anchor), { code: "XROAD_GLOBALCONF_EXPIRED" });
    assert.throws(() => verifyGlobalConf("{not json", anchor), { code: "XROAD_GLOBALCONF_FORMAT" });
    assert.throws(
      () => verifyGlobalConf(JSON.stringify({ format: "riik-globalconf/1", content: {} }), anchor),
      (error: { code: string; details: { fields: string[] } }) =>
        error.code === "XROAD_GLOBALCONF_FORMAT" &&
        error.details.fields.includes("content.version") &&
        error.details.fields.includes("signature"),
    );
  });
});

describe("messages between security servers", () => {
  it("X-Road-Request-Hash is base64 SHA512(SHA512(headers) + SHA512(body)), SHA512(headers) without a body (PR-REST 4.3)", () => {
    const head = requestHead("POST", "/r1/EE/COM/2/p/s/x?y=1", {
      "x-road-client": "EE/GOV/1/c",
      "content-type": "text/plain",
    });
    const sha512 = (data: Uint8Array | string) => createHash("sha512").update(data).digest();
    const body = Buffer.from("body");
    assert.equal(
      requestHash(head, body),
      createHash("sha512")
        .update(Buffer.concat([sha512(head), sha512(body)]))
        .digest("base64"),
    );
    assert.equal(requestHash(head, Buffer.alloc(0)), sha512(head).toString("base64"));
    assert.equal(bodyHash(body), sha512(body).toString("base64"));
  });

  it("signs every end-to-end header, lowercase and sorted; hop-by-hop and filtered headers are left out", () => {
    const headers = endToEndHeaders({
      Host: "x",
      "User-Agent": "curl",
      Connection: "keep-alive",
      "X-B": "2",
      "x-a": ["1", "3"],
      "x-riik-signature": "s",
    });
    assert.deepEqual(headers, { "x-b": "2", "x-a": "1, 3" });
    assert.equal(requestHead("GET", "/r1/a", headers), "riik-xroad/1 request\nGET /r1/a\nx-a:1, 3\nx-b:2\n\n");
  });

  it("keeps what follows the service id exactly (PR-REST 4.1, 4.5)", () => {
    assert.equal(remainderOf("EE/COM/2/p/s"), "");
    assert.equal(remainderOf("EE/COM/2/p/s/"), "/");
    assert.equal(remainderOf("EE/COM/2/p/s?quu=1"), "?quu=1");
    assert.equal(remainderOf("EE/COM/2/p/s/v1/bar/zyggy?quu=1&a=%2F"), "/v1/bar/zyggy?quu=1&a=%2F");
  });

  it("#10 path traversal: service paths normalised per RFC 3986 §5.2.4 after decoding unreserved escapes", () => {
    const norm = (remainder: string) => normaliseServicePath(remainder);
    assert.deepEqual(norm(""), { path: "", query: "" });
    assert.deepEqual(norm("?a=1"), { path: "", query: "?a=1" });
    assert.deepEqual(norm("/public/../admin/secret?x=%2F"), { path: "/admin/secret", query: "?x=%2F" });
    assert.deepEqual(norm("/persons/38001085718/%2E%2e/49403136515"), { path: "/persons/49403136515", query: "" });
    assert.deepEqual(norm("/a/b/."), { path: "/a/b/", query: "" });
    assert.deepEqual(norm("/a/b/.."), { path: "/a/", query: "" });
    assert.deepEqual(norm("/a//../b/%7e%41%c3%a4"), { path: "/a/b/~A%C3%A4", query: "" });
    for (const bad of [
      "/..",
      "/a/../..",
      "/%2e%2e",
      "/a%2fb",
      "/a%2Fb",
      "/a%5cb",
      "/a\\b",
      "/%252e%252e",
      "/%",
      "/%g0",
    ])
      assert.throws(
        () => norm(bad),
        (error: unknown) => error instanceof XRoadFault && error.type === "Client.BadRequest",
        bad,
      );
  });

  it("#10 path traversal (property): a path the access check accepts stays under the granted prefix when forwarded", () => {
    const segment = fc.oneof(
      fc.constantFrom(
        "public",
        "admin",
        "secret",
        ".",
        "..",
        "%2e",
        "%2E%2e",
        ".%2e",
        "",
        "%2f",
        "%5C",
        "%252e",
        "%41",
        "%",
        "~",
      ),
      fc.stringMatching(/^[A-Za-z0-9._~%-]{0,6}$/),
    );
    const granted = compilePathPattern("/public/**");
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.constantFrom("", "?q=%2e%2e/x"), (segments, query) => {
        let result: { path: string; query: string };
        try {
          result = normaliseServicePath(`/${segments.join("/")}${query}`);
        } catch (error) {
          assert.ok(error instanceof XRoadFault, String(error));
          assert.equal(error.type, "Client.BadRequest");
          return;
        }
        assert.equal(result.query, query);
        const parts = result.path.split("/");
        assert.ok(!parts.includes(".") && !parts.includes(".."), result.path);
        assert.doesNotMatch(result.path, /%(2E|2F|5C)/i);
        assert.deepEqual(normaliseServicePath(result.path + query), result, "normalising twice changes nothing");
        // What a URL parser on the provider's side makes of the forwarded path is the same path.
        const forwarded = new URL(`http://provider/base${result.path}${query}`).pathname;
        assert.equal(forwarded, `/base${result.path}`);
        if (granted.test(result.path)) assert.ok(forwarded.startsWith("/base/public/"), forwarded);
      }),
      { numRuns: 2000 },
    );
  });

  it("endpoint patterns: * within a segment, ** across segments", () => {
    assert.equal(compilePathPattern("/pets/*").test("/pets/12"), true);
    assert.equal(compilePathPattern("/pets/*").test("/pets/12/x"), false);
    assert.equal(compilePathPattern("/pets/**").test("/pets/12/x"), true);
    assert.equal(compilePathPattern("/a.b").test("/aXb"), false);
    assert.throws(() => compilePathPattern("pets"), { code: "XROAD_ARGUMENT" });
    assert.deepEqual(endpointsOf({ paths: { "/pets/{petId}": { get: {}, parameters: [] } } }), [
      { method: "GET", path: "/pets/*" },
    ]);
  });
});

describe("RFC 6962 audit paths over a batch", () => {
  it("every leaf's path leads to the root; a wrong leaf, index or size does not", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (size, pick) => {
        const leaves = Array.from({ length: size }, (_, i) => createHash("sha256").update(String(i)).digest());
        const index = pick % size;
        const root = merkleRoot(leaves);
        const proof = inclusionProof(leaves, index);
        assert.deepEqual(rootFromProof(leaves[index]!, index, size, proof), root);
        assert.notDeepEqual(rootFromProof(Buffer.alloc(32), index, size, proof), root);
        if (size > 1) assert.notDeepEqual(rootFromProof(leaves[index]!, (index + 1) % size, size, proof), root);
        assert.equal(rootFromProof(leaves[index]!, size, size, proof), undefined);
      }),
      { numRuns: 200 },
    );
    assert.deepEqual(inclusionProof([Buffer.alloc(32)], 0), []);
    assert.throws(() => inclusionProof([Buffer.alloc(32)], 1), RangeError);
  });
});
