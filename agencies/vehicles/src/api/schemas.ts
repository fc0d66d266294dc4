// The vehicle register's request and answer schemas (TypeBox).
import { Type } from "typebox";

const CODE = Type.String({ pattern: "^[1-8][0-9]{10}$", description: "personal code" });
const DAY = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" });

export const PERSON_PARAMS = Type.Object(
  { code: Type.String({ pattern: "^(EE)?[1-8][0-9]{10}$", description: "personal code, or EE + personal code" }) },
  { additionalProperties: false },
);
export const VEHICLE_PARAMS = Type.Object(
  { key: Type.String({ minLength: 2, maxLength: 21, description: "VIN (17 characters) or registration plate" }) },
  { additionalProperties: false },
);
export const DRIVING_RIGHT_QUERY = Type.Object(
  { category: Type.String({ minLength: 1, maxLength: 3 }), on: Type.Optional(DAY) },
  { additionalProperties: false },
);

export const VEHICLE = Type.Object({
  vin: Type.String(),
  plate: Type.String(),
  make: Type.String(),
  model: Type.String(),
  category: Type.String(),
  owner: Type.String(),
  user: Type.String(),
  firstRegistered: Type.String(),
});
export const NEW_VEHICLE = Type.Object(
  {
    vin: Type.String({ minLength: 17, maxLength: 21 }),
    plate: Type.String({ minLength: 2, maxLength: 12 }),
    make: Type.String({ minLength: 1, maxLength: 60 }),
    model: Type.String({ minLength: 1, maxLength: 60 }),
    category: Type.String({ minLength: 2, maxLength: 3, description: "EU vehicle category: M1, N1, L3e, …" }),
    owner: CODE,
    user: Type.Optional(CODE),
  },
  { additionalProperties: false },
);
export const VEHICLES = Type.Object({ personalCode: Type.String(), vehicles: Type.Array(VEHICLE) });

const LICENCE_CATEGORY = Type.Object(
  { category: Type.String({ minLength: 1, maxLength: 3 }), since: DAY, validUntil: DAY },
  { additionalProperties: false },
);
export const LICENCE = Type.Object({
  personalCode: Type.String(),
  number: Type.String(),
  suspendedUntil: Type.Union([Type.String(), Type.Null()]),
  categories: Type.Array(LICENCE_CATEGORY),
});
export const LICENCE_BODY = Type.Object(
  {
    number: Type.String({ pattern: "^[A-Z]{2}[0-9]{6}$" }),
    categories: Type.Array(LICENCE_CATEGORY, { minItems: 1, maxItems: 16 }),
  },
  { additionalProperties: false },
);
export const DRIVING_RIGHT = Type.Object({
  personalCode: Type.String(),
  category: Type.String(),
  on: Type.String(),
  allowed: Type.Boolean(),
  by: Type.Optional(Type.String()),
  validUntil: Type.Optional(Type.String()),
  reason: Type.Union([
    Type.Literal("valid"),
    Type.Literal("no-licence"),
    Type.Literal("category-not-held"),
    Type.Literal("expired"),
    Type.Literal("suspended"),
  ]),
});

export const NEW_TRANSFER = Type.Object(
  {
    vehicle: Type.String({ minLength: 2, maxLength: 21, description: "VIN or registration plate" }),
    seller: CODE,
    buyer: CODE,
  },
  { additionalProperties: false },
);
export const TRANSFER_PARAMS = Type.Object({ id: Type.String({ format: "uuid" }) }, { additionalProperties: false });
export const TRANSFER_SIGNATURE = Type.Object(
  {
    container: Type.String({
      minLength: 1,
      maxLength: 2_000_000,
      pattern: "^[A-Za-z0-9+/]+={0,2}$",
      description: "the ASiC-E container (base64) over the transfer's document, signed by one or both parties",
    }),
  },
  { additionalProperties: false },
);
export const TRANSFER = Type.Object({
  id: Type.String(),
  vin: Type.String(),
  seller: Type.String(),
  buyer: Type.String(),
  document: Type.String({ description: "the exact bytes (UTF-8) to sign, as the container's file transfer.json" }),
  status: Type.Union([Type.Literal("awaiting-signatures"), Type.Literal("completed")]),
  signedBy: Type.Array(Type.String()),
  createdAt: Type.String(),
  completedAt: Type.Union([Type.String(), Type.Null()]),
});
