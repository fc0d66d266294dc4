// The e-Residency agency's REST API on the kit's member service. Three services share it:
// `applications` for the applicant without an identity yet (number and access key, no
// X-Road-UserId), `e-residents` for the register (personal data, subjects declared), and
// `decisions` for the Board's staff (the official acting is X-Road-UserId; a decision is
// proven by its signature, not by the header).
import {
  createMemberService,
  declareDataSubjects,
  describedOpenApi,
  errorAnswers,
  type MemberService,
  NO_QUERY,
  personalAnswer,
} from "@riik/kit";
import { E_RESIDENCY_ERRORS, EResidencyError } from "../errors.ts";
import { PICKUP_LOCATIONS } from "../model/application.ts";
import type { EResidencyOffice } from "../storage/office.ts";
import {
  ACCESS_KEY_BODY,
  APPLICATION_CREATED,
  APPLICATION_FORM,
  CODE_PARAMS,
  DECISION_BODY,
  E_RESIDENT,
  HAND_OVER_ANSWER,
  HAND_OVER_BODY,
  NUMBER_PARAMS,
  PAYMENT_ANSWER,
  PICKUP_LOCATIONS_ANSWER,
  REVOCATION_BODY,
  STAFF_APPLICATION,
  STATUS_ANSWER,
  WORK_LIST,
  WORK_LIST_QUERY,
} from "./schemas.ts";

const UNKNOWN = "APPLICATION_UNKNOWN (also for a wrong access key: the same answer, so numbers cannot be probed)";

/** The person acting for the Board (X-Road-UserId EE + personal code); "" when none is named. */
function acting(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !/^EE[0-9]{11}$/.test(value))
    throw new EResidencyError("NOT_AN_OFFICIAL", "X-Road-UserId must name the official acting (EE + personal code)");
  return value.slice(2);
}

