// The bureau's REST API on the kit's member service: insurers, policies the insurers submit
// (X-Road-Client is the insurer), "who insures this vehicle now" and its yes/no, and the
// accident case driven by the drivers (X-Road-UserId) and their insurers (X-Road-Client).
import {
  createMemberService,
  declareDataSubjects,
  describedOpenApi,
  errorAnswers,
  type MemberService,
  NO_QUERY,
  personalAnswer,
} from "@riik/kit";
import { MOTOR_INSURANCE_ERRORS, MotorInsuranceError } from "../errors.ts";
import type { AccidentCase, MotorInsuranceBureau, Viewer } from "../storage/bureau.ts";
import {
  AMENDMENT,
  CASE,
  CASE_PARAMS,
  CLAIM,
  INSURANCE,
  INSURANCE_QUERY,
  INSURER,
  INSURERS,
  JOIN,
  LIABILITY,
  NEW_CASE,
  NEW_INSURER,
  NEW_POLICY,
  POLICY,
  SIGNATURE,
  VALIDITY,
} from "./schemas.ts";

export interface MotorInsuranceServiceOptions {
  /** X-Road clients of the police: they see a case only when injuries are reported. */
  policeClients?: readonly string[];
}

/** What is read of a request: its X-Road headers. */
type XRoadRequest = { headers: Record<string, string | string[] | undefined> };
type Reply = Parameters<typeof declareDataSubjects>[0];

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The driver acting (X-Road-UserId EE + personal code), or NOT_A_PARTY. */
function driverActing(request: XRoadRequest): string {
  const value = header(request.headers["x-road-userid"]);
  if (!value || !/^EE[0-9]{11}$/.test(value))
    throw new MotorInsuranceError("NOT_A_PARTY", "a driver acts in person: X-Road-UserId EE + personal code");
  return value.slice(2);
}

const caseSubjects = (reply: Reply, c: AccidentCase) =>
  declareDataSubjects(reply, [c.drivers.A, ...(c.drivers.B ? [c.drivers.B] : [])]);

const CASE_REFUSED = {
  400: "REQUEST_INVALID",
  403: "NOT_A_PARTY: not an insurer of the case",
  404: "CASE_NOT_FOUND",
  409: "CASE_STEP_INVALID: the step does not follow from where the case is",
  503: "LEDGER_UNAVAILABLE: nothing recorded, try again",
};

