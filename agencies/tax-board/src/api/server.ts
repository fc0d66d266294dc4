// The Board's REST API on the kit's member service. Payers' systems send declarations (the
// X-Road client must be the payer); the portal shows a person their pre-filled return, takes
// a correction and the confirmation, for the person acting (X-Road-UserId) only.
import {
  createMemberService,
  declareDataSubjects,
  describedOpenApi,
  errorAnswers,
  type MemberService,
  NO_QUERY,
  personalAnswer,
} from "@riik/kit";
import type { TSchema } from "typebox";
import { TAX_BOARD_ERRORS, TaxBoardError } from "../errors.ts";
import { payerCode, senderIsPayer } from "../model/payer.ts";
import type { PopulationSource, Resident } from "../population/population-source.ts";
import { assertOpen, type ReturnView, type TaxBoard } from "../storage/board.ts";
import {
  CONFIRMATION,
  CORRECTION,
  DECLARATION_PARAMS,
  LINE_PARAMS,
  PAYROLL_DECLARATION,
  RECEIPT,
  RETURN,
  RETURN_PARAMS,
  YEAR_DECLARATION,
} from "./schemas.ts";

const DECLARATION_REFUSED =
  "REQUEST_INVALID (negative amounts too), DECLARATION_INVALID, REGISTRY_CODE_INVALID, PERSONAL_CODE_INVALID";
const NOT_THE_PAYER = "NOT_THE_PAYER: X-Road-Client is not the payer's own subsystem";
const RETURN_REFUSED = {
  400: "REQUEST_INVALID",
  403: "NOT_THE_PERSON: X-Road-UserId is not EE + this personal code",
  409: "RETURN_NOT_OPEN: before 15 February of the next year",
  422: "RULES_NOT_IN_FORCE (a year riik has no rules for), NOT_RESIDENT (not in the population register)",
  503: "REGISTER_UNAVAILABLE: the population register could not be read; nothing was written",
};

export interface TaxBoardServiceOptions {
  /** The population register as the Board reads it (over X-Road when served). */
  population: PopulationSource;
  /** The clock the 15 February opening is judged by (tests). */
  now?: () => Date;
}

/**
 * The person of the path, who must be the one acting: the portal asks for the person logged in,
 * but the Board does not rely on that alone.
 */
function ownPerson(path: string, header: string | string[] | undefined): string {
  const code = path.replace(/^EE/, "");
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== `EE${code}`)
    throw new TaxBoardError(
      "NOT_THE_PERSON",
      `the return of ${code} is shown to and confirmed by that person only (X-Road-UserId EE${code})`,
    );
  return code;
}

const subjectsOf = (view: ReturnView) => [
  view.taxReturn.personalCode,
  ...view.taxReturn.lines.flatMap((l) => (l.source.kind === "population-register" ? l.source.children : [])),
];

