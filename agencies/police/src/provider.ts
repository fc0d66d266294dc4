import {
  declareDataSubjects,
  errorAnswers,
  isValidPersonalCode,
  NO_QUERY,
  personalAnswer,
  type RiikFastify,
} from "@riik/kit";
import { Type } from "typebox";
import { backgroundCheck } from "./checks/background-check.ts";
import { PoliceError } from "./errors.ts";
import type { PoliceRecords } from "./records/police-records.ts";
import type { SanctionsList } from "./sanctions/eu-sanctions-list.ts";

const NAME = Type.String({ minLength: 1, maxLength: 200, pattern: "^[^\\p{Cc}\\p{Cs}]*\\p{L}[^\\p{Cc}\\p{Cs}]*$" });
const PERSONAL_CODE = Type.String({ pattern: "^[1-8][0-9]{10}$" });

/** `POST /background-checks` (service background-checks): a person as their travel document names them. */
export const BACKGROUND_CHECK_REQUEST = Type.Object(
  {
    givenName: NAME,
    surname: NAME,
    dateOfBirth: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" }),
    /** ISO 3166-1 alpha-2 */
    citizenship: Type.String({ pattern: "^[A-Z]{2}$" }),
    /** ICAO 9303 document number: letters, digits and the filler <. */
    documentNumber: Type.String({ pattern: "^[A-Z0-9<]{1,32}$" }),
    personalCode: Type.Optional(PERSONAL_CODE),
  },
  { additionalProperties: false },
);

const FINDING = Type.Object({
  source: Type.Union([Type.Literal("criminal-record"), Type.Literal("sanctions"), Type.Literal("business-ban")]),
  reference: Type.String(),
  reason: Type.String(),
});

const BACKGROUND_CHECK_ANSWER = Type.Object({
  checkedAt: Type.String({ format: "date-time" }),
  result: Type.Union([Type.Literal("clear"), Type.Literal("hit")]),
  findings: Type.Array(FINDING),
});

const BUSINESS_BAN_ANSWER = Type.Object({
  personalCode: Type.String(),
  banned: Type.Boolean(),
  /** The ban's last day; absent when not banned or banned until lifted. */
  until: Type.Optional(Type.String()),
  reference: Type.Optional(Type.String()),
});

const realDate = (day: string) => {
  const at = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === day;
};

const ERRORS = errorAnswers({ 400: "REQUEST_INVALID (schema) or POLICE_INPUT (a date or check digit)" });

/**
 * The police as an X-Road provider (subsystem police-app): background checks for the
 * e-Residency agency, business bans for the business register. Both are personal-data
 * services: every answer names, in X-Riik-Data-Subjects, the persons it rests on.
 */
export function providerRoutes(app: RiikFastify, records: PoliceRecords, sanctions: SanctionsList): void {
  app.post(
    "/background-checks",
    {
      schema: {
        operationId: "backgroundCheck",
        summary: "Criminal records, business bans and the EU sanctions list for one person",
        body: BACKGROUND_CHECK_REQUEST,
        querystring: NO_QUERY,
        response: {
          200: personalAnswer(BACKGROUND_CHECK_ANSWER, "The findings; none is a clear check"),
          400: ERRORS[400]!,
        },
      },
    },
    async (request, reply) => {
      const asked = request.body;
      const problems: Record<string, string> = {};
      if (!realDate(asked.dateOfBirth) || asked.dateOfBirth > new Date().toISOString().slice(0, 10))
        problems["/dateOfBirth"] = "must be a real date, not in the future";
      if (asked.personalCode !== undefined && !isValidPersonalCode(asked.personalCode))
        problems["/personalCode"] = "not a valid personal identification code (EVS 585)";
      const paths = Object.keys(problems);
      if (paths.length > 0)
        throw new PoliceError("POLICE_INPUT", `bad check: ${paths.map((p) => `${p} ${problems[p]}`).join("; ")}`, {
          details: { problems },
        });
      const check = await backgroundCheck(records, sanctions, asked);
      await records.logCheck({
        checked_at: check.checkedAt,
        consumer: request.headers["x-road-client"]?.toString() ?? null,
        given_name: asked.givenName,
        surname: asked.surname,
        date_of_birth: asked.dateOfBirth,
        citizenship: asked.citizenship,
        document_number: asked.documentNumber,
        personal_code: asked.personalCode ?? null,
        result: check.result,
        findings: JSON.stringify(check.findings),
      });
      request.log.info({ result: check.result, findings: check.findings.length }, "background check");
      // An applicant without a personal code yet is named by nobody: the header says so explicitly.
      declareDataSubjects(reply, check.subjects);
      return { checkedAt: check.checkedAt, result: check.result, findings: check.findings };
    },
  );

  app.get(
    "/business-bans/:personalCode",
    {
      schema: {
        operationId: "businessBan",
        summary: "Whether a person is banned from business (board seats) now",
        params: Type.Object({ personalCode: PERSONAL_CODE }),
        querystring: NO_QUERY,
        response: { 200: personalAnswer(BUSINESS_BAN_ANSWER, "The ban in force, if any"), 400: ERRORS[400]! },
      },
    },
    async (request, reply) => {
      const { personalCode } = request.params;
      if (!isValidPersonalCode(personalCode))
        throw new PoliceError("POLICE_INPUT", "the personal code's date or check digit is wrong (EVS 585)", {
          details: { problems: { "/personalCode": "not a valid personal identification code (EVS 585)" } },
        });
      const ban = await records.businessBanOf(personalCode);
      declareDataSubjects(reply, [personalCode]);
      if (!ban) return { personalCode, banned: false };
      return { personalCode, banned: true, ...(ban.until ? { until: ban.until } : {}), reference: ban.reference };
    },
  );
}
