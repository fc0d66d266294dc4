// The European Accident Statement (the CEA/Insurance Europe form every EU insurer accepts):
// the common part (boxes 1-5) and one part per vehicle (boxes 6-15), A and B. The statement
// both drivers sign is its canonical JSON (RFC 8785); parseStatementDocument reads such bytes
// back and refuses anything else, so a container's file means exactly one statement.
import { canonicalJson } from "@riik/core";
import { type Static, Type } from "typebox";
import { Value } from "typebox/value";
import { MotorInsuranceError } from "../errors.ts";

const TEXT = (max: number) => Type.String({ minLength: 1, maxLength: max });
const PERSONAL_CODE = Type.String({ pattern: "^[1-8][0-9]{10}$" });
const REGISTRY_CODE = Type.String({ pattern: "^[1-9][0-9]{7}$" });

/** Boxes 1-5: date, time, place, injuries, other damage, witnesses. */
export const COMMON_PART = Type.Object(
  {
    date: Type.String({ pattern: "^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$" }),
    time: Type.String({ pattern: "^([01]\\d|2[0-3]):[0-5]\\d$" }),
    place: TEXT(200),
    /** Box 3, injuries even if slight: only then is the police involved. */
    injuries: Type.Boolean(),
    /** Box 4: material damage to vehicles other than A and B, and to objects other than vehicles. */
    otherDamage: Type.Object({ vehicles: Type.Boolean(), objects: Type.Boolean() }, { additionalProperties: false }),
    witnesses: Type.Array(Type.Object({ name: TEXT(100), contact: TEXT(200) }, { additionalProperties: false }), {
      maxItems: 10,
    }),
  },
  { additionalProperties: false },
);

/** Box 12: the 17 numbered circumstances. */
export const CIRCUMSTANCES = 17;

/** What a driver fills in for their vehicle (boxes 6-15 but the insurer, which the bureau looks up). */
export const DRIVER_PART = Type.Object(
  {
    policyholder: Type.Object(
      {
        name: TEXT(200),
        personalCode: Type.Optional(PERSONAL_CODE),
        registryCode: Type.Optional(REGISTRY_CODE),
      },
      { additionalProperties: false },
    ),
    vehicle: Type.Object(
      { plate: Type.String({ pattern: "^[A-Z0-9]{2,9}$" }), make: TEXT(60), model: TEXT(60) },
      { additionalProperties: false },
    ),
    driver: Type.Object(
      {
        personalCode: PERSONAL_CODE,
        name: TEXT(200),
        licence: Type.String({ pattern: "^[A-Z]{2}[0-9]{6}$" }),
      },
      { additionalProperties: false },
    ),
    /** Box 10, the initial point of impact. */
    pointOfImpact: Type.Union([
      Type.Literal("front"),
      Type.Literal("front-left"),
      Type.Literal("front-right"),
      Type.Literal("left"),
      Type.Literal("right"),
      Type.Literal("rear"),
      Type.Literal("rear-left"),
      Type.Literal("rear-right"),
      Type.Literal("roof"),
      Type.Literal("underside"),
    ]),
    /** Box 11, visible damage. */
    damage: Type.String({ maxLength: 1000 }),
    circumstances: Type.Array(Type.Integer({ minimum: 1, maximum: CIRCUMSTANCES }), { maxItems: CIRCUMSTANCES }),
    /** Box 14. */
    remarks: Type.String({ maxLength: 2000 }),
    /** Box 13 and photos: the sketch's and photos' SHA-256, the files kept by the portal. */
    attachments: Type.Array(
      Type.Object(
        {
          name: TEXT(100),
          mediaType: Type.Union([Type.Literal("image/svg+xml"), Type.Literal("image/jpeg"), Type.Literal("image/png")]),
          sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 20 },
    ),
  },
  { additionalProperties: false },
);

/** Box 8, filled in by the bureau from its register (who insures the vehicle at the accident's moment). */
export const INSURANCE = Type.Object(
  { insurer: REGISTRY_CODE, insurerName: TEXT(200), policy: TEXT(40), validUntil: Type.String() },
  { additionalProperties: false },
);

export const VEHICLE_PART = Type.Object(
  { ...DRIVER_PART.properties, insurance: INSURANCE },
  { additionalProperties: false },
);

export const STATEMENT = Type.Object(
  {
    format: Type.Literal("riik-accident-statement/1"),
    case: Type.String({ format: "uuid" }),
    common: COMMON_PART,
    A: VEHICLE_PART,
    B: VEHICLE_PART,
  },
  { additionalProperties: false },
);

export type CommonPart = Static<typeof COMMON_PART>;
export type DriverPart = Static<typeof DRIVER_PART>;
export type VehiclePart = Static<typeof VEHICLE_PART>;
export type Statement = Static<typeof STATEMENT>;

/**
 * Refuses a part that is not of its schema (naming every bad field), or whose ticked
 * circumstances are not distinct and ascending (box 12 is a set of boxes; one spelling only).
 */
export function assertPart<S extends typeof COMMON_PART | typeof DRIVER_PART | typeof STATEMENT>(
  schema: S,
  value: unknown,
  what: string,
): asserts value is Static<S> {
  if (!Value.Check(schema, value)) {
    const fields = [...Value.Errors(schema, value)].map((e) => `${e.instancePath || "/"} ${e.message}`);
    throw new MotorInsuranceError("STATEMENT_INVALID", `${what}: ${fields[0]}`, { details: { fields } });
  }
  const parts = schema === STATEMENT ? [(value as Statement).A, (value as Statement).B] : [value];
  for (const part of parts) {
    const ticked = (part as { circumstances?: number[] }).circumstances;
    if (ticked?.some((n, i) => i > 0 && n <= ticked[i - 1]!))
      throw new MotorInsuranceError("STATEMENT_INVALID", `${what}: circumstances must be distinct and ascending`);
  }
}

/** The bytes both drivers sign. */
export function statementDocument(statement: Statement): string {
  return canonicalJson(statement);
}

/**
 * A statement from the bytes of a signed container's file: UTF-8, JSON, of the schema, and
 * canonical (re-serialised byte for byte), or STATEMENT_INVALID.
 */
export function parseStatementDocument(bytes: Uint8Array): Statement {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new MotorInsuranceError("STATEMENT_INVALID", "the statement is not UTF-8 JSON");
  }
  assertPart(STATEMENT, value, "the statement");
  if (statementDocument(value) !== text)
    throw new MotorInsuranceError("STATEMENT_INVALID", "the statement is not in canonical JSON (RFC 8785)");
  return value;
}
