import { ADDRESS_INPUT, PERSON_PARAMS, PERSONAL_CODE_PATTERN } from "./schemas.ts";

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
  schema: PERSON_PARAMS.properties.code,
};

/** Every failure of a request's shape, before the register looks at it. */
const REQUEST_INVALID = "the request does not match its schema (REQUEST_INVALID, every mismatch in details.errors)";

/**
 * The OpenAPI 3.1 description of the register's REST API; the security server imports it to
 * list the service's endpoints (X-Road getOpenAPI). Parameters and the request body are the
 * very schemas the server validates with (schemas.ts); the answers are described here.
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
            "400": error(
              `Malformed personal code: ${REQUEST_INVALID}, or a wrong date or check digit (PERSONAL_CODE_INVALID)`,
            ),
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
            "400": error(
              `Malformed personal code: ${REQUEST_INVALID}, or a wrong date or check digit (PERSONAL_CODE_INVALID)`,
            ),
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
            "400": error(
              `Malformed personal code: ${REQUEST_INVALID}, or a wrong date or check digit (PERSONAL_CODE_INVALID)`,
            ),
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
            "400": error(
              `Malformed personal code or address: ${REQUEST_INVALID}; a wrong date or check digit (PERSONAL_CODE_INVALID); a municipality not of the county or a future date (ADDRESS_INVALID)`,
            ),
            "404": error("No such person (PERSON_NOT_FOUND)"),
            "409": error("The person is deceased (PERSON_DECEASED)"),
            "413": error("The body is larger than 16 KiB (BODY_TOO_LARGE)"),
            "415": error("The body is not application/json (CONTENT_TYPE_UNSUPPORTED)"),
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
            "400": error(
              `Malformed personal code: ${REQUEST_INVALID}, or a wrong date or check digit (PERSONAL_CODE_INVALID)`,
            ),
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
            ...ADDRESS_INPUT.properties,
            since: { $ref: "#/components/schemas/Date" },
          },
        },
        AddressInput: ADDRESS_INPUT,
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
            code: {
              type: "string",
              examples: ["PERSON_NOT_FOUND", "PERSONAL_CODE_INVALID", "ADDRESS_INVALID", "REQUEST_INVALID"],
            },
            message: { type: "string" },
            details: { type: "object" },
          },
        },
      },
    },
  };
}
