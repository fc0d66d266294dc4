// The land register's REST API on the kit's member service: public reads of register parts
// (parts I-IV), a person's property, the file only with a legitimate interest, the notaries'
// applications (X-Road-Client is the notary's system) and the registrars' decisions. Every
// answer carrying a person's property data names them for the Data Tracker.
import {
  createMemberService,
  declareDataSubjects,
  describedOpenApi,
  errorAnswers,
  type MemberService,
  NO_QUERY,
  personalAnswer,
} from "@riik/kit";
import { parseDeed, requiredSigners } from "../deed/deed.ts";
import { LAND_REGISTER_ERRORS, LandRegisterError } from "../errors.ts";
import type { Owner } from "../model/register-part.ts";
import type { Application, LandRegister } from "../storage/register.ts";
import {
  APPLICATION,
  APPLICATION_PARAMS,
  DECISION,
  FILE,
  JOURNAL_PARAMS,
  NEW_APPLICATION,
  NEW_REGISTER_PART,
  PART_PARAMS,
  PERSON_PARAMS,
  PERSON_PARTS,
  REGISTER_PART,
} from "./schemas.ts";

export interface LandRegisterServiceOptions {
  /** X-Road clients of the land registry department: open register parts, decide applications. */
  registrars?: readonly string[];
  /** X-Road clients with a legitimate interest in every file: notaries' and courts' systems. */
  fileClients?: readonly string[];
}

type XRoadRequest = { headers: Record<string, string | string[] | undefined> };
const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
const clientOf = (request: XRoadRequest) => header(request.headers["x-road-client"]);
/** The person acting in the portal (X-Road-UserId EE + personal code), if any. */
const personActing = (request: XRoadRequest) => {
  const value = header(request.headers["x-road-userid"]);
  return value && /^EE[0-9]{11}$/.test(value) ? value.slice(2) : undefined;
};
const persons = (owners: readonly Owner[]) => owners.filter((o) => o.kind === "person").map((o) => o.code);
/** The persons a deed names (parties and representatives; the notary acts in office). */
const deedPersons = (deed: string) =>
  requiredSigners(parseDeed(Buffer.from(deed, "utf8")))
    .filter((s) => s.role !== "notary")
    .map((s) => s.personalCode);

