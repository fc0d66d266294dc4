import { xroadUserId } from "@riik/core";
import {
  createMemberService,
  createPublisher,
  DATA_SUBJECTS_HEADER,
  declareDataSubjects,
  describedOpenApi,
  errorAnswers,
  listenOrRelease,
  type MemberService,
  NO_QUERY,
  PUBSUB_ERRORS,
  type Publisher,
  personalAnswer,
  XRoadRestClient,
} from "@riik/kit";
import { POPULATION_REGISTER_ERRORS, PopulationRegisterError } from "../errors.ts";
import { checkedPersonalCode } from "../model/personal-codes.ts";
import {
  openPopulationRegister,
  type PopulationRegister,
  type PopulationRegisterLocation,
} from "../storage/register.ts";
import type { AddressRecord, PersonRecord } from "../storage/schema.ts";
import {
  ADDRESS_HISTORY,
  ADDRESS_INPUT,
  FAMILY,
  PERSON,
  PERSON_ADDRESS,
  PERSON_PARAMS,
  PERSONAL_CODE_ANSWER,
  PERSONAL_CODE_REQUEST,
} from "./schemas.ts";
import { vitalEventRoutes } from "./vital-event-routes.ts";
import { xroadClientOf } from "./xroad-client.ts";

/** The header the provider security server reads (and strips) to record Data Tracker uses (the kit's). */
export { DATA_SUBJECTS_HEADER };

/** The path parameter, of the schema's shape, with a right date and check digit (else PERSONAL_CODE_INVALID). */
const personalCodeParameter = (text: string) => checkedPersonalCode(text, "code");

const notFound = (code: string) =>
  new PopulationRegisterError("PERSON_NOT_FOUND", `no person with code ${code} in the population register`);

export const personView = (p: PersonRecord) => ({
  personalCode: p.personalCode,
  givenName: p.givenName,
  surname: p.surname,
  sex: p.sex,
  birthDate: p.birthDate,
  dateOfDeath: p.dateOfDeath,
  deceased: p.dateOfDeath !== null,
  citizenship: p.citizenship,
  status: p.dateOfDeath === null ? ("alive" as const) : ("deceased" as const),
});

const personRef = (p: PersonRecord) => ({
  personalCode: p.personalCode,
  givenName: p.givenName,
  surname: p.surname,
  birthDate: p.birthDate,
});

export const addressView = (a: AddressRecord) => ({
  county: a.county,
  municipality: a.municipality,
  settlement: a.settlement,
  street: a.street,
  house: a.house,
  apartment: a.apartment,
  postalCode: a.postalCode,
  ehakCode: a.ehakCode,
  since: a.since,
});

/** Every failure of a request's shape, before the register looks at it. */
const REQUEST_INVALID = "the request does not match its schema (REQUEST_INVALID, every mismatch in details.errors)";
const CODE_REFUSED = `Malformed personal code: ${REQUEST_INVALID}, or a wrong date or check digit (PERSONAL_CODE_INVALID)`;

/**
 * The register's REST API on the kit's member service (OpenAPI 3.1 generated at /openapi.json,
 * /healthz, /metrics, typed errors). Every answer with personal data names its subjects.
 */
/** The vital events the register publishes (the outbox of vital-events.ts), each with what it means. */
export const VITAL_EVENT_TYPES: Readonly<Record<string, string>> = {
  "person.born": "a birth registered: the child's personal code, mother, father, names, date and place of birth",
  "person.died": "a death registered: the person's personal code and date of death",
  "marriage.registered": "a marriage registered between two persons",
  "marriage.dissolved": "a marriage dissolved by divorce",
  "address.changed": "a person's residence address changed",
  "name.changed": "a person's given name or surname changed",
};

