// The Board's request and answer schemas (TypeBox): what the portal asks for the person logged in.
import { Type } from "typebox";

export const PERSON_PARAMS = Type.Object(
  { code: Type.String({ pattern: "^(EE)?[1-8][0-9]{10}$", description: "personal code, or EE + personal code" }) },
  { additionalProperties: false },
);
export const OFFER_PARAMS = Type.Object({ id: Type.String({ format: "uuid" }) }, { additionalProperties: false });

const BENEFIT_LINE = Type.Object({
  benefit: Type.Union([
    Type.Literal("childbirth-allowance"),
    Type.Literal("child-allowance"),
    Type.Literal("large-family-allowance"),
  ]),
  child: Type.Optional(Type.String()),
  amountCents: Type.Integer(),
  why: Type.String(),
  rules: Type.Object({ effectiveFrom: Type.String(), source: Type.String() }),
});

export const OFFER = Type.Object({
  id: Type.String(),
  child: Type.String(),
  mother: Type.String(),
  status: Type.Union([Type.Literal("offered"), Type.Literal("confirmed")]),
  lines: Type.Array(BENEFIT_LINE),
  createdAt: Type.String(),
  confirmedAt: Type.Union([Type.String(), Type.Null()]),
  confirmedBy: Type.Union([Type.String(), Type.Null()]),
});
export const OFFERS = Type.Object({ personalCode: Type.String(), offers: Type.Array(OFFER) });

export const CONFIRMATION = Type.Object(
  {
    recipient: Type.String({ pattern: "^[1-8][0-9]{10}$", description: "the parent the benefits are paid to" }),
    iban: Type.String({ minLength: 15, maxLength: 42, description: "the recipient's account (IBAN, spaces allowed)" }),
  },
  { additionalProperties: false },
);

export const PAYMENTS = Type.Object({
  personalCode: Type.String(),
  payments: Type.Array(
    Type.Object({
      month: Type.String(),
      benefit: Type.String(),
      child: Type.Union([Type.String(), Type.Null()]),
      amountCents: Type.Integer(),
      why: Type.String(),
      rulesFrom: Type.String(),
      recipient: Type.String(),
      iban: Type.String(),
    }),
  ),
});