export function createEResidencyService(office: EResidencyOffice): MemberService {
  return createMemberService({
    name: "e-residency",
    title: "riik e-Residency",
    version: "1.0.0",
    description:
      "The Police and Border Guard Board's e-Residency: applications from anywhere with the state fee, the police's background check over X-Road, the official's signed decision, the digital ID handed over at the pick-up point, and the register of e-residents.",
    errors: E_RESIDENCY_ERRORS,
    // A 2 MB photo is 2.7 MB in base64; a decision container with a B-LT signature some tens of KB.
    bodyLimit: 4 * 1024 * 1024,
    routes(app) {
      app.get(
        "/pickup-locations",
        {
          schema: {
            operationId: "pickupLocations",
            summary: "Where a digital ID can be picked up",
            querystring: NO_QUERY,
            response: { 200: PICKUP_LOCATIONS_ANSWER },
          },
        },
        async () => ({ locations: PICKUP_LOCATIONS.map((place) => ({ ...place })) }),
      );
      app.post(
        "/applications",
        {
          schema: {
            operationId: "apply",
            summary: "A new application; the answer's access key is shown once and opens it afterwards",
            querystring: NO_QUERY,
            body: APPLICATION_FORM,
            response: {
              201: APPLICATION_CREATED,
              ...errorAnswers({
                400: "REQUEST_INVALID, APPLICATION_INVALID, PICKUP_LOCATION_UNKNOWN",
                422: "APPLICANT_UNDER_18, DOCUMENT_EXPIRED, PHOTO_INVALID",
                429: "APPLICATIONS_RATE_LIMITED: this client's applications of the hour are used up (Retry-After)",
              }),
            },
          },
        },
        async (request, reply) => {
          // Bounded per X-Road client (the portal, …); a caller not through X-Road by its address.
          const client = request.headers["x-road-client"];
          try {
            const created = await office.apply(
              request.body,
              new Date(),
              typeof client === "string" && client ? `xroad:${client}` : `address:${request.ip}`,
            );
            return reply.status(201).send(created);
          } catch (error) {
            if (error instanceof EResidencyError && error.code === "APPLICATIONS_RATE_LIMITED")
              reply.header("retry-after", String(error.details?.retryAfterSeconds)); // RFC 9110 §10.2.3
            throw error;
          }
        },
      );
      app.post(
        "/applications/:number/payment",
        {
          schema: {
            operationId: "pay",
            summary: "The state fee (sandbox: a receipt); paying again answers the same receipt",
            params: NUMBER_PARAMS,
            querystring: NO_QUERY,
            body: ACCESS_KEY_BODY,
            response: { 200: PAYMENT_ANSWER, ...errorAnswers({ 400: "REQUEST_INVALID", 404: UNKNOWN }) },
          },
        },
        async (request) => office.pay(request.params.number, request.body.accessKey),
      );
      app.post(
        "/applications/:number/status",
        {
          schema: {
            operationId: "applicationStatus",
            summary: "Where the application is, the decision, and the personal code once granted",
            params: NUMBER_PARAMS,
            querystring: NO_QUERY,
            body: ACCESS_KEY_BODY,
            response: { 200: STATUS_ANSWER, ...errorAnswers({ 400: "REQUEST_INVALID", 404: UNKNOWN }) },
          },
        },
        async (request) => office.status(request.params.number, request.body.accessKey),
      );
      app.get(
        "/e-residents/:code",
        {
          schema: {
            operationId: "eResident",
            summary: "An e-resident in the register: valid, revoked or expired, and until when",
            params: CODE_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(E_RESIDENT, "The e-resident"),
              ...errorAnswers({ 400: "REQUEST_INVALID", 404: "E_RESIDENT_NOT_FOUND" }),
            },
          },
        },
        async (request, reply) => {
          const resident = await office.eResident(request.params.code);
          declareDataSubjects(reply, [resident.personalCode]);
          return resident;
        },
      );
      app.get(
        "/staff/applications",
        {
          schema: {
            operationId: "workList",
            summary: "Applications at a status (default awaiting-decision), oldest first",
            querystring: WORK_LIST_QUERY,
            response: {
              200: personalAnswer(WORK_LIST, "The applications"),
              ...errorAnswers({ 400: "REQUEST_INVALID", 403: "NOT_AN_OFFICIAL" }),
            },
          },
        },
        async (request, reply) => {
          office.official(acting(request.headers["x-road-userid"]));
          const list = await office.applications(request.query.status ?? "awaiting-decision", request.query.limit);
          declareDataSubjects(
            reply,
            list.flatMap((a) => (a.personalCode ? [a.personalCode] : [])),
          );
          return { applications: list };
        },
      );
      app.get(
        "/staff/applications/:number",
        {
          schema: {
            operationId: "staffApplication",
            summary: "The application with the police's findings and its journal",
            params: NUMBER_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(STAFF_APPLICATION, "The application"),
              ...errorAnswers({ 400: "REQUEST_INVALID", 403: "NOT_AN_OFFICIAL", 404: "APPLICATION_UNKNOWN" }),
            },
          },
        },
        async (request, reply) => {
          office.official(acting(request.headers["x-road-userid"]));
          const application = await office.application(request.params.number);
          declareDataSubjects(reply, application.personalCode ? [application.personalCode] : []);
          return application;
        },
      );
      app.post(
        "/staff/applications/:number/decision",
        {
          schema: {
            operationId: "decide",
            summary:
              "The decision {number, granted, reason?} as decision.json in an ASiC-E container signed by an official",
            params: NUMBER_PARAMS,
            querystring: NO_QUERY,
            body: DECISION_BODY,
            response: {
              200: personalAnswer(STATUS_ANSWER, "The application decided; granted ones with the personal code"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                403: "NOT_AN_OFFICIAL (a signer is not a listed official)",
                404: "APPLICATION_UNKNOWN",
                409: "ALREADY_DECIDED, APPLICATION_NOT_READY, PERSONAL_CODES_EXHAUSTED",
                422: "DECISION_SIGNATURE (details.findings), DECISION_INVALID",
              }),
            },
          },
        },
        async (request, reply) => {
          const decided = await office.decide(request.params.number, Buffer.from(request.body.container, "base64"));
          declareDataSubjects(reply, decided.personalCode ? [decided.personalCode] : []);
          return decided;
        },
      );
      app.post(
        "/staff/applications/:number/hand-over",
        {
          schema: {
            operationId: "handOver",
            summary: "The official has checked the travel document at the pick-up point: the digital ID is issued",
            params: NUMBER_PARAMS,
            querystring: NO_QUERY,
            body: HAND_OVER_BODY,
            response: {
              200: personalAnswer(HAND_OVER_ANSWER, "The digital ID handed over, with its PIN envelope"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                403: "NOT_AN_OFFICIAL",
                404: "APPLICATION_UNKNOWN",
                409: "APPLICATION_NOT_READY",
                422: "IDENTITY_MISMATCH",
                503: "CARDS_UNAVAILABLE",
              }),
            },
          },
        },
        async (request, reply) => {
          const official = acting(request.headers["x-road-userid"]);
          const handed = await office.handOver(request.params.number, request.body.documentNumber, official);
          declareDataSubjects(reply, [handed.personalCode]);
          return handed;
        },
      );
      app.post(
        "/staff/e-residents/:code/renewal",
        {
          schema: {
            operationId: "renew",
            summary: "A new digital ID and validity period; the old ID is revoked as superseded",
            params: CODE_PARAMS,
            querystring: NO_QUERY,
            body: HAND_OVER_BODY,
            response: {
              200: personalAnswer(HAND_OVER_ANSWER, "The new digital ID, with its PIN envelope"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                403: "NOT_AN_OFFICIAL",
                404: "E_RESIDENT_NOT_FOUND",
                409: "E_RESIDENT_REVOKED",
                503: "CARDS_UNAVAILABLE",
              }),
            },
          },
        },
        async (request, reply) => {
          const official = acting(request.headers["x-road-userid"]);
          const renewed = await office.renew(request.params.code, request.body.documentNumber, official);
          declareDataSubjects(reply, [renewed.personalCode]);
          return renewed;
        },
      );
      app.post(
        "/staff/e-residents/:code/revocation",
        {
          schema: {
            operationId: "revoke",
            summary: "Revokes an e-residency and its digital ID, with the reason",
            params: CODE_PARAMS,
            querystring: NO_QUERY,
            body: REVOCATION_BODY,
            response: {
              200: personalAnswer(E_RESIDENT, "The e-resident, revoked"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                403: "NOT_AN_OFFICIAL",
                404: "E_RESIDENT_NOT_FOUND",
                409: "E_RESIDENT_REVOKED",
                503: "CARDS_UNAVAILABLE",
              }),
            },
          },
        },
        async (request, reply) => {
          const official = acting(request.headers["x-road-userid"]);
          const revoked = await office.revoke(request.params.code, request.body.reason, official);
          declareDataSubjects(reply, [revoked.personalCode]);
          return revoked;
        },
      );
    },
  });
}

/** The OpenAPI 3.1 document without a running office (for the security server before it starts). */
export function eResidencyOpenApi(): Promise<Record<string, unknown>> {
  return describedOpenApi(createEResidencyService({} as EResidencyOffice));
}
