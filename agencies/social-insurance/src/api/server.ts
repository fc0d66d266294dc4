// The Board's REST API on the kit's member service, for the portal over X-Road: a parent's
// offers, the confirmation by the person acting (X-Road-UserId), and the payments scheduled.
import {
  createMemberService,
  declareDataSubjects,
  describedOpenApi,
  errorAnswers,
  type MemberService,
  NO_QUERY,
  PUBSUB_ERRORS,
  personalAnswer,
  type Subscriber,
} from "@riik/kit";
import { SOCIAL_INSURANCE_ERRORS, SocialInsuranceError } from "../errors.ts";
import type { SocialInsuranceBoard } from "../storage/board.ts";
import { CONFIRMATION, OFFER, OFFER_PARAMS, OFFERS, PAYMENTS, PERSON_PARAMS } from "./schemas.ts";

const PERSON_REFUSED = "REQUEST_INVALID, or PERSONAL_CODE_INVALID (date or check digit)";
const NOT_THE_PERSON = "NOT_THE_PERSON: X-Road-UserId is not EE + this personal code";

/** The person acting, from X-Road-UserId (EE + personal code), if a person acts. */
function personActing(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^EE[0-9]{11}$/.test(value) ? value.slice(2) : undefined;
}

/**
 * The person of the path, who must be the one acting: the security server lets only the portal
 * ask, and the portal asks for the person logged in, but the Board does not rely on that alone
 * (a portal bug must not show one parent's benefits to another).
 */
function ownPerson(path: string, header: string | string[] | undefined): string {
  const code = path.replace(/^EE/, "");
  if (personActing(header) !== code)
    throw new SocialInsuranceError(
      "NOT_THE_PERSON",
      `the offers and payments of ${code} are shown to that person only (X-Road-UserId EE${code})`,
    );
  return code;
}

/** The API; with a subscriber, also its events inbox (`/pubsub-inbox`) the register pushes to. */
export function createSocialInsuranceService(board: SocialInsuranceBoard, subscriber?: Subscriber): MemberService {
  return createMemberService({
    name: "social-insurance",
    title: "riik Social Insurance Board",
    version: "1.0.0",
    description:
      "Family benefits offered on a birth without an application: a parent's offers with the reason for every amount, the confirmation, and the payments scheduled.",
    errors: { ...SOCIAL_INSURANCE_ERRORS, ...PUBSUB_ERRORS },
    routes(app) {
      subscriber?.mount(app);
      app.get(
        "/persons/:code/offers",
        {
          schema: {
            operationId: "getOffers",
            summary: "The benefit offers made to a parent, newest first",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(OFFERS, "The offers (an empty list when none)"),
              ...errorAnswers({ 400: PERSON_REFUSED, 403: NOT_THE_PERSON }),
            },
          },
        },
        async (request, reply) => {
          const code = ownPerson(request.params.code, request.headers["x-road-userid"]);
          const offers = await board.offersOf(code);
          declareDataSubjects(reply, [code, ...offers.flatMap((o) => [o.mother, o.child])]);
          return { personalCode: code, offers };
        },
      );
      app.post(
        "/offers/:id/confirmation",
        {
          schema: {
            operationId: "confirmOffer",
            summary: "A parent (X-Road-UserId) accepts an offer and names the recipient parent and the account",
            params: OFFER_PARAMS,
            querystring: NO_QUERY,
            body: CONFIRMATION,
            response: {
              200: personalAnswer(OFFER, "The confirmed offer"),
              ...errorAnswers({
                400: "REQUEST_INVALID, IBAN_INVALID, PERSONAL_CODE_INVALID",
                403: "NOT_A_PARENT: the recipient is not the child's parent, or no person is acting",
                404: "OFFER_NOT_FOUND (also when the person acting is not a parent of the child)",
                409: "OFFER_ALREADY_CONFIRMED",
              }),
            },
          },
        },
        async (request, reply) => {
          const by = personActing(request.headers["x-road-userid"]);
          if (!by)
            throw new SocialInsuranceError(
              "NOT_A_PARENT",
              "a confirmation is made by a person: X-Road-UserId EE + personal code",
            );
          const offer = await board.confirm(request.params.id, { by, ...request.body });
          declareDataSubjects(reply, [by, offer.mother, offer.child, request.body.recipient]);
          return offer;
        },
      );
      app.get(
        "/persons/:code/payments",
        {
          schema: {
            operationId: "getPayments",
            summary: "The benefits scheduled to be paid to a person, by month, each with its reason",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(PAYMENTS, "The payments (an empty list when none)"),
              ...errorAnswers({ 400: PERSON_REFUSED, 403: NOT_THE_PERSON }),
            },
          },
        },
        async (request, reply) => {
          const code = ownPerson(request.params.code, request.headers["x-road-userid"]);
          const payments = await board.paymentsOf(code);
          declareDataSubjects(reply, [code, ...payments.flatMap((p) => (p.child ? [p.child] : []))]);
          return { personalCode: code, payments };
        },
      );
    },
  });
}

/** The OpenAPI 3.1 document without a running Board (for the security server before it starts). */
export function socialInsuranceOpenApi(): Promise<Record<string, unknown>> {
  return describedOpenApi(createSocialInsuranceService({} as SocialInsuranceBoard));
}