export function createLandRegisterService(
  register: LandRegister,
  options: LandRegisterServiceOptions = {},
): MemberService {
  const registrars = new Set(options.registrars ?? []);
  const fileClients = new Set(options.fileClients ?? []);
  const registrar = (request: XRoadRequest): string => {
    const client = clientOf(request);
    if (!client || !registrars.has(client))
      throw new LandRegisterError("NOT_A_REGISTRAR", "only the land registry department's registrars do this");
    return client;
  };
  return createMemberService({
    name: "land-register",
    title: "riik land register",
    version: "1.0.0",
    description:
      "The land register (kinnistusraamat): register parts with parts I-IV (composition, owners, encumbrances, mortgages), the journal of the notaries' applications ranked by arrival, the registrars' entries anchored in the integrity ledger, and the file for those with a legitimate interest.",
    errors: LAND_REGISTER_ERRORS,
    // A deed container with three or more B-LT signatures is some tens of KB; base64 adds a third.
    bodyLimit: 5 * 1024 * 1024,
    routes(app) {
      app.get(
        "/register-parts/:number",
        {
          schema: {
            operationId: "getRegisterPart",
            summary: "A register part, public: parts I-IV and its entries with their ledger signatures (not the file)",
            params: PART_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(REGISTER_PART, "The register part"),
              ...errorAnswers({ 400: "REQUEST_INVALID", 404: "REGISTER_PART_NOT_FOUND" }),
            },
          },
        },
        async (request, reply) => {
          const part = await register.registerPart(request.params.number);
          declareDataSubjects(reply, persons(part.owners));
          return part;
        },
      );
      app.get(
        "/persons/:code/register-parts",
        {
          schema: {
            operationId: "getPersonRegisterParts",
            summary: "The register parts a person owns (parts I-IV)",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(PERSON_PARTS, "The register parts (an empty list when none)"),
              ...errorAnswers({ 400: "REQUEST_INVALID" }),
            },
          },
        },
        async (request, reply) => {
          const code = request.params.code.replace(/^EE/, "");
          const registerParts = await register.partsOf(code);
          declareDataSubjects(reply, [code, ...registerParts.flatMap((p) => persons(p.owners))]);
          return { personalCode: code, registerParts };
        },
      );
      app.post(
        "/register-parts",
        {
          schema: {
            operationId: "openRegisterPart",
            summary: "A registrar opens a register part (entry 1, anchored)",
            querystring: NO_QUERY,
            body: NEW_REGISTER_PART,
            response: {
              201: personalAnswer(REGISTER_PART, "The register part"),
              ...errorAnswers({
                400: "REQUEST_INVALID, REGISTER_PART_INVALID, CADASTRAL_CODE_INVALID, SHARES_INVALID, PERSONAL_CODE_INVALID, REGISTRY_CODE_INVALID",
                403: "NOT_A_REGISTRAR",
                409: "REGISTER_PART_EXISTS",
                503: "LEDGER_UNAVAILABLE",
              }),
            },
          },
        },
        async (request, reply) => {
          const part = await register.openRegisterPart(registrar(request), request.body);
          declareDataSubjects(reply, persons(part.owners));
          return reply.status(201).send(part);
        },
      );
      app.get(
        "/register-parts/:number/file",
        {
          schema: {
            operationId: "getRegisterPartFile",
            summary:
              "The file: applications with their signed deeds, to an owner (X-Road-UserId) or a notary's or court's system",
            params: PART_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(FILE, "The applications by rank"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                403: "NO_LEGITIMATE_INTEREST",
                404: "REGISTER_PART_NOT_FOUND",
              }),
            },
          },
        },
        async (request, reply) => {
          const part = await register.registerPart(request.params.number);
          const client = clientOf(request);
          const person = personActing(request);
          const interested =
            (client !== undefined && (fileClients.has(client) || registrars.has(client))) ||
            (person !== undefined && persons(part.owners).includes(person));
          if (!interested)
            throw new LandRegisterError(
              "NO_LEGITIMATE_INTEREST",
              "the file is shown to the owners and to notaries and courts only (Land Register Act § 74)",
            );
          const applications = await register.file(part.number);
          declareDataSubjects(reply, [...persons(part.owners), ...applications.flatMap((a) => deedPersons(a.deed))]);
          return { registerPart: part.number, applications };
        },
      );
      app.post(
        "/applications",
        {
          schema: {
            operationId: "fileApplication",
            summary:
              "A notary files a signed deed (transfer or mortgage); filing it again answers the application filed",
            querystring: NO_QUERY,
            body: NEW_APPLICATION,
            response: {
              200: personalAnswer(APPLICATION, "Filed before under this id with this container"),
              201: personalAnswer(APPLICATION, "Filed: in the journal, waiting for the registrar"),
              ...errorAnswers({
                400: "REQUEST_INVALID, DEED_INVALID, PERSONAL_CODE_INVALID, REGISTRY_CODE_INVALID, SHARES_INVALID",
                403: "NO_LEGITIMATE_INTEREST (no X-Road-Client)",
                404: "REGISTER_PART_NOT_FOUND",
                409: "APPLICATION_ID_REUSED",
                422: "SIGNATURE_INVALID (details.findings), DEED_CHANGED, SIGNATURE_MISSING (details.missing), SELLER_NOT_OWNER, BUYER_BANNED",
                503: "BAN_CHECK_UNAVAILABLE",
              }),
            },
          },
        },
        async (request, reply) => {
          const client = clientOf(request);
          if (!client)
            throw new LandRegisterError(
              "NO_LEGITIMATE_INTEREST",
              "an application is filed by a notary's system (X-Road-Client)",
            );
          const { application, created } = await register.fileApplication(
            client,
            Buffer.from(request.body.container, "base64"),
          );
          declareDataSubjects(reply, deedPersons(application.deed));
          return reply.status(created ? 201 : 200).send(application);
        },
      );
      app.get(
        "/applications/:id",
        {
          schema: {
            operationId: "getApplication",
            summary: "An application by the notary's id: to the notary's system that filed it, registrars, courts",
            params: APPLICATION_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(APPLICATION, "The application and where it is"),
              ...errorAnswers({ 400: "REQUEST_INVALID", 403: "NO_LEGITIMATE_INTEREST", 404: "APPLICATION_NOT_FOUND" }),
            },
          },
        },
        async (request, reply) => {
          const application = await register.application(request.params.id);
          const client = clientOf(request);
          if (!client || !(client === application.filedBy || registrars.has(client) || fileClients.has(client)))
            throw new LandRegisterError("NO_LEGITIMATE_INTEREST", "an application is shown to the notary who filed it");
          declareDataSubjects(reply, deedPersons(application.deed));
          return application;
        },
      );
      app.post(
        "/journal/:journal/decision",
        {
          schema: {
            operationId: "decideApplication",
            summary: "A registrar enters or refuses the application with this journal number (anchored entry)",
            params: JOURNAL_PARAMS,
            querystring: NO_QUERY,
            body: DECISION,
            response: {
              200: personalAnswer(APPLICATION, "The application decided"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                403: "NOT_A_REGISTRAR",
                404: "APPLICATION_NOT_FOUND",
                409: "RANK_BLOCKED (details.waitingBehind), APPLICATION_DECIDED",
                422: "SELLER_NOT_OWNER, SIGNATURE_MISSING (the register part changed since filing)",
                503: "LEDGER_UNAVAILABLE",
              }),
            },
          },
        },
        async (request, reply) => {
          const by = registrar(request);
          const body = request.body;
          const application: Application = await register.decide(
            by,
            request.params.journal,
            body.decision === "enter" ? { enter: true } : { enter: false, reason: body.reason },
          );
          declareDataSubjects(reply, deedPersons(application.deed));
          return application;
        },
      );
    },
  });
}

/** The OpenAPI 3.1 document without a running register (for the security server before it starts). */
export function landRegisterOpenApi(): Promise<Record<string, unknown>> {
  return describedOpenApi(createLandRegisterService({} as LandRegister));
}
