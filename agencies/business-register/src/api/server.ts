// The register's REST API on the kit's member service: data services for X-Road (company detail,
// persons related to a company, representation rights of a person, the change feed), founding
// an OÜ, changes and deletion, and the open data files. Every answer with personal data names
// its subjects for the Data Tracker.
import {
  createMemberService,
  declareDataSubjects,
  describedOpenApi,
  errorAnswers,
  listenOrRelease,
  type MemberService,
  NO_QUERY,
  personalAnswer,
  XRoadRestClient,
} from "@riik/kit";
import { type TSchema, Type } from "typebox";
import { BUSINESS_REGISTER_ERRORS } from "../errors.ts";
import { APPLICATION, personFounders } from "../founding/application.ts";
import { actorOf, XRoadFoundingChecks } from "../founding/checks.ts";
import { OPEN_DATA_COLUMNS, type OpenDataSet, openData, toCsv } from "../open-data.ts";
import {
  type BusinessRegister,
  type BusinessRegisterLocation,
  type BusinessRegisterOptions,
  openBusinessRegister,
} from "../storage/register.ts";
import {
  ADDRESS_BODY,
  ANNUAL_REPORT_ANSWER,
  ANNUAL_REPORT_BODY,
  ANNUAL_REPORTS,
  APPLICATION_CREATED,
  APPLICATION_ID,
  APPLICATION_STATE,
  BOARD_BODY,
  CAPITAL_BODY,
  CHANGES,
  CHANGES_QUERY,
  CODE_PARAMS,
  COMPANY,
  COMPANY_PERSONS,
  NAME_CHECK,
  NAME_QUERY,
  OPEN_DATA_PARAMS,
  PERSON_APPLICATIONS,
  PERSON_COMPANIES,
  PERSON_PARAMS,
  REGISTRATION_BODY,
  REPRESENTATION_RIGHTS,
  SIGNATURE_BODY,
  SIGNATURE_STATE,
} from "./schemas.ts";

/** The person acting, from X-Road-UserId (PR-REST 4.3) as the security server passes it on. */
const actingOf = (request: { headers: Record<string, string | string[] | undefined> }) => {
  const actor = actorOf(request.headers["x-road-userid"]);
  return actor ? { actor } : {};
};

const CODE_REFUSED = "REQUEST_INVALID, or REGISTRY_CODE_INVALID (class or check digit)";
const NOT_FOUND = "No such company (COMPANY_NOT_FOUND)";
const CHANGE_REFUSED = "COMPANY_NOT_FOUND; COMPANY_DELETED (409)";

