import { ADDRESS_FIELDS } from "../model/address.ts";
import { COUNTIES } from "../seed/places.ts";

/** 11 digits, first the century-and-sex digit 1-8 (EVS 585); the check digit is verified in code. */
export const PERSONAL_CODE_PATTERN = "^[1-8][0-9]{10}$";

const error = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const dataSubjects = {
  "X-Riik-Data-Subjects": {
    description:
      "Every person this response concerns, as X-Road user ids (EE + personal code), comma-separated. The provider security server records a Data Tracker use for each and strips the header.",
    schema: { type: "string", pattern: "^EE[0-9]{11}(,EE[0-9]{11})*$" },
  },
};

const ok = (description: string, schema: string) => ({
  description,
  headers: dataSubjects,
  content: { "application/json": { schema: { $ref: `#/components/schemas/${schema}` } } },
});

const codeParameter = {
  name: "code",
  in: "path",
  required: true,
  description: "Estonian personal identification code (isikukood), 11 digits with a valid check digit",
  schema: { type: "string", pattern: PERSONAL_CODE_PATTERN, example: "38001085718" },
};

const addressProperties = Object.fromEntries(
  Object.entries(ADDRESS_FIELDS).map(([name, rule]) => [
    name,
    {
      type: rule.nullable ? ["string", "null"] : "string",
      minLength: 1,
      maxLength: rule.maxLength,
      ...(rule.pattern ? { pattern: rule.pattern.source } : {}),
      ...(name === "county" ? { enum: COUNTIES.map((c) => c.name) } : {}),
      ...(name === "since" ? { format: "date" } : {}),
      description: rule.description,
    },
  ]),
);
const requiredAddressFields = Object.entries(ADDRESS_FIELDS)
  .filter(([, rule]) => rule.required)
  .map(([name]) => name);

/**
 * The OpenAPI 3.1 description of the register's REST API, written by hand; the security
 * server imports it to list the service's endpoints (X-Road getOpenAPI).
 */
