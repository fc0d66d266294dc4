import { createHttpService, type HttpService, PersonalCodeError, parsePersonalCode } from "@riik/core";
import type { FastifyReply } from "fastify";
import { POPULATION_REGISTER_ERRORS, PopulationRegisterError } from "../errors.ts";
import {
  openPopulationRegister,
  type PopulationRegister,
  type PopulationRegisterLocation,
} from "../storage/register.ts";
import type { AddressRecord, PersonRecord } from "../storage/schema.ts";
import { populationRegisterOpenApi } from "./openapi.ts";
import { ADDRESS_INPUT, NO_QUERY, PERSON_PARAMS } from "./schemas.ts";

/** The header the provider security server reads (and strips) to record Data Tracker uses. */
export const DATA_SUBJECTS_HEADER = "x-riik-data-subjects";

/**
 * The path parameter, already of the schema's shape, as a personal code whose date and
 * check digit are right (EVS 585), or PERSONAL_CODE_INVALID naming what is wrong.
 */
function personalCodeParameter(text: string): string {
  try {
    return parsePersonalCode(text).code;
  } catch (error) {
    if (error instanceof PersonalCodeError)
      throw new PopulationRegisterError("PERSONAL_CODE_INVALID", error.message, {
        cause: error,
        details: { reason: error.code },
      });
    throw error;
  }
}

const notFound = (code: string) =>
  new PopulationRegisterError("PERSON_NOT_FOUND", `no person with code ${code} in the population register`);

export const personView = (p: PersonRecord) => ({
  personalCode: p.personalCode,
  givenName: p.givenName,
  surname: p.surname,
  sex: p.sex,
  birthDate: p.birthDate,
  dateOfDeath: p.dateOfDeath,
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

/** Names every person in the answer, so that each use is recorded in the Data Tracker. */
function concerning(reply: FastifyReply, codes: readonly string[]): FastifyReply {
  return reply.header(DATA_SUBJECTS_HEADER, [...new Set(codes)].map((c) => `EE${c}`).join(","));
}

/**
 * The register's REST API (OpenAPI 3.1 at /openapi.json), on the common service base
 * (/healthz, /metrics, typed errors). Every answer with personal data names its subjects.
 */
export function createPopulationRegisterService(register: PopulationRegister): HttpService {
  const service = createHttpService({
    name: "population-register",
    errors: POPULATION_REGISTER_ERRORS,
    bodyLimit: 16 * 1024,
  });
  const { app } = service;

  // Bodies are JSON only; anything else is 415 (Fastify would otherwise hand text/plain over as a string).
  app.removeContentTypeParser("text/plain");

  app.get("/openapi.json", { schema: { querystring: NO_QUERY } }, async () => populationRegisterOpenApi());

  const personRoute = { schema: { params: PERSON_PARAMS, querystring: NO_QUERY } };
  const existing = async (text: string): Promise<PersonRecord> => {
    const code = personalCodeParameter(text);
    const person = await register.person(code);
    if (!person) throw notFound(code);
    return person;
  };

  app.get("/persons/:code", personRoute, async (request, reply) => {
    const person = await existing(request.params.code);
    concerning(reply, [person.personalCode]);
    return personView(person);
  });

  app.get("/persons/:code/family", personRoute, async (request, reply) => {
    const person = await existing(request.params.code);
    const family = await register.family(person.personalCode);
    const relatives = [...family.parents, ...family.children, ...(family.spouse ? [family.spouse] : [])];
    concerning(reply, [person.personalCode, ...relatives.map((r) => r.personalCode)]);
    return {
      personalCode: person.personalCode,
      parents: family.parents.map(personRef),
      children: family.children.map(personRef),
      spouse: family.spouse ? personRef(family.spouse) : null,
    };
  });

  app.get("/persons/:code/address", personRoute, async (request, reply) => {
    const person = await existing(request.params.code);
    const address = await register.currentAddress(person.personalCode);
    if (!address)
      throw new PopulationRegisterError("ADDRESS_NOT_FOUND", `person ${person.personalCode} has no registered address`);
    concerning(reply, [person.personalCode]);
    return { personalCode: person.personalCode, address: addressView(address) };
  });

  app.get("/persons/:code/address/history", personRoute, async (request, reply) => {
    const person = await existing(request.params.code);
    const addresses = await register.addressHistory(person.personalCode);
    concerning(reply, [person.personalCode]);
    return { personalCode: person.personalCode, addresses: addresses.map(addressView) };
  });

  app.put(
    "/persons/:code/address",
    { schema: { params: PERSON_PARAMS, querystring: NO_QUERY, body: ADDRESS_INPUT } },
    async (request, reply) => {
      const code = personalCodeParameter(request.params.code);
      const address = await register.changeAddress(code, request.body);
      concerning(reply, [code]);
      return { personalCode: code, address: addressView(address) };
    },
  );

  return service;
}

export interface PopulationRegisterServerOptions extends PopulationRegisterLocation {
  port: number;
  host?: string;
}

export interface PopulationRegisterServer {
  url: string;
  service: HttpService;
  register: PopulationRegister;
  close(): Promise<void>;
}

/** `riik registry serve`: opens (and migrates) the register and serves its API. */
export async function startPopulationRegister(
  options: PopulationRegisterServerOptions,
): Promise<PopulationRegisterServer> {
  const register = await openPopulationRegister(options);
  const service = createPopulationRegisterService(register);
  let address: string;
  try {
    address = await service.app.listen({ host: options.host ?? "127.0.0.1", port: options.port });
  } catch (error) {
    await register.close();
    throw error;
  }
  const url = address.replace("[::1]", "127.0.0.1");
  service.logger.info({ url, storage: register.storage.location }, "population register listening");
  return {
    url,
    service,
    register,
    close: async () => {
      await service.app.close();
      await register.close();
    },
  };
}