/** The register's API; with a publisher, also its events (`/pubsub`) and their operator routes. */
export function createPopulationRegisterService(register: PopulationRegister, publisher?: Publisher): MemberService {
  const existing = async (text: string): Promise<PersonRecord> => {
    const code = personalCodeParameter(text);
    const person = await register.person(code);
    if (!person) throw notFound(code);
    return person;
  };
  const reading = (operationId: string, summary: string, answer: object, notFoundText: string) => ({
    schema: {
      operationId,
      summary,
      params: PERSON_PARAMS,
      querystring: NO_QUERY,
      response: { 200: answer, ...errorAnswers({ 400: CODE_REFUSED, 404: notFoundText }) },
    },
  });

  return createMemberService({
    name: "population-register",
    title: "riik population register",
    version: "1.0.0",
    description:
      "The population register (rahvastikuregister) of a riik state, run by the Ministry of the Interior: persons by personal code, family relations, addresses and changes of address. Other members read it only through X-Road.",
    errors: { ...POPULATION_REGISTER_ERRORS, ...PUBSUB_ERRORS },
    bodyLimit: 16 * 1024,
    routes(app) {
      publisher?.mount(app);
      app.get(
        "/persons/:code",
        reading(
          "getPerson",
          "A person by personal code",
          personalAnswer(PERSON, "The person"),
          "No such person (PERSON_NOT_FOUND)",
        ),
        async (request, reply) => {
          const person = await existing(request.params.code);
          declareDataSubjects(reply, [person.personalCode]);
          return personView(person);
        },
      );

      app.get(
        "/persons/:code/family",
        reading(
          "getFamily",
          "The person's parents, children and spouse",
          personalAnswer(FAMILY, "The family; X-Riik-Data-Subjects lists the person and every relative"),
          "No such person (PERSON_NOT_FOUND)",
        ),
        async (request, reply) => {
          const person = await existing(request.params.code);
          const family = await register.family(person.personalCode);
          const relatives = [...family.parents, ...family.children, ...(family.spouse ? [family.spouse] : [])];
          declareDataSubjects(reply, [person.personalCode, ...relatives.map((r) => r.personalCode)]);
          return {
            personalCode: person.personalCode,
            parents: family.parents.map(personRef),
            children: family.children.map(personRef),
            spouse: family.spouse ? personRef(family.spouse) : null,
          };
        },
      );

      app.get(
        "/persons/:code/address",
        reading(
          "getAddress",
          "The person's current registered address",
          personalAnswer(PERSON_ADDRESS, "The current address"),
          "No such person (PERSON_NOT_FOUND) or no address (ADDRESS_NOT_FOUND)",
        ),
        async (request, reply) => {
          const person = await existing(request.params.code);
          const address = await register.currentAddress(person.personalCode);
          if (!address)
            throw new PopulationRegisterError(
              "ADDRESS_NOT_FOUND",
              `person ${person.personalCode} has no registered address`,
            );
          declareDataSubjects(reply, [person.personalCode]);
          return { personalCode: person.personalCode, address: addressView(address) };
        },
      );

      app.get(
        "/persons/:code/address/history",
        reading(
          "getAddressHistory",
          "Every address the person has had, newest first",
          personalAnswer(ADDRESS_HISTORY, "The addresses"),
          "No such person (PERSON_NOT_FOUND)",
        ),
        async (request, reply) => {
          const person = await existing(request.params.code);
          const addresses = await register.addressHistory(person.personalCode);
          declareDataSubjects(reply, [person.personalCode]);
          return { personalCode: person.personalCode, addresses: addresses.map(addressView) };
        },
      );

      app.put(
        "/persons/:code/address",
        {
          schema: {
            operationId: "changeAddress",
            summary: "Register a change of address; the previous address stays in the history",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            body: ADDRESS_INPUT,
            response: {
              200: personalAnswer(PERSON_ADDRESS, "The new current address"),
              ...errorAnswers({
                400: `Malformed personal code or address: ${REQUEST_INVALID}; a wrong date or check digit (PERSONAL_CODE_INVALID); a municipality not of the county or a future date (ADDRESS_INVALID)`,
                404: "No such person (PERSON_NOT_FOUND)",
                409: "The person is deceased (PERSON_DECEASED)",
                413: "The body is larger than 16 KiB (BODY_TOO_LARGE)",
                415: "The body is not application/json (CONTENT_TYPE_UNSUPPORTED)",
              }),
            },
          },
        },
        async (request, reply) => {
          const code = personalCodeParameter(request.params.code);
          const address = await register.changeAddress(code, request.body);
          declareDataSubjects(reply, [code]);
          return { personalCode: code, address: addressView(address) };
        },
      );

      app.post(
        "/personal-codes",
        {
          schema: {
            operationId: "allocatePersonalCode",
            summary:
              "Hand out the next free personal code of a birth date (for persons who get no entry here, e.g. e-residents)",
            querystring: NO_QUERY,
            body: PERSONAL_CODE_REQUEST,
            response: {
              201: {
                ...PERSONAL_CODE_ANSWER,
                description: "The code, reserved so that no birth or allocation gets it again",
              },
              ...errorAnswers({
                400: `${REQUEST_INVALID}; a date that is not a calendar day, before 1800 or in the future (DATE_INVALID)`,
                409: "Every sequence number 001-999 of the date is used (PERSONAL_CODES_EXHAUSTED)",
                413: "The body is larger than 16 KiB (BODY_TOO_LARGE)",
                415: "The body is not application/json (CONTENT_TYPE_UNSUPPORTED)",
              }),
            },
          },
        },
        async (request, reply) => {
          const allocation = await register.allocatePersonalCode(request.body, xroadClientOf(request));
          return reply.status(201).send({ personalCode: allocation.personalCode });
        },
      );

      vitalEventRoutes(app, register);
    },
  });
}

