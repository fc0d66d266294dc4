// #22 The global configuration parser and verifier against generated and mutated documents:
// each refusal carries its own code (XROAD_GLOBALCONF_FORMAT, _SIGNATURE, _EXPIRED, _INSTANCE)
// and is an XRoadError; nothing else escapes (a TypeError is a failure here, not a refusal).
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { describe, it } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import fc from "fast-check";
import { generateKeyPem, readPrivateKey, selfSignedCertificate, writePrivateKey } from "../src/crypto/keys.ts";
import { XRoadError } from "../src/errors.ts";
import {
  ANCHOR_FORMAT,
  type ConfigurationAnchor,
  type GlobalConfContent,
  GlobalConfIndex,
  signGlobalConf,
  verifyGlobalConf,
} from "../src/globalconf/document.ts";

const dir = temporaryDirectory("riik-globalconf-property-");
async function signer(name: string) {
  const path = join(dir, `${name}.key.pem`);
  writePrivateKey(path, generateKeyPem("p256"));
  const key = readPrivateKey(path);
  const pem = await selfSignedCertificate(key, `${name} configuration signing`);
  return { key, pem, certificate: new X509Certificate(pem) };
}
const central = await signer("central");
const intruder = await signer("intruder");
const anchor: ConfigurationAnchor = {
  format: ANCHOR_FORMAT,
  instance: "EE",
  generatedAt: new Date().toISOString(),
  sources: [{ url: "http://127.0.0.1:1/globalconf", certificates: [central.pem] }],
};
const NOW = new Date("2030-01-01T00:00:00Z");
const certificateDer = central.certificate.raw.toString("base64");

const content = (): GlobalConfContent => ({
  instance: "EE",
  version: 3,
  generatedAt: "2029-12-31T23:55:00.000Z",
  expiresAt: "2030-01-01T00:05:00.000Z",
  centralServer: { address: "http://127.0.0.1:8810" },
  members: [
    {
      memberClass: "GOV",
      memberCode: "70000001",
      name: "Ministry",
      subsystems: [{ subsystemCode: "rr", name: "Register" }],
    },
  ],
  securityServers: [
    {
      owner: { memberClass: "GOV", memberCode: "70000001" },
      serverCode: "ss1",
      address: "https://127.0.0.1:5500",
      authCertHashes: ["0".repeat(64)],
      authCertificates: [certificateDer],
      clients: ["EE/GOV/70000001/rr"],
    },
  ],
  globalGroups: [{ groupCode: "security", description: "", members: ["EE/GOV/70000001/rr"] }],
  trust: { serverCas: [certificateDer], roots: [certificateDer], tsa: [], ledger: null },
  settings: { ocspFreshnessSeconds: 60, maxClockSkewSeconds: 300 },
});

function refusedWith(code: string, input: Uint8Array | string) {
  try {
    verifyGlobalConf(input, anchor, NOW);
  } catch (error) {
    assert.ok(error instanceof XRoadError, `not an XRoadError: ${(error as Error)?.stack}`);
    assert.equal(error.code, code, error.message);
    return;
  }
  assert.fail(`accepted, expected ${code}`);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** Every path into a JSON value (the root is []). */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const own = [prefix];
  if (Array.isArray(value)) return [...own, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value !== null && typeof value === "object")
    return [...own, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return own;
}
const at = (value: any, path: (string | number)[]) => path.reduce((v, k) => v[k], value);
function replaced(value: Json, path: (string | number)[], next: Json | undefined): Json {
  if (path.length === 0) return next as Json;
  const copy: any = structuredClone(value);
  const parent = at(copy, path.slice(0, -1));
  const key = path.at(-1)!;
  if (next === undefined) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else parent[key] = next;
  return copy;
}

/** A JSON value of another type than `original` (a string for a number, an object for a list, …). */
function otherType(original: unknown): fc.Arbitrary<Json> {
  const kinds: Record<string, fc.Arbitrary<Json>> = {
    string: fc.string({ maxLength: 8 }),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    null: fc.constant(null),
    array: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
    object: fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }),
  };
  const kind = original === null ? "null" : Array.isArray(original) ? "array" : typeof original;
  return fc.oneof(...Object.entries(kinds).flatMap(([name, arbitrary]) => (name === kind ? [] : [arbitrary])));
}

