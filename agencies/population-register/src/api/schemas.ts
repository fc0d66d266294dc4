import { Type } from "typebox";
import { ADDRESS_FIELDS, type AddressInput, PLACE_TEXT } from "../model/address.ts";
import { COUNTIES } from "../seed/places.ts";

// Request and answer schemas of the register's API. The server validates every request against
// them (a mismatch is 400 REQUEST_INVALID before a handler runs), serialises answers by them,
// and the kit generates the OpenAPI document from them, so the three cannot drift apart. Meaning is checked
// in code: a personal code's check digit and date (PERSONAL_CODE_INVALID), a municipality
// of the county and a date not in the future (ADDRESS_INVALID).

/** 11 digits, first the century-and-sex digit 1-8 (EVS 585). */
export const PERSONAL_CODE_PATTERN = "^[1-8][0-9]{10}$";

export const PERSON_PARAMS = Type.Object(
  {
    code: Type.String({
      pattern: PERSONAL_CODE_PATTERN,
      description: "Estonian personal identification code (isikukood), 11 digits with a valid check digit",
      examples: ["38001085718"],
    }),
  },
  { additionalProperties: false },
);

const addressField = (name: keyof AddressInput) => {
  const rule = ADDRESS_FIELDS[name];
  const text = Type.String({
    minLength: 1,
    maxLength: rule.maxLength,
    pattern: (rule.pattern ?? PLACE_TEXT).source,
    ...(name === "county" ? { enum: COUNTIES.map((c) => c.name) } : {}),
    ...(name === "since" ? { format: "date" } : {}),
    description: rule.description,
  });
  return rule.nullable ? Type.Union([text, Type.Null()], { description: rule.description }) : text;
};

/** PUT /persons/{code}/address. */
export const ADDRESS_INPUT = Type.Object(
  {
    county: addressField("county"),
    municipality: addressField("municipality"),
    settlement: addressField("settlement"),
    street: addressField("street"),
    house: addressField("house"),
    apartment: Type.Optional(addressField("apartment")),
    postalCode: addressField("postalCode"),
    ehakCode: Type.Optional(addressField("ehakCode")),
    since: Type.Optional(addressField("since")),
  },
  { additionalProperties: false },
);

