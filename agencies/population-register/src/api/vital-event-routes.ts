import { declareDataSubjects, errorAnswers, NO_QUERY, personalAnswer, type RiikFastify } from "@riik/kit";
import type { Static, TSchema } from "typebox";
import type { PopulationRegister } from "../storage/register.ts";
import type { EventContext, EventResult } from "../storage/vital-events.ts";
import { ADDRESS_CHANGE, BIRTH, DEATH, EVENT_RESULT, MARRIAGE, NAME_CHANGE } from "./schemas.ts";
import { xroadClientOf } from "./xroad-client.ts";

const COMMON_400 =
  "The request does not match its schema (REQUEST_INVALID, every mismatch in details.errors); a wrong check digit or date in a personal code (PERSONAL_CODE_INVALID); a date that is not a calendar day, in the future or before a birth (DATE_INVALID)";
const COMMON_409 =
  "The eventId was registered before (EVENT_DUPLICATE, details.result is the first registration's answer) or for another event (EVENT_ID_REUSED)";

interface VitalEventRoute<Body extends TSchema> {
  path: string;
  operationId: string;
  summary: string;
  body: Body;
  /** Extra refusals of this event, by status. */
  refusals: { 400?: string; 404: string; 409?: string };
  /** Typed by the body's schema, so the schema and the register's input cannot drift apart. */
  register(register: PopulationRegister, body: Static<Body>, context: EventContext): Promise<EventResult>;
}

const eventRoute = <Body extends TSchema>(route: VitalEventRoute<Body>) => route as VitalEventRoute<TSchema>;

/** The vital events: one POST each, all on the `vital-events` service of the register. */
const ROUTES: readonly VitalEventRoute<TSchema>[] = [
  eventRoute({
    path: "/vital-events/births",
    operationId: "registerBirth",
    summary: "Register a birth: the child gets a personal code, its parents and the mother's address",
    body: BIRTH,
    refusals: {
      400: "a parent born after the child, the mother dead before the birth, the father dead more than 300 days before it (EVENT_INVALID)",
      404: "The mother or the father is not in the register (PERSON_NOT_FOUND)",
      409: "The mother's child of that day and given name is registered already (EVENT_DUPLICATE, details.personalCode); the day's 999 personal codes are used (PERSONAL_CODES_EXHAUSTED)",
    },
    register: (r, body, context) => r.vitalEvents.birth(body, context),
  }),
  eventRoute({
    path: "/vital-events/deaths",
    operationId: "registerDeath",
    summary: "Register a death: the person is kept, marked deceased",
    body: DEATH,
    refusals: { 404: "No such person (PERSON_NOT_FOUND)", 409: "The death is recorded already (PERSON_DECEASED)" },
    register: (r, body, context) => r.vitalEvents.death(body, context),
  }),
  eventRoute({
    path: "/vital-events/marriages",
    operationId: "registerMarriage",
    summary: "Register a marriage of two living adults, neither married",
    body: MARRIAGE,
    refusals: {
      400: "the same person twice, or a spouse under 18 on the day (EVENT_INVALID)",
      404: "A spouse is not in the register (PERSON_NOT_FOUND)",
      409: "A spouse is married (PERSON_MARRIED) or deceased (PERSON_DECEASED)",
    },
    register: (r, body, context) => r.vitalEvents.marriage(body, context),
  }),
  eventRoute({
    path: "/vital-events/divorces",
    operationId: "registerDivorce",
    summary: "Register a divorce of two persons married to each other",
    body: MARRIAGE,
    refusals: {
      400: "the same person twice (EVENT_INVALID)",
      404: "A spouse is not in the register (PERSON_NOT_FOUND)",
      409: "They are not married to each other, or the marriage ended by a death (NOT_MARRIED)",
    },
    register: (r, body, context) => r.vitalEvents.divorce(body, context),
  }),
  eventRoute({
    path: "/vital-events/address-changes",
    operationId: "registerAddressChange",
    summary: "Register a change of address; the previous address stays in the history",
    body: ADDRESS_CHANGE,
    refusals: {
      400: "a municipality not of the county, `since` in the future or before the current address (ADDRESS_INVALID)",
      404: "No such person (PERSON_NOT_FOUND)",
      409: "The person is deceased (PERSON_DECEASED)",
    },
    register: (r, body, context) => r.vitalEvents.addressChange(body, context),
  }),
  eventRoute({
    path: "/vital-events/name-changes",
    operationId: "registerNameChange",
    summary: "Register a change of given name, surname or both",
    body: NAME_CHANGE,
    refusals: {
      400: "the name is the person's already (EVENT_INVALID)",
      404: "No such person (PERSON_NOT_FOUND)",
      409: "The person is deceased (PERSON_DECEASED)",
    },
    register: (r, body, context) => r.vitalEvents.nameChange(body, context),
  }),
];

/**
 * The registrar's routes. Answers name every person whose record changed (the Data Tracker
 * records the registrar's use for each); the X-Road client is kept with the event.
 */
export function vitalEventRoutes(app: RiikFastify, register: PopulationRegister): void {
  for (const route of ROUTES)
    app.post(
      route.path,
      {
        schema: {
          operationId: route.operationId,
          summary: route.summary,
          querystring: NO_QUERY,
          body: route.body,
          response: {
            201: personalAnswer(
              EVENT_RESULT,
              "Registered; X-Riik-Data-Subjects lists every person whose record changed",
            ),
            ...errorAnswers({
              400: route.refusals[400] ? `${COMMON_400}; ${route.refusals[400]}` : COMMON_400,
              404: route.refusals[404],
              409: route.refusals[409] ? `${COMMON_409}; ${route.refusals[409]}` : COMMON_409,
              413: "The body is larger than 16 KiB (BODY_TOO_LARGE)",
              415: "The body is not application/json (CONTENT_TYPE_UNSUPPORTED)",
            }),
          },
        },
      },
      async (request, reply) => {
        const result = await route.register(register, request.body, { client: xroadClientOf(request) });
        declareDataSubjects(reply, result.subjects);
        return reply.status(201).send(result);
      },
    );
}
