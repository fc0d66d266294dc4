// The worked example, part 3 of 3: the routes, built only from the kit.
import {
  createMemberService,
  declareDataSubjects,
  errorAnswers,
  type MemberService,
  type MemberStorage,
  NO_QUERY,
  PUBSUB_ERRORS,
  type Publisher,
  personalAnswer,
  type Subscriber,
} from "@riik/kit";
import { Type } from "typebox";
import { holderCode, LIBRARY_CARD_ERRORS, LibraryCardError, newCard } from "./rules.ts";
import { type Card, cardOf, type LibraryCardDb, rowOf } from "./schema.ts";

const CARD = Type.Object(
  {
    cardNumber: Type.String({ pattern: "^[A-Z]{2,8}-[0-9]{6}$" }),
    holderCode: Type.String({ pattern: "^[1-8][0-9]{10}$" }),
    library: Type.String({ pattern: "^[A-Z]{2,8}$" }),
    issued: Type.String({ format: "date" }),
  },
  { additionalProperties: false },
);
const NEW_CARD = Type.Object(
  { holderCode: CARD.properties.holderCode, library: CARD.properties.library },
  { additionalProperties: false },
);
const CARD_PARAMS = Type.Object({ number: CARD.properties.cardNumber }, { additionalProperties: false });

/** Part 4 (events.ts): the publisher and subscriber a register mounts, when it takes part in events. */
export interface LibraryCardEvents {
  publisher?: Publisher;
  subscriber?: Subscriber;
}

export function createLibraryCardService(
  store: MemberStorage<LibraryCardDb>,
  events: LibraryCardEvents = {},
): MemberService {
  return createMemberService({
    name: "library-cards",
    title: "Library cards",
    version: "1.0.0",
    description: "The library-card register: the worked example of the member information system kit.",
    errors: { ...LIBRARY_CARD_ERRORS, ...PUBSUB_ERRORS },
    routes(app) {
      events.publisher?.mount(app);
      events.subscriber?.mount(app);
      app.post(
        "/cards",
        {
          schema: {
            operationId: "issueCard",
            querystring: NO_QUERY,
            body: NEW_CARD,
            response: {
              201: personalAnswer(CARD, "The card issued"),
              ...errorAnswers({
                400: "REQUEST_INVALID or PERSONAL_CODE_INVALID",
                409: "The holder has a card of that library (CARD_EXISTS)",
              }),
            },
          },
        },
        async (request, reply) => {
          const holder = holderCode(request.body.holderCode);
          const card: Card = await store.write(async ({ trx, change, emit }) => {
            const issued = await newCard(trx, holder, request.body.library, new Date().toISOString().slice(0, 10));
            await trx.insertInto("card").values(rowOf(issued)).execute();
            change({ entity: "card", key: issued.cardNumber, op: "upsert", data: issued });
            // Events name their subjects (ordering per subject, the Data Tracker): the holder.
            emit({ type: "card.issued", data: { subjects: [issued.holderCode], ...issued } });
            return issued;
          });
          declareDataSubjects(reply, [card.holderCode]);
          return reply.status(201).send(card);
        },
      );
      app.get(
        "/cards/:number",
        {
          schema: {
            operationId: "getCard",
            params: CARD_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(CARD, "The card"),
              ...errorAnswers({ 400: "REQUEST_INVALID", 404: "No such card (CARD_NOT_FOUND)" }),
            },
          },
        },
        async (request, reply) => {
          const row = await store.db
            .selectFrom("card")
            .selectAll()
            .where("card_number", "=", request.params.number)
            .executeTakeFirst();
          if (!row) throw new LibraryCardError("CARD_NOT_FOUND", `no card ${request.params.number}`);
          declareDataSubjects(reply, [row.holder_code]);
          return cardOf(row);
        },
      );
    },
  });
}
