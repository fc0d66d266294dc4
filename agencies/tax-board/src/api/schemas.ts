// The Board's request and answer schemas (TypeBox): declarations from payers' systems, and the
// return for the person the portal acts for.
import { Type } from "typebox";

const PERSONAL_CODE = Type.String({ pattern: "^[1-8][0-9]{10}$", description: "Estonian personal code" });
const REGISTRY_CODE = Type.String({
  pattern: "^[0-9]{8}$",
  description: "the payer's registry code (check digit checked)",
});
const CENTS = Type.Integer({ minimum: 0, maximum: 100_000_000_000, description: "euro cents, 0 or more" });
const DECLARATION_ID = Type.String({
  pattern: "^[A-Za-z0-9._:-]{1,100}$",
  description: "the payer's own id: the same id sent again is received once",
});

export const PAYROLL_DECLARATION = Type.Object(
  {
    declarationId: DECLARATION_ID,
    payer: REGISTRY_CODE,
    month: Type.String({ pattern: "^[0-9]{4}-(0[1-9]|1[0-2])$", description: "the month paid, YYYY-MM" }),
    employees: Type.Array(
      Type.Object(
        {
          personalCode: PERSONAL_CODE,
          grossCents: CENTS,
          incomeTaxWithheldCents: CENTS,
          socialTaxCents: CENTS,
          unemploymentInsuranceEmployeeCents: CENTS,
          unemploymentInsuranceEmployerCents: CENTS,
          fundedPensionCents: CENTS,
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  { additionalProperties: false },
);

export const YEAR_DECLARATION = Type.Object(
  {
    declarationId: DECLARATION_ID,
    payer: REGISTRY_CODE,
    year: Type.Integer({ minimum: 2000, maximum: 2100 }),
    persons: Type.Array(
      Type.Object({ personalCode: PERSONAL_CODE, amountCents: CENTS }, { additionalProperties: false }),
      {
        minItems: 1,
        maxItems: 10_000,
      },
    ),
  },
  { additionalProperties: false },
);

export const RECEIPT = Type.Object({
  declarationId: Type.String(),
  payer: Type.String(),
  kind: Type.String(),
  period: Type.String(),
  lines: Type.Integer(),
  receivedAt: Type.String(),
  replayed: Type.Boolean(),
  replaced: Type.Array(Type.String()),
  unconfirmedPersons: Type.Integer({
    description: "lines held unmatched until the population register confirms the person",
  }),
  unknownPersons: Type.Array(Type.String(), {
    description: "persons the register does not know: their lines count for no return",
  }),
});

export const DECLARATION_PARAMS = Type.Object(
  { payer: REGISTRY_CODE, id: DECLARATION_ID },
  { additionalProperties: false },
);

export const RETURN_PARAMS = Type.Object(
  {
    year: Type.String({ pattern: "^[0-9]{4}$" }),
    code: Type.String({ pattern: "^(EE)?[1-8][0-9]{10}$", description: "personal code, or EE + personal code" }),
  },
  { additionalProperties: false },
);
export const LINE_PARAMS = Type.Object(
  { ...RETURN_PARAMS.properties, line: Type.String({ pattern: "^[a-z-]+(:[0-9]{8})?$" }) },
  { additionalProperties: false },
);

export const CORRECTION = Type.Object({ amountCents: CENTS }, { additionalProperties: false });
export const CONFIRMATION = Type.Object(
  {
    iban: Type.String({
      minLength: 15,
      maxLength: 42,
      description: "the account a refund is paid to (IBAN, spaces allowed)",
    }),
  },
  { additionalProperties: false },
);

const SOURCE = Type.Object(
  {
    kind: Type.String(),
    payer: Type.Optional(Type.String()),
    declarations: Type.Optional(Type.Array(Type.String())),
    children: Type.Optional(Type.Array(Type.String())),
    declared: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    year: Type.Optional(Type.Integer()),
  },
  {
    description: "where the line comes from: a declaration and its sender, the population register, you, or the rules",
  },
);

export const RETURN = Type.Object({
  status: Type.Union([Type.Literal("open"), Type.Literal("confirmed")]),
  taxReturn: Type.Object({
    year: Type.Integer(),
    personalCode: Type.String(),
    lines: Type.Array(
      Type.Object({
        key: Type.String(),
        kind: Type.String(),
        amountCents: Type.Integer(),
        source: SOURCE,
        why: Type.String(),
      }),
    ),
    incomeCents: Type.Integer(),
    deductionsCents: Type.Integer(),
    taxableCents: Type.Integer(),
    taxCents: Type.Integer(),
    withheldCents: Type.Integer(),
    balanceCents: Type.Integer({ description: "withheld less tax: positive is refunded, negative is due" }),
    rules: Type.Object({ year: Type.Integer(), source: Type.String() }),
  }),
  refund: Type.Union([
    Type.Object({ amountCents: Type.Integer(), iban: Type.String(), status: Type.String() }),
    Type.Null(),
  ]),
  dueCents: Type.Integer(),
  confirmedAt: Type.Union([Type.String(), Type.Null()]),
});
