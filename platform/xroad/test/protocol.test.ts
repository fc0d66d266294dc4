// Signed global configuration, message signing input, PR-REST request hash, RFC 6962 proofs.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { formatClientId, formatServiceId, parseClientId } from "@riik/core";
import fc from "fast-check";
import { selfSignedCertificate } from "../src/crypto/keys.ts";
import { readUseHeaders } from "../src/datatracker/capture.ts";
import { XRoadFault } from "../src/errors.ts";
import {
  ANCHOR_FORMAT,
  type ConfigurationAnchor,
  type GlobalConfContent,
  signGlobalConf,
  verifyGlobalConf,
} from "../src/globalconf/document.ts";
import { batchProof, batchRoot, batchRootFromProof } from "../src/messagelog/batch.ts";
import { errorMediaType, errorResponse } from "../src/protocol/error-response.ts";
import {
  bodyHash,
  endToEndHeaders,
  MESSAGE_ID,
  normaliseServicePath,
  parseR1Request,
  readSignedHeaders,
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
      "x-road-client": ["EE/GOV/1/c"],
      "content-type": ["text/plain"],
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

  it("signs every value of every end-to-end header, names lowercase and sorted, repeated values in order; hop-by-hop and filtered headers are left out", () => {
    const headers = endToEndHeaders({
      Host: "x",
      "User-Agent": "curl",
      Connection: "keep-alive",
      "X-B": "2",
      "x-a": ["1", "3"],
      "x-riik-signature": "s",
    });
    assert.deepEqual(headers, { "x-b": ["2"], "x-a": ["1", "3"] });
    assert.equal(requestHead("GET", "/r1/a", headers), "riik-xroad/1 request\nGET /r1/a\nx-a:1\nx-a:3\nx-b:2\n\n");
    // The order of a repeated header's values is part of what is signed.
    assert.notEqual(
      requestHead("GET", "/r1/a", { "x-a": ["3", "1"] }),
      requestHead("GET", "/r1/a", { "x-a": ["1", "3"] }),
    );
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

describe("PR-REST 4.6 error responses", () => {
  it("4.6 the error's media type follows Accept with q-values (RFC 9110 12.5.1), JSON when nothing else is preferred", () => {
    const cases: Array<[string | undefined, string]> = [
      [undefined, "application/json"],
      ["", "application/json"],
      ["*/*", "application/json"],
      ["application/*", "application/json"],
      ["application/xml;q=0.9, */*;q=0.1", "application/xml"],
      ["text/*;q=0.5, application/json;q=0.4", "text/xml"],
      ["text/xml;q=0, text/*", "application/json"],
      // Out of RFC 9110's range (12.4.2): negotiator reads it as given, the client clearly asked for XML.
      ["application/xml;q=1.5", "application/xml"],
      ["application/xml;q=abc", "application/json"],
      ["nonsense, ;;, /", "application/json"],
      ["APPLICATION/XML", "application/xml"],
    ];
    for (const [accept, expected] of cases) assert.equal(errorMediaType(accept), expected, String(accept));
  });

  it("4.6 the XML body escapes markup and drops what XML 1.0 cannot carry", () => {
    const fault = new XRoadFault("Client", "BadRequest", 'a <b> & "c"\u0001');
    const { status, headers, body } = errorResponse(fault, "id<1>", "application/xml", "7.7");
    assert.equal(status, 400);
    assert.deepEqual(headers, { "content-type": "application/xml;charset=utf-8", "x-road-error": "Client.BadRequest" });
    assert.equal(
      body,
      '<?xml version="1.0" encoding="UTF-8"?>\n<error><type>Client.BadRequest</type><message>a &lt;b&gt; &amp; "c"</message><detail>id&lt;1&gt;</detail></error>',
    );
  });

  it("X-Road 7.8 spelling: lower snake case, OutdatedGlobalConf renamed global_conf_outdated; 7.7 types read back", () => {
    const outdated = new XRoadFault("Server.ClientProxy", "OutdatedGlobalConf", "old");
    assert.equal(outdated.typeIn("7.7"), "Server.ClientProxy.OutdatedGlobalConf");
    assert.equal(outdated.typeIn("7.8"), "server.clientproxy.global_conf_outdated");
    assert.equal(
      new XRoadFault("Server.ServerProxy", "AccessDenied", "no").typeIn("7.8"),
      "server.serverproxy.access_denied",
    );
    assert.equal(new XRoadFault("Client", "BadRequest", "no").typeIn("7.8"), "client.bad_request");
    assert.equal(XRoadFault.ofType("Server.ServerProxy.AccessDenied", "m")?.type, "Server.ServerProxy.AccessDenied");
    for (const type of ["Server.ServerProxy.toString", "Server.Elsewhere.AccessDenied", "AccessDenied", ""])
      assert.equal(XRoadFault.ofType(type, "m"), undefined, type);
  });
});

describe("RFC 6962 audit paths over a batch", () => {
  it("every leaf's path leads to the root; a wrong leaf, index or size does not", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (size, pick) => {
        const leaves = Array.from({ length: size }, (_, i) => createHash("sha256").update(String(i)).digest("hex"));
        const index = pick % size;
        const root = batchRoot(leaves);
        const proof = batchProof(leaves, index);
        assert.equal(batchRootFromProof(leaves[index]!, index, size, proof), root);
        assert.notEqual(batchRootFromProof("00".repeat(32), index, size, proof), root);
        if (size > 1) assert.notEqual(batchRootFromProof(leaves[index]!, (index + 1) % size, size, proof), root);
        assert.equal(batchRootFromProof(leaves[index]!, size, size, proof), undefined);
      }),
      { numRuns: 200 },
    );
    assert.deepEqual(batchProof(["00".repeat(32)], 0), []);
    assert.throws(() => batchProof(["00".repeat(32)], 1), { code: "MERKLE_INDEX_OUT_OF_RANGE" });
  });
});

