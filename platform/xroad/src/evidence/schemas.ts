import { type TSchema, Type } from "typebox";
import { Value } from "typebox/value";
import { XRoadError } from "../errors.ts";

// Shapes of the files the offline verifiers read (evidence, Data Tracker proofs): checked in
// full before any check, so a malformed file is XROAD_EVIDENCE_INVALID and no check meets a
// value of an unexpected type.

export const TEXT = Type.String({ maxLength: 1024 * 1024 });
export const HEX64 = Type.String({ pattern: "^[0-9a-f]{64}$" });
export const BASE64 = Type.String({ pattern: "^[A-Za-z0-9+/]*={0,2}$", maxLength: 64 * 1024 * 1024 });
export const NULLABLE_TEXT = Type.Union([TEXT, Type.Null()]);
export const NULLABLE_BASE64 = Type.Union([BASE64, Type.Null()]);

/** A batch statement (messagelog/batch.ts): what the TSA and the ledger signed the hash of. */
export const STATEMENT = Type.Object(
  {
    format: TEXT,
    server: TEXT,
    batch: Type.Integer({ minimum: 1 }),
    firstId: Type.Integer(),
    lastId: Type.Integer(),
    count: Type.Integer({ minimum: 1, maximum: 2 ** 31 }),
    root: HEX64,
    previous: HEX64,
    createdAt: TEXT,
  },
  { additionalProperties: false },
);

/** A statement with the record's place in it and its anchors. */
export const ANCHORED_BATCH = Type.Object({
  statement: STATEMENT,
  index: Type.Integer({ minimum: 0 }),
  proof: Type.Array(HEX64, { maxItems: 64 }),
  tsaToken: NULLABLE_BASE64,
  ledger: Type.Unknown(),
});

/** Refuses a value that is not of `schema`, naming the first bad field. */
export function assertDocument<S extends TSchema>(
  schema: S,
  value: unknown,
  format: string,
): asserts value is Type.Static<S> {
  if (Value.Check(schema, value)) return;
  const first = Value.Errors(schema, value)[0];
  throw new XRoadError(
    "XROAD_EVIDENCE_INVALID",
    `not a ${format} document${first ? `: ${first.instancePath || "/"} ${first.message}` : ""}`,
  );
}