export function createTaxBoardService(board: TaxBoard, options: TaxBoardServiceOptions): MemberService {
  const now = options.now ?? (() => new Date());
  /** The person acting, found in the population register (outside any transaction). */
  const resident = async (
    params: { year: string; code: string },
    header: string | string[] | undefined,
  ): Promise<Resident> => {
    const code = ownPerson(params.code, header);
    // Refused before the register is read, so a refused request leaves no use in anyone's Data Tracker.
    assertOpen(Number(params.year), now());
    const found = await options.population.resident(code);
    if (!found)
      throw new TaxBoardError(
        "NOT_RESIDENT",
        `${code} is not in the population register: the pre-filled return is for residents`,
      );
    return found;
  };
  const declarationRoute = <B extends TSchema>(operationId: string, summary: string, body: B) => ({
    schema: {
      operationId,
      summary,
      querystring: NO_QUERY,
      body,
      response: {
        200: { ...RECEIPT, description: "The receipt (replayed: true when this id was received before)" },
        ...errorAnswers({
          400: DECLARATION_REFUSED,
          403: NOT_THE_PAYER,
          409: "DECLARATION_CONFLICT: this id was received with other content",
        }),
      },
    },
  });

  return createMemberService({
    name: "tax-board",
    title: "riik Tax and Customs Board",
    version: "1.0.0",
    description:
      "Declarations from employers, banks and pension funds, and the income tax return pre-filled from them: every line with its source and the reason for its amount, confirmed in one action, the refund scheduled.",
    errors: TAX_BOARD_ERRORS,
    bodyLimit: 4 * 1024 * 1024,
    routes(app) {
      app.post(
        "/payroll-declarations",
        declarationRoute(
          "submitPayrollDeclaration",
          "An employer's monthly payroll declaration (TSD annex 1)",
          PAYROLL_DECLARATION,
        ),
        async (request) =>
          board.declarePayroll(request.headers["x-road-client"] as string | undefined, request.body, now()),
      );
      app.post(
        "/housing-loan-interest-declarations",
        declarationRoute(
          "submitHousingLoanInterest",
          "A bank's housing-loan interest paid per person for a year",
          YEAR_DECLARATION,
        ),
        async (request) =>
          board.declareYear(
            "housing-loan-interest",
            request.headers["x-road-client"] as string | undefined,
            request.body,
            now(),
          ),
      );
      app.post(
        "/voluntary-pension-declarations",
        declarationRoute(
          "submitVoluntaryPension",
          "A pension fund's III pillar contributions per person for a year",
          YEAR_DECLARATION,
        ),
        async (request) =>
          board.declareYear(
            "voluntary-pension",
            request.headers["x-road-client"] as string | undefined,
            request.body,
            now(),
          ),
      );
      app.get(
        "/declarations/:payer/:id",
        {
          schema: {
            operationId: "getDeclaration",
            summary: "A declaration as received, with the persons the population register does not (yet) know",
            params: DECLARATION_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: RECEIPT,
              ...errorAnswers({
                400: "REQUEST_INVALID, REGISTRY_CODE_INVALID",
                403: NOT_THE_PAYER,
                404: "DECLARATION_NOT_FOUND",
              }),
            },
          },
        },
        async (request) => {
          const payer = payerCode(request.params.payer);
          senderIsPayer(request.headers["x-road-client"], payer);
          const receipt = await board.declaration(payer, request.params.id);
          if (!receipt)
            throw new TaxBoardError("DECLARATION_NOT_FOUND", `no declaration ${request.params.id} of ${payer}`);
          return receipt;
        },
      );

      app.get(
        "/returns/:year/:code",
        {
          schema: {
            operationId: "getReturn",
            summary:
              "The person's income tax return for a year: pre-filled lines with their sources, the tax, the refund or amount due",
            params: RETURN_PARAMS,
            querystring: NO_QUERY,
            response: { 200: personalAnswer(RETURN, "The return"), ...errorAnswers(RETURN_REFUSED) },
          },
        },
        async (request, reply) => {
          const person = await resident(request.params, request.headers["x-road-userid"]);
          const view = await board.taxReturn(Number(request.params.year), person, now());
          declareDataSubjects(reply, subjectsOf(view));
          return view;
        },
      );
      app.put(
        "/returns/:year/:code/lines/:line",
        {
          schema: {
            operationId: "correctReturnLine",
            summary: "The person's own figure for a line: training, interest:<bank> or pension:<fund>",
            params: LINE_PARAMS,
            querystring: NO_QUERY,
            body: CORRECTION,
            response: {
              200: personalAnswer(RETURN, "The return with the correction"),
              ...errorAnswers({
                ...RETURN_REFUSED,
                400: "REQUEST_INVALID, LINE_NOT_CORRECTABLE",
                409: "RETURN_NOT_OPEN, RETURN_ALREADY_CONFIRMED",
              }),
            },
          },
        },
        async (request, reply) => {
          const person = await resident(request.params, request.headers["x-road-userid"]);
          const view = await board.correct(
            Number(request.params.year),
            person,
            request.params.line,
            request.body.amountCents,
            now(),
          );
          declareDataSubjects(reply, subjectsOf(view));
          return view;
        },
      );
      app.post(
        "/returns/:year/:code/confirmation",
        {
          schema: {
            operationId: "confirmReturn",
            summary: "The person confirms the return as shown; a refund is scheduled to the account given",
            params: RETURN_PARAMS,
            querystring: NO_QUERY,
            body: CONFIRMATION,
            response: {
              200: personalAnswer(RETURN, "The confirmed return"),
              ...errorAnswers({
                ...RETURN_REFUSED,
                400: "REQUEST_INVALID, IBAN_INVALID",
                409: "RETURN_NOT_OPEN, RETURN_ALREADY_CONFIRMED",
              }),
            },
          },
        },
        async (request, reply) => {
          const person = await resident(request.params, request.headers["x-road-userid"]);
          const view = await board.confirm(Number(request.params.year), person, request.body, now());
          declareDataSubjects(reply, subjectsOf(view));
          return view;
        },
      );
    },
  });
}

/** The OpenAPI 3.1 document without a running Board (for the security server before it starts). */
export function taxBoardOpenApi(): Promise<Record<string, unknown>> {
  return describedOpenApi(createTaxBoardService({} as TaxBoard, { population: {} as PopulationSource }));
}
