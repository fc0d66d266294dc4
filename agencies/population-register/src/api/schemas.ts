import { Type } from "typebox";
import { ADDRESS_FIELDS, type AddressInput, PLACE_TEXT } from "../model/address.ts";
import { COUNTIES } from "../seed/places.ts";

// Request schemas of the register's API. The server validates every request against them
// (a mismatch is 400 REQUEST_INVALID before a handler runs) and the OpenAPI document
// (openapi.ts) embeds the same objects, so the two cannot drift apart. Meaning is checked
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

/** Routes that take no query parameters refuse any rather than ignore them. */
export const NO_QUERY = Type.Object({}, { additionalProperties: false });

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
