// The land register's request and answer schemas (TypeBox).
import { Type } from "typebox";
import { PURPOSES } from "../model/register-part.ts";

const NUMBER = Type.String({ pattern: "^[1-9][0-9]{0,9}$", description: "register part number" });
const SHARE = Type.String({ pattern: "^[1-9][0-9]{0,11}/[1-9][0-9]{0,11}$", description: "a fraction n/d" });
const ANY_STRING = Type.String();

export const PART_PARAMS = Type.Object({ number: NUMBER }, { additionalProperties: false });
export const PERSON_PARAMS = Type.Object(
  { code: Type.String({ pattern: "^(EE)?[1-8][0-9]{10}$", description: "personal code, or EE + personal code" }) },
  { additionalProperties: false },
);
export const APPLICATION_PARAMS = Type.Object(
  { id: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" }) },
  { additionalProperties: false },
);
export const JOURNAL_PARAMS = Type.Object(
  { journal: Type.Integer({ minimum: 1, description: "journal number (rank by arrival)" }) },
  { additionalProperties: false },
);

const UNIT = Type.Object(
  {
    cadastralCode: Type.String({ pattern: "^\\d{5}:\\d{3}:\\d{4}$", description: "78401:101:0010" }),
    purpose: Type.Enum(PURPOSES),
    areaM2: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
const COMPOSITION = Type.Object(
  {
    units: Type.Array(UNIT, { minItems: 1, maxItems: 100 }),
    apartment: Type.Optional(
      Type.Object(
        { share: SHARE, description: Type.String({ minLength: 1, maxLength: 300 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const OWNER = Type.Object(
  {
    kind: Type.Union([Type.Literal("person"), Type.Literal("company")]),
    code: Type.String({ pattern: "^[0-9]{8}([0-9]{3})?$", description: "personal code, or a company's registry code" }),
    share: SHARE,
  },
  { additionalProperties: false },
);
const ENCUMBRANCE = Type.Object(
  {
    kind: Type.Union([
      Type.Literal("servitude"),
      Type.Literal("usufruct"),
      Type.Literal("pre-emption"),
      Type.Literal("notation"),
    ]),
    text: Type.String({ minLength: 1, maxLength: 2000 }),
    inFavourOf: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
const MORTGAGE = Type.Object({
  rank: Type.Integer(),
  amountCents: Type.Integer(),
  currency: Type.Literal("EUR"),
  mortgagee: ANY_STRING,
  journal: Type.Integer(),
});

export const NEW_REGISTER_PART = Type.Object(
  {
    number: NUMBER,
    kind: Type.Union([Type.Literal("property"), Type.Literal("apartment")]),
    composition: COMPOSITION,
    owners: Type.Array(OWNER, { minItems: 1, maxItems: 100 }),
    encumbrances: Type.Optional(Type.Array(ENCUMBRANCE, { maxItems: 100 })),
  },
  { additionalProperties: false },
);

const CONTENT = {
  number: ANY_STRING,
  kind: Type.Union([Type.Literal("property"), Type.Literal("apartment")]),
  composition: COMPOSITION,
  owners: Type.Array(OWNER),
  encumbrances: Type.Array(ENCUMBRANCE),
  mortgages: Type.Array(MORTGAGE),
};
const ENTRY = Type.Object({
  seq: Type.Integer(),
  decision: Type.Union([Type.Literal("opened"), Type.Literal("entered"), Type.Literal("refused")]),
  journal: Type.Union([Type.Integer(), Type.Null()]),
  record: Type.String({ description: "the anchored record (canonical JSON): its SHA-256 is what the ledger signed" }),
  ledgerSignature: Type.String({ description: "keyless signature (riik-ledger-signature/v1): riik ledger verify" }),
});
export const REGISTER_PART = Type.Object({ ...CONTENT, openedAt: ANY_STRING, entries: Type.Array(ENTRY) });
export const PERSON_PARTS = Type.Object({ personalCode: ANY_STRING, registerParts: Type.Array(Type.Object(CONTENT)) });

const APPLICATION_FIELDS = {
  applicationId: ANY_STRING,
  journal: Type.Integer(),
  registerPart: ANY_STRING,
  kind: Type.Union([Type.Literal("transfer"), Type.Literal("mortgage")]),
  status: Type.Union([Type.Literal("pending"), Type.Literal("entered"), Type.Literal("refused")]),
  filedBy: ANY_STRING,
  filedAt: ANY_STRING,
  decidedAt: Type.Union([ANY_STRING, Type.Null()]),
  refusal: Type.Union([ANY_STRING, Type.Null()]),
  entry: Type.Union([Type.Integer(), Type.Null()]),
  deed: Type.String({ description: "deed.json exactly as signed" }),
};
export const APPLICATION = Type.Object(APPLICATION_FIELDS);
export const FILE = Type.Object({
  registerPart: ANY_STRING,
  applications: Type.Array(
    Type.Object({ ...APPLICATION_FIELDS, container: Type.String({ description: "ASiC-E (base64)" }) }),
  ),
});

export const NEW_APPLICATION = Type.Object(
  {
    container: Type.String({
      minLength: 1,
      maxLength: 4_000_000,
      pattern: "^[A-Za-z0-9+/]+={0,2}$",
      description: "the ASiC-E container (base64) with deed.json, signed by the parties and the notary",
    }),
  },
  { additionalProperties: false },
);
export const DECISION = Type.Union([
  Type.Object({ decision: Type.Literal("enter") }, { additionalProperties: false }),
  Type.Object(
    { decision: Type.Literal("refuse"), reason: Type.String({ minLength: 1, maxLength: 2000 }) },
    { additionalProperties: false },
  ),
]);