export function populationRegisterOpenApi(serverUrl?: string): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "riik population register",
      version: "1.0.0",
      description:
        "The population register (rahvastikuregister) of a riik state, run by the Ministry of the Interior: persons by personal code, family relations, addresses and changes of address. Other members read it only through X-Road.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths: {
      "/persons/{code}": {
        get: {
          operationId: "getPerson",
          summary: "A person by personal code",
          parameters: [codeParameter],
          responses: {
            "200": ok("The person", "Person"),
            "400": error("Malformed personal code (PERSONAL_CODE_INVALID)"),
            "404": error("No such person (PERSON_NOT_FOUND)"),
          },
        },
      },
      "/persons/{code}/family": {
        get: {
          operationId: "getFamily",
          summary: "The person's parents, children and spouse",
          parameters: [codeParameter],
          responses: {
            "200": ok("The family; X-Riik-Data-Subjects lists the person and every relative", "Family"),
            "400": error("Malformed personal code (PERSONAL_CODE_INVALID)"),
            "404": error("No such person (PERSON_NOT_FOUND)"),
          },
        },
      },
      "/persons/{code}/address": {
        get: {
          operationId: "getAddress",
          summary: "The person's current registered address",
          parameters: [codeParameter],
          responses: {
            "200": ok("The current address", "PersonAddress"),
            "400": error("Malformed personal code (PERSONAL_CODE_INVALID)"),
            "404": error("No such person (PERSON_NOT_FOUND) or no address (ADDRESS_NOT_FOUND)"),
          },
        },
        put: {
          operationId: "changeAddress",
          summary: "Register a change of address; the previous address stays in the history",
          parameters: [codeParameter],
          requestBody: {
            required: true,
            content: { "application/json": { schema: { $ref: "#/components/schemas/AddressInput" } } },
          },
          responses: {
            "200": ok("The new current address", "PersonAddress"),
            "400": error("Malformed personal code or address (PERSONAL_CODE_INVALID, ADDRESS_INVALID)"),
            "404": error("No such person (PERSON_NOT_FOUND)"),
            "409": error("The person is deceased (PERSON_DECEASED)"),
            "415": error("The body is not application/json"),
          },
        },
      },
      "/persons/{code}/address/history": {
        get: {
          operationId: "getAddressHistory",
          summary: "Every address the person has had, newest first",
          parameters: [codeParameter],
          responses: {
            "200": ok("The addresses", "AddressHistory"),
            "400": error("Malformed personal code (PERSONAL_CODE_INVALID)"),
            "404": error("No such person (PERSON_NOT_FOUND)"),
          },
        },
      },
    },
    components: {
      schemas: {
        PersonalCode: { type: "string", pattern: PERSONAL_CODE_PATTERN },
        Date: { type: "string", format: "date", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
        Person: {
          type: "object",
          additionalProperties: false,
          required: [
            "personalCode",
            "givenName",
            "surname",
            "sex",
            "birthDate",
            "dateOfDeath",
            "citizenship",
            "status",
          ],
          properties: {
            personalCode: { $ref: "#/components/schemas/PersonalCode" },
            givenName: { type: "string" },
            surname: { type: "string" },
            sex: { type: "string", enum: ["male", "female"] },
            birthDate: { $ref: "#/components/schemas/Date" },
            dateOfDeath: { oneOf: [{ $ref: "#/components/schemas/Date" }, { type: "null" }] },
            citizenship: { type: "string", description: "ISO 3166-1 alpha-3", const: "EST" },
            status: { type: "string", enum: ["alive", "deceased"] },
          },
        },
        PersonRef: {
          type: "object",
          additionalProperties: false,
          required: ["personalCode", "givenName", "surname", "birthDate"],
          properties: {
            personalCode: { $ref: "#/components/schemas/PersonalCode" },
            givenName: { type: "string" },
            surname: { type: "string" },
            birthDate: { $ref: "#/components/schemas/Date" },
          },
        },
        Family: {
          type: "object",
          additionalProperties: false,
          required: ["personalCode", "parents", "children", "spouse"],
          properties: {
            personalCode: { $ref: "#/components/schemas/PersonalCode" },
            parents: { type: "array", items: { $ref: "#/components/schemas/PersonRef" } },
            children: { type: "array", items: { $ref: "#/components/schemas/PersonRef" } },
            spouse: { oneOf: [{ $ref: "#/components/schemas/PersonRef" }, { type: "null" }] },
          },
        },
        Address: {
          type: "object",
          additionalProperties: false,
          required: [
            "county",
            "municipality",
            "settlement",
            "street",
            "house",
            "apartment",
            "postalCode",
            "ehakCode",
            "since",
          ],
          properties: {
            ...addressProperties,
            since: { $ref: "#/components/schemas/Date" },
          },
        },
        AddressInput: {
          type: "object",
          additionalProperties: false,
          required: requiredAddressFields,
          properties: addressProperties,
        },
        PersonAddress: {
          type: "object",
          additionalProperties: false,
          required: ["personalCode", "address"],
          properties: {
            personalCode: { $ref: "#/components/schemas/PersonalCode" },
            address: { $ref: "#/components/schemas/Address" },
          },
        },
        AddressHistory: {
          type: "object",
          additionalProperties: false,
          required: ["personalCode", "addresses"],
          properties: {
            personalCode: { $ref: "#/components/schemas/PersonalCode" },
            addresses: { type: "array", items: { $ref: "#/components/schemas/Address" } },
          },
        },
        Error: {
          type: "object",
          required: ["code", "message"],
          properties: {
            code: { type: "string", examples: ["PERSON_NOT_FOUND", "PERSONAL_CODE_INVALID", "ADDRESS_INVALID"] },
            message: { type: "string" },
            details: { type: "object" },
          },
        },
      },
    },
  };
}
