// The statement parser against generated input: every statement round-trips through its
// canonical bytes; any other bytes (random, or a valid document with one byte changed) are
// either the canonical bytes of a statement or STATEMENT_INVALID, never another failure.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { MotorInsuranceError, parseStatementDocument, type Statement, statementDocument } from "../src/index.ts";
import { common, driverA, driverB, insurerA, partOf } from "./fixture.ts";

const insurance = {
  insurer: insurerA,
  insurerName: "Kindlustus AS",
  policy: "P-1",
  validUntil: "2027-01-01T00:00:00.000Z",
};
const statementArb = fc
  .record({
    place: fc.string({ minLength: 1, maxLength: 200 }),
    injuries: fc.boolean(),
    remarks: fc.string({ maxLength: 200 }),
    ticked: fc.uniqueArray(fc.integer({ min: 1, max: 17 }), { maxLength: 17 }),
  })
  .map(
    ({ place, injuries, remarks, ticked }): Statement => ({
      format: "riik-accident-statement/1",
      case: randomUUID(),
      common: { ...common, place, injuries },
      A: { ...partOf(driverA, "123ABC", { remarks, circumstances: [...ticked].sort((a, b) => a - b) }), insurance },
      B: { ...partOf(driverB, "456DEF"), insurance },
    }),
  );

const onlyInvalid = (bytes: Uint8Array) => {
  try {
    const statement = parseStatementDocument(bytes);
    assert.equal(statementDocument(statement), Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    assert.ok(error instanceof MotorInsuranceError, String(error));
    assert.equal(error.code, "STATEMENT_INVALID");
  }
};

test("a statement round-trips through its canonical bytes", () => {
  fc.assert(
    fc.property(statementArb, (statement) => {
      const bytes = new TextEncoder().encode(statementDocument(statement));
      assert.deepEqual(parseStatementDocument(bytes), statement);
    }),
  );
});

test("random bytes and JSON are STATEMENT_INVALID", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), onlyInvalid));
  fc.assert(fc.property(fc.json(), (text) => onlyInvalid(new TextEncoder().encode(text))));
});

test("a valid statement with one byte changed is refused or is another canonical statement", () => {
  fc.assert(
    fc.property(statementArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (statement, at, flip) => {
      const bytes = new TextEncoder().encode(statementDocument(statement));
      bytes[at % bytes.length]! ^= flip;
      onlyInvalid(bytes);
    }),
  );
});

test("non-canonical spellings and unordered circumstances are refused", () => {
  const statement = fc.sample(statementArb, 1)[0]!;
  const spaced = JSON.stringify(statement, null, 1);
  assert.throws(() => parseStatementDocument(new TextEncoder().encode(spaced)), { code: "STATEMENT_INVALID" });
  const unordered = { ...statement, A: { ...statement.A, circumstances: [9, 2] } };
  assert.throws(() => parseStatementDocument(new TextEncoder().encode(statementDocument(unordered))), {
    code: "STATEMENT_INVALID",
  });
  const extra = { ...statement, B: { ...statement.B, speed: 50 } };
  assert.throws(() => parseStatementDocument(new TextEncoder().encode(statementDocument(extra))), {
    code: "STATEMENT_INVALID",
  });
});