export function createMotorInsuranceService(
  bureau: MotorInsuranceBureau,
  options: MotorInsuranceServiceOptions = {},
): MemberService {
  const police = new Set(options.policeClients ?? []);
  const insurer = (request: XRoadRequest) => bureau.insurerOfClient(header(request.headers["x-road-client"]));
  const viewer = async (request: XRoadRequest): Promise<Viewer> => {
    if (request.headers["x-road-userid"]) return { person: driverActing(request) };
    const client = header(request.headers["x-road-client"]);
    if (client && police.has(client)) return { police: true };
    return { insurer: await insurer(request) };
  };
  return createMemberService({
    name: "motor-insurance",
    title: "riik motor insurers' bureau",
    version: "1.0.0",
    description:
      "The motor insurers' bureau: insurers, compulsory motor policies per vehicle, who insures a vehicle at a moment, and the accident case both drivers sign with every step anchored in the integrity ledger.",
    errors: MOTOR_INSURANCE_ERRORS,
    bodyLimit: 3 * 1024 * 1024,
    routes(app) {
      app.post(
        "/insurers",
        {
          schema: {
            operationId: "registerInsurer",
            summary: "Register an insurer: a company the business register knows (where configured)",
            querystring: NO_QUERY,
            body: NEW_INSURER,
            response: {
              201: INSURER,
              ...errorAnswers({
                400: "REQUEST_INVALID, REGISTRY_CODE_INVALID",
                409: "INSURER_EXISTS",
                422: "COMPANY_UNKNOWN",
              }),
            },
          },
        },
        async (request, reply) => reply.status(201).send(await bureau.registerInsurer(request.body)),
      );
      app.get(
        "/insurers",
        {
          schema: {
            operationId: "getInsurers",
            summary: "The registered insurers",
            querystring: NO_QUERY,
            response: { 200: INSURERS },
          },
        },
        async () => ({ insurers: await bureau.insurers() }),
      );
      app.post(
        "/policies",
        {
          schema: {
            operationId: "submitPolicy",
            summary: "An insurer (X-Road-Client) submits a compulsory motor policy for a vehicle and period",
            querystring: NO_QUERY,
            body: NEW_POLICY,
            response: {
              201: personalAnswer(POLICY, "The policy"),
              ...errorAnswers({
                400: "REQUEST_INVALID, POLICY_INVALID",
                403: "NOT_AN_INSURER",
                409: "POLICY_EXISTS, POLICY_OVERLAP",
              }),
            },
          },
        },
        async (request, reply) => {
          const policy = await bureau.submitPolicy(await insurer(request), request.body);
          declareDataSubjects(reply, policy.holder.personalCode ? [policy.holder.personalCode] : []);
          return reply.status(201).send(policy);
        },
      );
      app.get(
        "/insurance",
        {
          schema: {
            operationId: "getInsurance",
            summary: "Who insures this vehicle (plate or VIN) at this moment (default now)",
            querystring: INSURANCE_QUERY,
            response: {
              200: personalAnswer(INSURANCE, "The insurer and the policy"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                404: "VEHICLE_UNKNOWN (no policy ever), NOT_INSURED (none at that moment)",
              }),
            },
          },
        },
        async (request, reply) => {
          const { at, ...key } = request.query;
          const found = await bureau.insurance(key, at ? new Date(at) : new Date());
          declareDataSubjects(reply, found.policy.holder.personalCode ? [found.policy.holder.personalCode] : []);
          return found;
        },
      );
      app.get(
        "/insurance/validity",
        {
          schema: {
            operationId: "checkInsurance",
            summary: "Yes or no: is this vehicle (plate or VIN) insured at this moment (default now)",
            querystring: INSURANCE_QUERY,
            response: { 200: VALIDITY, ...errorAnswers({ 400: "REQUEST_INVALID" }) },
          },
        },
        async (request) => {
          const { at, ...key } = request.query;
          const moment = at ? new Date(at) : new Date();
          try {
            await bureau.insurance(key, moment);
            return { at: moment.toISOString(), insured: true };
          } catch (error) {
            if (
              error instanceof MotorInsuranceError &&
              (error.code === "NOT_INSURED" || error.code === "VEHICLE_UNKNOWN")
            )
              return { at: moment.toISOString(), insured: false };
            throw error;
          }
        },
      );
      app.post(
        "/cases",
        {
          schema: {
            operationId: "reportAccident",
            summary: "Driver A (X-Road-UserId) reports an accident; the answer has the code for driver B",
            querystring: NO_QUERY,
            body: NEW_CASE,
            response: {
              201: personalAnswer(CASE, "The case with its join code"),
              ...errorAnswers({
                400: "REQUEST_INVALID, STATEMENT_INVALID",
                403: "NOT_A_PARTY (no person acting), SIGNER_NOT_DRIVER (the part names another driver)",
                404: "VEHICLE_UNKNOWN, NOT_INSURED: no policy covers the vehicle at the accident",
                503: "LEDGER_UNAVAILABLE",
              }),
            },
          },
        },
        async (request, reply) => {
          const created = await bureau.report(driverActing(request), request.body);
          caseSubjects(reply, created);
          return reply.status(201).send(created);
        },
      );
      app.post(
        "/cases/join",
        {
          schema: {
            operationId: "joinAccident",
            summary: "Driver B (X-Road-UserId) joins with driver A's code and fills in their vehicle",
            querystring: NO_QUERY,
            body: JOIN,
            response: {
              200: personalAnswer(CASE, "The case with the statement both sign"),
              ...errorAnswers({
                400: "REQUEST_INVALID, STATEMENT_INVALID",
                403: "NOT_A_PARTY, SIGNER_NOT_DRIVER",
                404: "JOIN_CODE_INVALID, VEHICLE_UNKNOWN, NOT_INSURED",
                503: "LEDGER_UNAVAILABLE",
              }),
            },
          },
        },
        async (request, reply) => {
          const joined = await bureau.join(driverActing(request), request.body.joinCode, request.body.vehicle);
          caseSubjects(reply, joined);
          return joined;
        },
      );
      app.patch(
        "/cases/:id",
        {
          schema: {
            operationId: "amendStatement",
            summary: "A driver corrects the common part or their own vehicle's part, before anyone signs",
            params: CASE_PARAMS,
            querystring: NO_QUERY,
            body: AMENDMENT,
            response: {
              200: personalAnswer(CASE, "The case"),
              ...errorAnswers({
                400: "REQUEST_INVALID, STATEMENT_INVALID",
                403: "NOT_A_PARTY, SIGNER_NOT_DRIVER",
                404: "CASE_NOT_FOUND, NOT_INSURED, VEHICLE_UNKNOWN",
                409: "STATEMENT_SIGNED",
              }),
            },
          },
        },
        async (request, reply) => {
          const amended = await bureau.amend(request.params.id, driverActing(request), request.body);
          caseSubjects(reply, amended);
          return amended;
        },
      );
      app.post(
        "/cases/:id/signatures",
        {
          schema: {
            operationId: "signStatement",
            summary: "An ASiC-E container over the statement, signed by one or both drivers",
            params: CASE_PARAMS,
            querystring: NO_QUERY,
            body: SIGNATURE,
            response: {
              200: personalAnswer(CASE, "The case"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                403: "SIGNER_NOT_DRIVER",
                404: "CASE_NOT_FOUND",
                409: "CASE_STEP_INVALID (B has not joined)",
                422: "SIGNED_OTHER_STATEMENT, SIGNATURE_INVALID (details.findings), STATEMENT_INVALID",
                503: "LEDGER_UNAVAILABLE",
              }),
            },
          },
        },
        async (request, reply) => {
          const signed = await bureau.sign(request.params.id, Buffer.from(request.body.container, "base64"));
          caseSubjects(reply, signed);
          return signed;
        },
      );
      const insurerStep = (
        path: string,
        operationId: string,
        summary: string,
        step: (id: string, by: string, body: never) => Promise<AccidentCase>,
        body?: typeof LIABILITY | typeof CLAIM,
      ) =>
        app.post(
          path,
          {
            schema: {
              operationId,
              summary,
              params: CASE_PARAMS,
              querystring: NO_QUERY,
              ...(body ? { body } : {}),
              response: { 200: personalAnswer(CASE, "The case"), ...errorAnswers(CASE_REFUSED) },
            },
          },
          async (request, reply) => {
            const { id } = request.params as { id: string };
            const done = await step(id, await insurer(request), request.body as never);
            caseSubjects(reply, done);
            return done;
          },
        );
      insurerStep("/cases/:id/acceptance", "acceptCase", "An insurer of the case takes it on", (id, by) =>
        bureau.accept(id, by),
      );
      insurerStep(
        "/cases/:id/liability",
        "decideLiability",
        "An insurer that accepted the case decides who is liable",
        (id, by, body: { liable: "A" | "B" | "shared" }) => bureau.decideLiability(id, by, body.liable),
        LIABILITY,
      );
      insurerStep(
        "/cases/:id/claim",
        "settleClaim",
        "The liable driver's insurer pays or refuses the claim",
        (id, by, body: { paid: boolean; amountCents: number }) => bureau.settleClaim(id, by, body),
        CLAIM,
      );
      insurerStep("/cases/:id/closure", "closeCase", "An insurer closes the settled case", (id, by) =>
        bureau.closeCase(id, by),
      );
      app.get(
        "/cases/:id",
        {
          schema: {
            operationId: "getCase",
            summary: "The case with its anchored timeline: to its drivers, their insurers, the police if injuries",
            params: CASE_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(CASE, "The case"),
              ...errorAnswers({ 400: "REQUEST_INVALID", 403: "NOT_A_PARTY, NOT_AN_INSURER", 404: "CASE_NOT_FOUND" }),
            },
          },
        },
        async (request, reply) => {
          const found = await bureau.case(request.params.id, await viewer(request));
          caseSubjects(reply, found);
          return found;
        },
      );
    },
  });
}

/** The OpenAPI 3.1 document without a running bureau (for the security server before it starts). */
export function motorInsuranceOpenApi(): Promise<Record<string, unknown>> {
  return describedOpenApi(createMotorInsuranceService({} as MotorInsuranceBureau));
}
