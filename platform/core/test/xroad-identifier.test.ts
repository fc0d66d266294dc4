import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  formatClientId,
  formatServiceId,
  parseClientId,
  parseRestServicePath,
  parseServiceId,
  XRoadIdentifierError,
} from "../src/index.ts";

describe("X-Road identifiers (PR-REST 4.1, 4.2, 4.8)", () => {
  it("parses the example of PR-REST 4.1", () => {
    const { service, path } = parseRestServicePath("INSTANCE/CLASS2/MEMBER2/SUBSYSTEM2/BARSERVICE/v1/bar/zyggy?quu=1");
    assert.deepEqual(service, {
      instance: "INSTANCE",
      memberClass: "CLASS2",
      memberCode: "MEMBER2",
      subsystemCode: "SUBSYSTEM2",
      serviceCode: "BARSERVICE",
    });
    assert.equal(path, "/v1/bar/zyggy?quu=1");
    assert.equal(parseRestServicePath("EE/GOV/70008440/rr/persons").path, "/");
  });

  it("parses clients with and without a subsystem", () => {
    assert.deepEqual(parseClientId("INSTANCE/CLASS1/MEMBER1/SUBSYSTEM1"), {
      instance: "INSTANCE",
      memberClass: "CLASS1",
      memberCode: "MEMBER1",
      subsystemCode: "SUBSYSTEM1",
    });
    assert.equal(parseClientId("EE/GOV/70008440").subsystemCode, undefined);
  });

  it("keeps a service version as the sixth part", () => {
    const id = parseServiceId("EE/GOV/70008440/rr/person/v2");
    assert.equal(id.serviceVersion, "v2");
    assert.equal(formatServiceId(id), "EE/GOV/70008440/rr/person/v2");
  });

  it("decodes percent-encoded parts and refuses characters PR-REST 4.8 forbids", () => {
    assert.equal(parseClientId("EE/GOV/a%2Bb").memberCode, "a+b");
    for (const [text, code] of [
      ["EE/GOV", "XROAD_ID_FORMAT"],
      ["EE/GOV/1/2/3", "XROAD_ID_FORMAT"],
      ["EE//1", "XROAD_ID_FORMAT"],
      ["EE/GOV/a%2Fb", "XROAD_ID_CHARACTERS"],
      ["EE/GOV/a b", "XROAD_ID_CHARACTERS"],
      ["EE/GOV/%E2%82%AC", "XROAD_ID_CHARACTERS"],
      ["EE/GOV/%ZZ", "XROAD_ID_ENCODING"],
      ["EE/GOV/%C3", "XROAD_ID_ENCODING"],
      [`EE/GOV/${"a".repeat(300)}`, "XROAD_ID_CHARACTERS"],
    ] as const) {
      assert.throws(
        () => parseClientId(text),
        (error: unknown) => error instanceof XRoadIdentifierError && error.code === code,
        text,
      );
    }
    assert.throws(() => parseRestServicePath("EE/GOV/1/sub"), { code: "XROAD_ID_FORMAT" });
  });

  it("round-trips every valid identifier through format and parse", () => {
    const part = fc.stringMatching(/^[A-Za-z0-9'()+,\-.=?]{1,20}$/);
    fc.assert(
      fc.property(
        part,
        part,
        part,
        fc.option(part, { nil: undefined }),
        (instance, memberClass, memberCode, subsystemCode) => {
          const id =
            subsystemCode === undefined
              ? { instance, memberClass, memberCode }
              : { instance, memberClass, memberCode, subsystemCode };
          assert.deepEqual(parseClientId(formatClientId(id)), id);
        },
      ),
    );
  });

  it("throws only XRoadIdentifierError on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        try {
          parseRestServicePath(text);
        } catch (error) {
          assert.ok(error instanceof XRoadIdentifierError);
        }
      }),
    );
  });
});