const signed = signGlobalConf(content(), central.key, central.certificate) as unknown as Json;
const contentPaths = paths(signed).filter((p) => p[0] === "content" && p.length > 1);
/** Free text under the signature (times, hashes and DER have their own grammar, so a change there is FORMAT). */
const stringLeaves = contentPaths.filter(
  (p) =>
    typeof at(signed, p) === "string" &&
    !/At$/.test(String(p.at(-1))) &&
    !/^(authCertHashes|authCertificates|serverCas|roots)$/.test(String(p.at(-2))),
);

describe("#22 global configuration parser and verifier (fast-check)", () => {
  it("the central server's document verifies and indexes", () => {
    const conf = verifyGlobalConf(JSON.stringify(signed), anchor, NOW);
    assert.equal(new GlobalConfIndex(conf).clients.has("EE/GOV/70000001/rr"), true);
  });

  it("bytes and JSON values that are not a configuration: XROAD_GLOBALCONF_FORMAT", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => refusedWith("XROAD_GLOBALCONF_FORMAT", bytes)));
    fc.assert(fc.property(fc.jsonValue(), (value) => refusedWith("XROAD_GLOBALCONF_FORMAT", JSON.stringify(value))));
  });

  it("a field of another type or missing, even correctly signed: XROAD_GLOBALCONF_FORMAT (before the signature)", () => {
    const paths = fc.constantFrom(...contentPaths.filter((p) => typeof p.at(-1) === "string" || p.length === 1));
    fc.assert(
      fc.property(
        paths.chain((path) =>
          fc.tuple(fc.constant(path), fc.option(otherType(at(signed, path)), { nil: undefined, freq: 4 })),
        ),
        ([path, value]) => {
          const document = replaced(signed, path, value) as any;
          // Re-signed with the anchor's own key: only the shape is wrong.
          const resigned = {
            ...document,
            signature: signGlobalConf(document.content, central.key, central.certificate).signature,
          };
          refusedWith("XROAD_GLOBALCONF_FORMAT", JSON.stringify(resigned));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("an outer field of another type or missing: XROAD_GLOBALCONF_FORMAT", () => {
    const outer = paths(signed).filter((p) => p.length >= 1 && p[0] !== "content");
    fc.assert(
      fc.property(
        fc
          .constantFrom(...outer)
          .chain((path) => fc.tuple(fc.constant(path), fc.option(otherType(at(signed, path)), { nil: undefined }))),
        ([path, value]) => refusedWith("XROAD_GLOBALCONF_FORMAT", JSON.stringify(replaced(signed, path, value))),
      ),
    );
  });

  it("any changed text under the signature: XROAD_GLOBALCONF_SIGNATURE", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...stringLeaves).chain((path) =>
          fc.tuple(
            fc.constant(path),
            fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s !== at(signed, path)),
          ),
        ),
        ([path, value]) => {
          refusedWith("XROAD_GLOBALCONF_SIGNATURE", JSON.stringify(replaced(signed, path, value)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("signed by a key that is not in the anchor, or a forged signature value: XROAD_GLOBALCONF_SIGNATURE", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.base64String({ minLength: 4, maxLength: 200 }),
        (version, value) => {
          const own = signGlobalConf({ ...content(), version }, intruder.key, intruder.certificate);
          refusedWith("XROAD_GLOBALCONF_SIGNATURE", JSON.stringify(own));
          // The intruder names the central server's certificate.
          const named = {
            ...own,
            signature: { ...own.signature, certificateHash: (signed as any).signature.certificateHash },
          };
          refusedWith("XROAD_GLOBALCONF_SIGNATURE", JSON.stringify(named));
          if (value.length > 0)
            refusedWith(
              "XROAD_GLOBALCONF_SIGNATURE",
              JSON.stringify({ ...(signed as any), signature: { ...(signed as any).signature, value } }),
            );
        },
      ),
      { numRuns: 50 },
    );
  });

  it("signed by the anchor's key for another instance: XROAD_GLOBALCONF_INSTANCE", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9'()+,\-.=?]{1,12}$/).filter((instance) => instance !== "EE"),
        (instance) =>
          refusedWith(
            "XROAD_GLOBALCONF_INSTANCE",
            JSON.stringify(signGlobalConf({ ...content(), instance }, central.key, central.certificate)),
          ),
      ),
      { numRuns: 50 },
    );
  });

  it("signed by the anchor's key, expired at or before now: XROAD_GLOBALCONF_EXPIRED", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: NOW, noInvalidDate: true }), (expiry) =>
        refusedWith(
          "XROAD_GLOBALCONF_EXPIRED",
          JSON.stringify(
            signGlobalConf({ ...content(), expiresAt: expiry.toISOString() }, central.key, central.certificate),
          ),
        ),
      ),
      { numRuns: 50 },
    );
  });
});
