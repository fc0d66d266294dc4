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

const DATE = Type.String({ format: "date", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" });
const PERSONAL_CODE = Type.String({ pattern: PERSONAL_CODE_PATTERN });

export const PERSON = Type.Object(
  {
    personalCode: PERSONAL_CODE,
    givenName: Type.String(),
    surname: Type.String(),
    sex: Type.Union([Type.Literal("male"), Type.Literal("female")]),
    birthDate: DATE,
    dateOfDeath: Type.Union([DATE, Type.Null()]),
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
