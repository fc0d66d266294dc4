// A provider's error answer read by the X-Road client: riik's {code, message} or a FHIR
// OperationOutcome; anything else says nothing, and nothing read from it is unbounded.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { providerErrorOf } from "../src/provider-error.ts";

describe("providerErrorOf", () => {
  it("reads riik's error answer", () => {
    assert.deepEqual(providerErrorOf({ code: "PERSON_NOT_FOUND", message: "no person 38001085718" }), {
      code: "PERSON_NOT_FOUND",
      message: "no person 38001085718",
    });
  });

  it("reads a FHIR OperationOutcome's first issue: details.coding code, details.text, else diagnostics", () => {
    const outcome = (issue: unknown) => ({ resourceType: "OperationOutcome", issue: [issue] });
    assert.deepEqual(
      providerErrorOf(
        outcome({
          severity: "error",
          code: "business-rule",
          details: { coding: [{ code: "PRESCRIPTION_USED" }], text: "no dispensings remain" },
        }),
      ),
      { code: "PRESCRIPTION_USED", message: "no dispensings remain" },
    );
    assert.deepEqual(providerErrorOf(outcome({ severity: "error", code: "invalid", diagnostics: "bad" })), {
      message: "bad",
    });
    // An OperationOutcome's own top-level `code` is not an issue code: it is not read.
    assert.deepEqual(providerErrorOf({ resourceType: "OperationOutcome", code: "X", issue: "no" }), {});
  });

  it("anything else says nothing; what it says is a bounded string", () => {
    for (const body of [undefined, null, 7, "text", [], { code: 7 }, { code: "" }])
      assert.deepEqual(providerErrorOf(body), {});
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, "OperationOutcome"), (value, resourceType) => {
        const body =
          typeof value === "object" && value !== null && !Array.isArray(value) && resourceType
            ? { ...value, resourceType }
            : value;
        const { code, message } = providerErrorOf(body);
        assert.ok(code === undefined || (typeof code === "string" && code.length > 0 && code.length <= 100));
        assert.ok(message === undefined || (typeof message === "string" && message.length <= 500));
      }),
      { numRuns: 500 },
    );
    assert.equal(providerErrorOf({ code: "C".repeat(300) }).code?.length, 100);
  });
});