/** Valid text with a few characters inserted, replaced or removed at random places. */
function mutated(valid: string[], alphabet: string): fc.Arbitrary<string> {
  const char = fc.constantFrom(...alphabet);
  return fc
    .tuple(
      fc.constantFrom(...valid),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom("insert", "replace", "delete"), char), { maxLength: 3 }),
    )
    .map(([text, edits]) =>
      edits.reduce((t, [at, kind, c]) => {
        const i = t.length === 0 ? 0 : at % t.length;
        if (kind === "insert") return t.slice(0, i) + c + t.slice(i);
        if (kind === "replace") return t.slice(0, i) + c + t.slice(i + 1);
        return t.slice(0, i) + t.slice(i + 1);
      }, text),
    );
}

/** Accepts only the X-Road faults listed; any other error (a crash, a 500) fails the property. */
function rejectedAs(types: string[], run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    assert.ok(error instanceof XRoadFault, `not an X-Road fault: ${String((error as Error)?.stack ?? error)}`);
    assert.ok(types.includes(error.type), `${error.type}: ${error.message}`);
    assert.ok(error.status < 500 || types.every((t) => !t.startsWith("Client.")), error.type);
    return undefined;
  }
}

const ID_ALPHABET = "EeGOVCOM0123456789/%2F .é\u00ff-_~?#";
/** A header as Node's headersDistinct gives it: absent, once, or repeated. */
const header = (arb: fc.Arbitrary<string>) =>
  fc.oneof(
    arb.map((v) => [v]),
    fc.constant(undefined),
    fc.array(arb, { minLength: 2, maxLength: 2 }),
  );

