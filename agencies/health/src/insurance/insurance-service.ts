// The fund's API over X-Road: "is this person insured today" (the pharmacy, a provider, the
// portal ask; the answer names the person for the Data Tracker), and the periods the registers
// behind it (employment, pensions, the unemployment fund) report.
import { createMemberService, declareDataSubjects, errorAnswers, type MemberService, personalAnswer } from "@riik/kit";
import { Type } from "typebox";
import { INSURANCE_BASES, INSURANCE_ERRORS, type InsuranceRegister } from "./insurance-register.ts";

const PERSON = Type.Object(
  { code: Type.String({ pattern: "^(EE)?[1-8][0-9]{10}$", description: "personal code, or EE + personal code" }) },
  { additionalProperties: false },
);
const ON = Type.Object(
  {
    on: Type.Optional(
      Type.String({ pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description: "the day asked about; today by default" }),
    ),
  },
  { additionalProperties: false },
);
const PERIOD = Type.Object(
  {
    basis: Type.Enum(INSURANCE_BASES),
    start: Type.String({ pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" }),
    end: Type.Union([Type.String({ pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" }), Type.Null()]),
  },
  { additionalProperties: false },
);
const PERIOD_ANSWER = Type.Object({ personalCode: Type.String(), ...PERIOD.properties });
/** "Is this person insured on `on`": also what the prescription centre reads (insurance-check.ts). */
export const INSURANCE_ANSWER = Type.Object({
  personalCode: Type.String(),
  on: Type.String(),
  insured: Type.Boolean(),
  period: Type.Union([PERIOD_ANSWER, Type.Null()]),
});

export function createInsuranceService(register: InsuranceRegister): MemberService {
  return createMemberService({
    name: "health-insurance",
    title: "riik health insurance fund",
    version: "1.0.0",
    description:
      "Whether a person is insured on a day (the ID card is the insurance card), and the insurance periods behind it.",
    errors: INSURANCE_ERRORS,
    routes(app) {
      app.get(
        "/persons/:code/insurance",
        {
          schema: {
            operationId: "getInsurance",
            summary: "Is this person insured today (or on `on`)",
            params: PERSON,
            querystring: ON,
            response: {
              200: personalAnswer(INSURANCE_ANSWER, "The answer, with the covering period"),
              ...errorAnswers({ 400: "REQUEST_INVALID, PERSONAL_CODE_INVALID" }),
            },
          },
        },
        async (request, reply) => {
          const answer = await register.insuredOn(request.params.code, request.query.on);
          declareDataSubjects(reply, [answer.personalCode]);
          return answer;
        },
      );
      app.post(
        "/persons/:code/insurance-periods",
        {
          schema: {
            operationId: "recordInsurancePeriod",
            summary: "A register reports a period of insurance (recorded again, its end is updated)",
            params: PERSON,
            body: PERIOD,
            response: {
              200: personalAnswer(PERIOD_ANSWER, "The period as recorded"),
              ...errorAnswers({ 400: "REQUEST_INVALID, PERSONAL_CODE_INVALID, PERIOD_INVALID" }),
            },
          },
        },
        async (request, reply) => {
          const period = await register.record({ personalCode: request.params.code, ...request.body });
          declareDataSubjects(reply, [period.personalCode]);
          return period;
        },
      );
    },
  });
}

export async function insuranceOpenApi(): Promise<Record<string, unknown>> {
  const service = createInsuranceService({} as InsuranceRegister);
  try {
    return await service.openapi();
  } finally {
    await service.close();
  }
}
