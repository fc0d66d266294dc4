// The bureau's request and answer schemas (TypeBox); the statement's parts are model/statement.ts's.
import { Type } from "typebox";
import { COMMON_PART, DRIVER_PART } from "../model/statement.ts";

const INSTANT = Type.String({ format: "date-time" });

export const NEW_INSURER = Type.Object(
  { registryCode: Type.String({ pattern: "^[0-9]{8}$" }), name: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const INSURER = Type.Object({ registryCode: Type.String(), name: Type.String() });
export const INSURERS = Type.Object({ insurers: Type.Array(INSURER) });

export const NEW_POLICY = Type.Object(
  {
    number: Type.String({ minLength: 1, maxLength: 40, pattern: "^[A-Za-z0-9-]+$" }),
    vin: Type.String({ minLength: 17, maxLength: 17 }),
    plate: Type.String({ minLength: 2, maxLength: 12 }),
    holder: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 200 }),
        personalCode: Type.Optional(Type.String({ pattern: "^[1-8][0-9]{10}$" })),
      },
      { additionalProperties: false },
    ),
    validFrom: INSTANT,
    validUntil: INSTANT,
  },
  { additionalProperties: false },
);
export const POLICY = Type.Object({
  number: Type.String(),
  insurer: Type.String(),
  vin: Type.String(),
  plate: Type.String(),
  holder: Type.Object({ name: Type.String(), personalCode: Type.Union([Type.String(), Type.Null()]) }),
  validFrom: Type.String(),
  validUntil: Type.String(),
});

/** A vehicle by plate or VIN (exactly one), at a moment (default now). */
export const INSURANCE_QUERY = Type.Object(
  {
    plate: Type.Optional(Type.String({ minLength: 2, maxLength: 12 })),
    vin: Type.Optional(Type.String({ minLength: 17, maxLength: 17 })),
    at: Type.Optional(INSTANT),
  },
  { additionalProperties: false, anyOf: [{ required: ["plate"] }, { required: ["vin"] }] },
);
export const INSURANCE = Type.Object({
  at: Type.String(),
  vin: Type.String(),
  plate: Type.String(),
  insurer: INSURER,
  policy: POLICY,
});
export const VALIDITY = Type.Object({ at: Type.String(), insured: Type.Boolean() });

export const CASE_PARAMS = Type.Object({ id: Type.String({ format: "uuid" }) }, { additionalProperties: false });
export const NEW_CASE = Type.Object({ common: COMMON_PART, vehicle: DRIVER_PART }, { additionalProperties: false });
export const JOIN = Type.Object(
  { joinCode: Type.String({ pattern: "^[A-Za-z2-7]{8}$" }), vehicle: DRIVER_PART },
  { additionalProperties: false },
);
export const AMENDMENT = Type.Object(
  { common: Type.Optional(COMMON_PART), vehicle: Type.Optional(DRIVER_PART) },
  { additionalProperties: false, minProperties: 1 },
);
export const SIGNATURE = Type.Object(
  {
    container: Type.String({
      minLength: 1,
      maxLength: 2_000_000,
      pattern: "^[A-Za-z0-9+/]+={0,2}$",
      description:
        "ASiC-E (base64) whose one file statement.json is the case's statement, signed by one or both drivers",
    }),
  },
  { additionalProperties: false },
);
export const LIABILITY = Type.Object(
  { liable: Type.Union([Type.Literal("A"), Type.Literal("B"), Type.Literal("shared")]) },
  { additionalProperties: false },
);
export const CLAIM = Type.Object(
  { paid: Type.Boolean(), amountCents: Type.Integer({ minimum: 0, maximum: 100_000_000_00 }) },
  { additionalProperties: false },
);

export const CASE = Type.Object({
  id: Type.String(),
  status: Type.String(),
  joinCode: Type.Optional(Type.String()),
  drivers: Type.Object({ A: Type.String(), B: Type.Union([Type.String(), Type.Null()]) }),
  insurers: Type.Object({ A: Type.String(), B: Type.Union([Type.String(), Type.Null()]) }),
  injuries: Type.Boolean(),
  statement: Type.Union([Type.String(), Type.Null()], { description: "the exact bytes both sign (statement.json)" }),
  signedBy: Type.Array(Type.String()),
  acceptedBy: Type.Array(Type.String()),
  liability: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  closedAt: Type.Union([Type.String(), Type.Null()]),
  timeline: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      step: Type.String(),
      record: Type.String({ description: "canonical JSON anchored in the integrity ledger" }),
      ledgerSignature: Type.String({ description: "riik-ledger-signature/v1 over SHA-256(record)" }),
    }),
  ),
});