const DATE_TEXT = { format: "date", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" } as const;
const DATE = Type.String(DATE_TEXT);
const PERSONAL_CODE = Type.String({ pattern: PERSONAL_CODE_PATTERN });

export const PERSON = Type.Object(
  {
    personalCode: PERSONAL_CODE,
    givenName: Type.String(),
    surname: Type.String(),
    sex: Type.Union([Type.Literal("male"), Type.Literal("female")]),
    birthDate: DATE,
    dateOfDeath: Type.Union([DATE, Type.Null()]),
    deceased: Type.Boolean({ description: "Whether a death is recorded (then dateOfDeath is its date)" }),
    citizenship: Type.Literal("EST", { description: "ISO 3166-1 alpha-3" }),
    status: Type.Union([Type.Literal("alive"), Type.Literal("deceased")]),
  },
  { additionalProperties: false },
);

const PERSON_REF = Type.Object(
  { personalCode: PERSONAL_CODE, givenName: Type.String(), surname: Type.String(), birthDate: DATE },
  { additionalProperties: false },
);

export const FAMILY = Type.Object(
  {
    personalCode: PERSONAL_CODE,
    parents: Type.Array(PERSON_REF),
    children: Type.Array(PERSON_REF),
    spouse: Type.Union([PERSON_REF, Type.Null()]),
  },
  { additionalProperties: false },
);

/** An address as the register answers it: every field present, `since` always set. */
const ADDRESS = Type.Object(
  { ...Type.Required(ADDRESS_INPUT).properties, since: DATE },
  { additionalProperties: false },
);

export const PERSON_ADDRESS = Type.Object(
  { personalCode: PERSONAL_CODE, address: ADDRESS },
  { additionalProperties: false },
);

export const ADDRESS_HISTORY = Type.Object(
  { personalCode: PERSONAL_CODE, addresses: Type.Array(ADDRESS, { description: "Newest first" }) },
  { additionalProperties: false },
);

const SEX = Type.Union([Type.Literal("male"), Type.Literal("female")]);

/** POST /personal-codes (contract C). */
export const PERSONAL_CODE_REQUEST = Type.Object(
  {
    dateOfBirth: Type.String({ ...DATE_TEXT, description: "Birth date YYYY-MM-DD, from 1800-01-01 to today" }),
    sex: SEX,
  },
  { additionalProperties: false },
);

export const PERSONAL_CODE_ANSWER = Type.Object(
  { personalCode: Type.String({ pattern: PERSONAL_CODE_PATTERN, description: "Reserved for good; no birth gets it" }) },
  { additionalProperties: false },
);

// Vital events (issue 13), as the registrar's information system registers them.

const EVENT_ID = Type.String({
  pattern: "^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$",
  description:
    "The registrar's own id of the registration; the same id again is answered 409 EVENT_DUPLICATE with the first result",
  examples: ["birth-2026-000123"],
});

/** Given names and surnames: letters of any script, with spaces, hyphens and apostrophes between. */
export const NAME_PATTERN = "^\\p{L}[\\p{L}\\p{M}' -]*$";
const NAME = Type.String({ minLength: 1, maxLength: 100, pattern: NAME_PATTERN });
const CODE = (description: string) =>
  Type.String({ pattern: PERSONAL_CODE_PATTERN, description: `${description}: personal code` });

export const BIRTH = Type.Object(
  {
    eventId: EVENT_ID,
    mother: CODE("The mother"),
    father: Type.Optional(CODE("The father, when known")),
    child: Type.Object(
      {
        givenName: NAME,
        surname: NAME,
        sex: SEX,
        dateOfBirth: Type.String(DATE_TEXT),
        placeOfBirth: Type.String({
          minLength: 1,
          maxLength: 100,
          pattern: PLACE_TEXT.source,
          description: 'Where the child was born: "Tallinn, Harju maakond"',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const DEATH = Type.Object(
  { eventId: EVENT_ID, personalCode: CODE("The deceased"), dateOfDeath: Type.String(DATE_TEXT) },
  { additionalProperties: false },
);

/** A marriage or a divorce. */
export const MARRIAGE = Type.Object(
  {
    eventId: EVENT_ID,
    spouses: Type.Tuple([CODE("One spouse"), CODE("The other")]),
    date: Type.String(DATE_TEXT),
  },
  { additionalProperties: false },
);

export const ADDRESS_CHANGE = Type.Object(
  { eventId: EVENT_ID, personalCode: CODE("Who moves"), address: ADDRESS_INPUT },
  { additionalProperties: false },
);

export const NAME_CHANGE = Type.Object(
  {
    eventId: EVENT_ID,
    personalCode: CODE("Whose name changes"),
    givenName: Type.Optional(NAME),
    surname: Type.Optional(NAME),
    date: Type.String({ ...DATE_TEXT, description: "The day the new name takes effect" }),
  },
  { additionalProperties: false },
);

export const EVENT_RESULT = Type.Object(
  {
    eventId: Type.String(),
    type: Type.Union([
      Type.Literal("birth"),
      Type.Literal("death"),
      Type.Literal("marriage"),
      Type.Literal("divorce"),
      Type.Literal("address-change"),
      Type.Literal("name-change"),
    ]),
    recordedAt: Type.String({ format: "date-time" }),
    personalCode: Type.Optional(
      Type.String({
        pattern: PERSONAL_CODE_PATTERN,
        description: "Whom the event is about; for a birth the child's new personal code",
      }),
    ),
    subjects: Type.Array(Type.String({ pattern: PERSONAL_CODE_PATTERN }), {
      description: "Every person whose record changed",
    }),
  },
  { additionalProperties: false },
);