export function createBusinessRegisterService(register: BusinessRegister): MemberService {
  return createMemberService({
    name: "business-register",
    title: "riik e-Business Register",
    version: "1.0.0",
    description:
      "The e-Business Register (äriregister) of a riik state, kept by the Centre of Registers and Information Systems: companies by registry code, the persons on their registry cards, representation rights, founding a private limited company online with every founder's ASiC-E signature, changes, and the open data files.",
    errors: BUSINESS_REGISTER_ERRORS,
    bodyLimit: 4 * 1024 * 1024,
    routes(app) {
      // ---- data services (X-Road)
      app.get(
        "/companies/:code",
        {
          schema: {
            operationId: "getCompany",
            summary: "A company's detail data",
            params: CODE_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(COMPANY, "The company (names no person)"),
              ...errorAnswers({ 400: CODE_REFUSED, 404: NOT_FOUND }),
            },
          },
        },
        async (request, reply) => {
          const company = await register.company(request.params.code);
          declareDataSubjects(reply, []);
          return company;
        },
      );
      app.get(
        "/companies/:code/persons",
        {
          schema: {
            operationId: "getCompanyPersons",
            summary:
              "The persons on a company's registry card: board, shareholders, beneficial owners, contact person, founders",
            params: CODE_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(COMPANY_PERSONS, "The persons"),
              ...errorAnswers({ 400: CODE_REFUSED, 404: NOT_FOUND }),
            },
          },
        },
        async (request, reply) => {
          const persons = await register.persons(request.params.code);
          declareDataSubjects(
            reply,
            persons.map((p) => p.personalCode),
          );
          return {
            registryCode: request.params.code,
            persons,
            legalPersons: await register.legalPersons(request.params.code),
          };
        },
      );
      app.get(
        "/persons/:code/representation-rights",
        {
          schema: {
            operationId: "getRepresentationRights",
            summary: "The registered companies a person may act for, alone or jointly (Commercial Code § 181)",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(REPRESENTATION_RIGHTS, "The person's rights (an empty list when none)"),
              ...errorAnswers({ 400: "REQUEST_INVALID, or PERSONAL_CODE_INVALID (date or check digit)" }),
            },
          },
        },
        async (request, reply) => {
          const code = request.params.code.replace(/^EE/, "");
          const rights = await register.representationRights(code);
          declareDataSubjects(reply, [code]);
          return { personalCode: code, rights };
        },
      );
      app.get(
        "/persons/:code/applications",
        {
          schema: {
            operationId: "getPersonApplications",
            summary: "The open founding applications a person is a founder or board member of, with who has signed",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(PERSON_APPLICATIONS, "The applications (an empty list when none)"),
              ...errorAnswers({ 400: "REQUEST_INVALID, or PERSONAL_CODE_INVALID (date or check digit)" }),
            },
          },
        },
        async (request, reply) => {
          const code = request.params.code.replace(/^EE/, "");
          const applications = await register.personApplications(code);
          declareDataSubjects(reply, [
            code,
            ...applications.flatMap((a) => a.founders.flatMap((f) => (f.personalCode ? [f.personalCode] : []))),
          ]);
          return { applications };
        },
      );
      app.get(
        "/persons/:code/companies",
        {
          schema: {
            operationId: "getPersonCompanies",
            summary: "The companies a person is on the registry card of, with their roles (board, shareholder, …)",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(PERSON_COMPANIES, "The companies (an empty list when none)"),
              ...errorAnswers({ 400: "REQUEST_INVALID, or PERSONAL_CODE_INVALID (date or check digit)" }),
            },
          },
        },
        async (request, reply) => {
          const code = request.params.code.replace(/^EE/, "");
          const companies = await register.personCompanies(code);
          declareDataSubjects(reply, [code]);
          return { personalCode: code, companies };
        },
      );
      app.get(
        "/changes",
        {
          schema: {
            operationId: "getChanges",
            summary: "The change feed: journal entries after a cursor, in order",
            querystring: CHANGES_QUERY,
            response: {
              200: personalAnswer(CHANGES, "The entries and the next cursor"),
              ...errorAnswers({ 400: "REQUEST_INVALID" }),
            },
          },
        },
        async (request, reply) => {
          const page = await register.changes(request.query.after ?? 0, request.query.limit ?? 100);
          const subjects = page.entries.flatMap((e) => [
            ...(e.data && typeof e.data.personal_code === "string"
              ? [e.data.personal_code]
              : e.entity === "company"
                ? []
                : [e.key.split("/").at(-1) ?? ""]),
            // The person who made the change (X-Road-UserId) is named in it too.
            ...(e.data && typeof e.data.actor === "string" ? [e.data.actor.replace(/^EE/, "")] : []),
          ]);
          declareDataSubjects(
            reply,
            subjects.filter((s) => /^\d{11}$/.test(s)),
          );
          return page;
        },
      );
      app.get(
        "/name-check",
        {
          schema: {
            operationId: "checkName",
            summary: "Whether a name is taken (also by case, punctuation or legal form), and registered names like it",
            querystring: NAME_QUERY,
            response: { 200: NAME_CHECK, ...errorAnswers({ 400: "REQUEST_INVALID" }) },
          },
        },
        async (request, reply) => {
          // Names no person: served under the personal applications service too, whose
          // security server refuses an answer without the header (fail closed).
          declareDataSubjects(reply, []);
          return register.nameCheck(request.query.name);
        },
      );

      // ---- founding
      app.post(
        "/applications",
        {
          schema: {
            operationId: "createApplication",
            summary: "A founding application of an OÜ: checked, and the document every founder signs",
            querystring: NO_QUERY,
            body: APPLICATION,
            response: {
              201: personalAnswer(APPLICATION_CREATED, "The application"),
              ...errorAnswers({
                400: "REQUEST_INVALID, APPLICATION_INVALID, NAME_INVALID, PERSONAL_CODE_INVALID, CAPITAL_TOO_LOW",
                409: "NAME_TAKEN (details.similar lists the names like it)",
                429: "FOUNDING_RATE_LIMITED: this client's applications of the hour are used up",
              }),
            },
          },
        },
        async (request, reply) => {
          // The bound is per X-Road client (the portal, …); a caller not through X-Road by its address.
          const client = request.headers["x-road-client"];
          const created = await register.createApplication(request.body, {
            client: typeof client === "string" && client ? `xroad:${client}` : `address:${request.ip}`,
          });
          declareDataSubjects(
            reply,
            personFounders(request.body).map((f) => f.personalCode),
          );
          return reply.status(201).send(created);
        },
      );
      app.get(
        "/applications/:id",
        {
          schema: {
            operationId: "getApplication",
            params: APPLICATION_ID,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(APPLICATION_STATE, "The application and who has signed it"),
              ...errorAnswers({ 400: "REQUEST_INVALID", 404: "APPLICATION_NOT_FOUND" }),
            },
          },
        },
        async (request, reply) => {
          const { document: _document, ...state } = await register.application(request.params.id);
          declareDataSubjects(reply, [
            ...personFounders(state.application).map((f) => f.personalCode),
            ...state.signedBy,
          ]);
          return state;
        },
      );
      app.post(
        "/applications/:id/signatures",
        {
          schema: {
            operationId: "signApplication",
            summary: "A founder's ASiC-E container over the application document",
            params: APPLICATION_ID,
            querystring: NO_QUERY,
            body: SIGNATURE_BODY,
            response: {
              200: personalAnswer(SIGNATURE_STATE, "Who has signed and who has not"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                403: "SIGNER_NOT_FOUNDER",
                404: "APPLICATION_NOT_FOUND",
                409: "SIGNED_OTHER_VERSION, APPLICATION_CLOSED",
                422: "SIGNATURE_INVALID (details.findings: the validator's finding codes; a revoked or expired card among them)",
              }),
            },
          },
        },
        async (request, reply) => {
          const state = await register.sign(request.params.id, Buffer.from(request.body.container, "base64"));
          declareDataSubjects(
            reply,
            [...state.signedBy, ...state.missing].filter((c) => c.length === 11),
          );
          return state;
        },
      );
      app.post(
        "/applications/:id/registration",
        {
          schema: {
            operationId: "registerCompany",
            summary: "Registration: every founder signed, the fee paid, the checks passed; all in one transaction",
            params: APPLICATION_ID,
            querystring: NO_QUERY,
            body: REGISTRATION_BODY,
            response: {
              201: personalAnswer(COMPANY, "The company registered"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                402: "FEE_NOT_PAID",
                404: "APPLICATION_NOT_FOUND",
                409: "SIGNATURES_MISSING, NAME_TAKEN, BOARD_MEMBER_BANNED, APPLICATION_CLOSED",
                422: "PERSON_UNKNOWN, PERSON_DECEASED, E_RESIDENCY_INVALID, SIGNER_CERTIFICATE_REVOKED",
                503: "CHECKS_UNAVAILABLE: a register or the OCSP responder did not answer; nothing registered",
              }),
            },
          },
        },
        async (request, reply) => {
          const company = await register.register(request.params.id, request.body.feeReceipt, actingOf(request));
          declareDataSubjects(reply, []);
          return reply.status(201).send(company);
        },
      );

      // ---- changes
      const changing = <Body extends TSchema>(operationId: string, body: Body) => ({
        schema: {
          operationId,
          params: CODE_PARAMS,
          querystring: NO_QUERY,
          body,
          response: {
            200: personalAnswer(COMPANY, "The company as changed"),
            ...errorAnswers({
              400: `${CODE_REFUSED}, CAPITAL_TOO_LOW, CHANGE_INVALID, PERSONAL_CODE_INVALID`,
              404: NOT_FOUND,
              409: CHANGE_REFUSED,
            }),
          },
        },
      });
      app.put("/companies/:code/address", changing("changeAddress", ADDRESS_BODY), async (request, reply) => {
        const company = await register.changeAddress(request.params.code, request.body.seatAddress, actingOf(request));
        declareDataSubjects(reply, []);
        return company;
      });
      app.put("/companies/:code/capital", changing("changeCapital", CAPITAL_BODY), async (request, reply) => {
        const company = await register.changeCapital(
          request.params.code,
          request.body.shareCapitalCents,
          actingOf(request),
        );
        declareDataSubjects(reply, []);
        return company;
      });
      app.put("/companies/:code/board", changing("changeBoard", BOARD_BODY), async (request, reply) => {
        const company = await register.changeBoard(
          request.params.code,
          request.body.board,
          request.body.representation,
          actingOf(request),
        );
        declareDataSubjects(reply, []);
        return company;
      });
      app.delete(
        "/companies/:code",
        {
          schema: {
            operationId: "deleteCompany",
            params: CODE_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(COMPANY, "The company, deleted"),
              ...errorAnswers({ 400: CODE_REFUSED, 404: NOT_FOUND, 409: CHANGE_REFUSED }),
            },
          },
        },
        async (request, reply) => {
          const company = await register.deleteCompany(request.params.code, actingOf(request));
          declareDataSubjects(reply, []);
          return company;
        },
      );

      // ---- annual reports
      app.post(
        "/companies/:code/annual-reports",
        {
          schema: {
            operationId: "submitAnnualReport",
            summary: "An annual report: an ASiC-E container signed by a board member with representation rights",
            params: CODE_PARAMS,
            querystring: NO_QUERY,
            body: ANNUAL_REPORT_BODY,
            response: {
              201: personalAnswer(ANNUAL_REPORT_ANSWER, "The report as listed on the company"),
              ...errorAnswers({
                400: `${CODE_REFUSED}, ANNUAL_REPORT_INVALID`,
                403: "SIGNER_NOT_REPRESENTATIVE",
                404: NOT_FOUND,
                409: "ANNUAL_REPORT_EXISTS, SIGNATURES_MISSING (joint representation), COMPANY_DELETED",
                422: "SIGNATURE_INVALID, SIGNER_CERTIFICATE_REVOKED",
                503: "CHECKS_UNAVAILABLE (the OCSP responder did not answer)",
              }),
            },
          },
        },
        async (request, reply) => {
          const report = await register.submitAnnualReport(
            request.params.code,
            request.body.financialYear,
            Buffer.from(request.body.container, "base64"),
            actingOf(request),
          );
          declareDataSubjects(reply, report.signedBy);
          return reply.status(201).send(report);
        },
      );
      app.get(
        "/companies/:code/annual-reports",
        {
          schema: {
            operationId: "getAnnualReports",
            summary: "The annual reports on a company's file, newest year first",
            params: CODE_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(ANNUAL_REPORTS, "The reports and who signed them"),
              ...errorAnswers({ 400: CODE_REFUSED, 404: NOT_FOUND }),
            },
          },
        },
        async (request, reply) => {
          const annualReports = await register.annualReports(request.params.code);
          declareDataSubjects(
            reply,
            annualReports.flatMap((r) => r.signedBy),
          );
          return { registryCode: request.params.code, annualReports };
        },
      );

      // ---- open data
      app.get(
        "/open-data/:file",
        {
          schema: {
            operationId: "getOpenData",
            summary:
              "Open data: companies, persons on the registry card, beneficial owners (JSON or CSV, no personal codes)",
            params: OPEN_DATA_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: {
                description: "The file: a JSON array, or RFC 4180 CSV",
                content: {
                  "application/json": { schema: Type.Array(Type.Record(Type.String(), Type.Unknown())) },
                  "text/csv": { schema: Type.String() },
                },
              },
              ...errorAnswers({ 400: "REQUEST_INVALID" }),
            },
          },
        },
        async (request, reply) => {
          const [set, format] = request.params.file.split(".") as [OpenDataSet, "json" | "csv"];
          const rows = await openData(register, set);
          reply.header("content-disposition", `attachment; filename="${request.params.file}"`);
          if (format === "csv") return reply.type("text/csv; charset=utf-8").send(toCsv(rows, OPEN_DATA_COLUMNS[set]));
          return reply.type("application/json; charset=utf-8").send(rows);
        },
      );
    },
  });
}