/**
 * The register's OpenAPI 3.1 document without a running register (the orchestrator imports
 * it into the security server before the register starts): the routes are declared, never called.
 */
export function populationRegisterOpenApi(serverUrl?: string): Promise<Record<string, unknown>> {
  return describedOpenApi(createPopulationRegisterService({} as PopulationRegister), serverUrl);
}

export interface PopulationRegisterServerOptions extends PopulationRegisterLocation {
  port: number;
  host?: string;
  /**
   * Pushing events to subscribers through the register's own security server, as its
   * subsystem, naming the official accountable for the deliveries (X-Road-UserId). Without
   * it subscribers can only pull.
   */
  exchange?: { securityServer: string; client: string; officialCode: string; operatorToken?: string };
}

export interface PopulationRegisterServer {
  url: string;
  service: MemberService;
  register: PopulationRegister;
  close(): Promise<void>;
}

/** `riik registry serve`: opens (and migrates) the register and serves its API. */
export async function startPopulationRegister(
  options: PopulationRegisterServerOptions,
): Promise<PopulationRegisterServer> {
  const register = await openPopulationRegister(options);
  const { exchange } = options;
  const xroad = exchange
    ? new XRoadRestClient({ securityServer: exchange.securityServer, client: exchange.client })
    : undefined;
  const publisher = exchange
    ? createPublisher({
        storage: register.store,
        publisher: exchange.client,
        eventTypes: VITAL_EVENT_TYPES,
        xroad,
        userId: xroadUserId(exchange.officialCode),
        ...(exchange.operatorToken ? { operatorToken: exchange.operatorToken } : {}),
      })
    : undefined;
  const service = createPopulationRegisterService(register, publisher);
  const url = await listenOrRelease(service, options, async () => {
    await register.close();
    await xroad?.close();
  });
  publisher?.start();
  service.logger.info({ url, storage: register.storage.location }, "population register listening");
  return {
    url,
    service,
    register,
    close: async () => {
      await publisher?.stop();
      await service.close();
      await register.close();
      await xroad?.close();
    },
  };
}