describe("#22 X-Road message headers (property): generated and mutated input is refused with its fault type", () => {
  it("r1 path service ids, X-Road-Client and X-Road-Id: parsed, or Client.BadRequest", () => {
    const services = ["EE/COM/10000002/registry/pets", "EE/GOV/70000001/sub/svc/v1", "EE/COM/1/s/c%2Fd"];
    const clients = ["EE/GOV/70000001/consumer", "EE/GOV/70000001", "EE/COM/10000002/registry"];
    fc.assert(
      fc.property(
        fc.constantFrom("/r1/", "/r1", "/r2/", "", "/r1//"),
        mutated(services, ID_ALPHABET),
        fc.constantFrom("", "/v2/pets/1", "?a=1", "/x/../y"),
        header(mutated(clients, ID_ALPHABET)),
        header(fc.oneof(fc.uuid(), fc.string({ maxLength: 300 }))),
        (prefix, service, rest, client, id) => {
          const headers = { "x-road-client": client, "x-road-id": id };
          const parsed = rejectedAs(["Client.BadRequest"], () => parseR1Request(`${prefix}${service}${rest}`, headers));
          if (parsed === undefined) return;
          const { service: s, client: c, queryId } = parsed as ReturnType<typeof parseR1Request>;
          // What was accepted is well formed: it prints and parses back to itself.
          assert.deepEqual(
            parseR1Request(`/r1/${formatServiceId(s)}`, { "x-road-client": [formatClientId(c)] }).client,
            c,
          );
          // PR-REST 4.3: the last X-Road-Client counts; an X-Road-Id is any text without control characters.
          assert.deepEqual(c, parseClientId(client!.at(-1)!));
          assert.ok(queryId === undefined || (queryId === id!.at(-1) && MESSAGE_ID.test(queryId)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("request id, signing time and signature between security servers: read, or InvalidMessage / MissingSignature", () => {
    const valid = {
      "x-road-request-id": "0b7c4f43-54a2-4d3c-9a55-3d8a1a3f0f7e",
      "x-riik-time": String(Date.parse("2030-01-01T00:00:00Z")),
      "x-riik-signature": "MEUCIQ+/abc=",
    };
    fc.assert(
      fc.property(
        header(mutated([valid["x-road-request-id"], ""], "0a- é\t")),
        header(mutated([valid["x-riik-time"], "1e12", "-1"], "0123456789e.-+ ")),
        header(mutated([valid["x-riik-signature"], ""], "AZaz09+/=-_ %")),
        (requestId, time, signature) => {
          const read = rejectedAs(["Server.ServerProxy.InvalidMessage", "Server.ServerProxy.MissingSignature"], () =>
            readSignedHeaders(
              { "x-road-request-id": requestId, "x-riik-time": time, "x-riik-signature": signature },
              "Server.ServerProxy",
            ),
          ) as ReturnType<typeof readSignedHeaders> | undefined;
          if (read) assert.ok(Number.isSafeInteger(read.time) && read.time >= 0);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("X-Road-UserId, X-Road-Issue and the use headers: read, or Client.InvalidRequest (Client.AccessDenied when hiding is not granted)", () => {
    const text = mutated(
      ["EE38001085718", "Kohtuasi 1-23", "J%C3%A4TS%20%C2%A715", "2031-01-01", "true", ""],
      "%ZE9 -:T\u00e4",
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            "x-road-userid",
            "x-road-issue",
            "x-road-pdu-purpose",
            "x-road-pdu-hidden",
            "x-road-pdu-hidden-until",
            "x-road-pdu-hidden-reason",
            "x-road-pdu-legal-basis",
            "x-road-pdu-initiator-person-name",
            "x-riik-hidden-until",
            "x-riik-hidden-reason",
          ),
          text,
        ),
        fc.boolean(),
        (headers, mayHide) => {
          const types = mayHide ? ["Client.InvalidRequest"] : ["Client.InvalidRequest", "Client.AccessDenied"];
          const use = rejectedAs(types, () => readUseHeaders(headers, () => mayHide)) as
            | ReturnType<typeof readUseHeaders>
            | undefined;
          if (!use) return;
          assert.notEqual(use.userId, "");
          assert.notEqual(use.purpose, "");
          if (use.hiddenUntil !== null) assert.ok(mayHide && Number.isFinite(Date.parse(use.hiddenUntil)));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