/** The OpenAPI 3.1 document without a running register (for the security server before it starts). */
export function businessRegisterOpenApi(serverUrl?: string): Promise<Record<string, unknown>> {
  return describedOpenApi(createBusinessRegisterService({} as BusinessRegister), serverUrl);
}

export interface BusinessRegisterServerOptions extends BusinessRegisterLocation, BusinessRegisterOptions {
  port: number;
  host?: string;
  /** The founding checks over X-Road (contract E); without it, `checks` (default: none). */
  xroad?: {
    securityServer: string;
    client: string;
    personsService: string;
    eResidentsService?: string;
    businessBansService?: string;
  };
}

export interface BusinessRegisterServer {
  url: string;
  service: MemberService;
  register: BusinessRegister;
  close(): Promise<void>;
}

/** `riik business serve`: opens (and migrates) the register and serves its API. */
export async function startBusinessRegister(options: BusinessRegisterServerOptions): Promise<BusinessRegisterServer> {
  const { port, host, trustAnchors, checks: given, xroad, foundingHourlyLimit, ...location } = options;
  const client = xroad
    ? new XRoadRestClient({ securityServer: xroad.securityServer, client: xroad.client })
    : undefined;
  const checks =
    client && xroad
      ? new XRoadFoundingChecks({
          xroad: client,
          client: xroad.client,
          personsService: xroad.personsService,
          ...(xroad.eResidentsService ? { eResidentsService: xroad.eResidentsService } : {}),
          ...(xroad.businessBansService ? { businessBansService: xroad.businessBansService } : {}),
        })
      : given;
  const register = await openBusinessRegister(location, {
    trustAnchors,
    ...(checks ? { checks } : {}),
    ...(foundingHourlyLimit ? { foundingHourlyLimit } : {}),
  });
  const service = createBusinessRegisterService(register);
  const url = await listenOrRelease(service, { port, host }, async () => {
    await register.close();
    await client?.close();
  });
  service.logger.info({ url }, "business register listening");
  return {
    url,
    service,
    register,
    close: async () => {
      await service.close();
      await register.close();
      await client?.close();
    },
  };
}
