// `riik social-insurance serve`: the Board as a running member — its API and events inbox, the
// subscription to the population register's births and deaths, the worker that reads a new
// child's family and makes the offer, the offers delivered to the parents' state inbox, and
// the monthly payment run. Every call goes through the Board's own security server.
import { xroadUserId } from "@riik/core";
import {
  createSubscriber,
  type DeliveredEvent,
  listenOrRelease,
  type MemberService,
  type OutboxDispatcher,
  startOutboxDispatcher,
  XRoadRestClient,
} from "@riik/kit";
import { Type } from "typebox";
import { createSocialInsuranceService } from "./api/server.ts";
import { EVENTS_INBOX_SERVICE_CODE } from "./descriptor.ts";
import { openSocialInsuranceBoard, type SocialInsuranceBoard } from "./storage/board.ts";

/** Why the Board reads a family (X-Road-Issue; the parents see it in their Data Tracker). */
export const FAMILY_PURPOSE = "Peretoetuste pakkumine lapse sünni korral (perehüvitiste seadus § 18-22)";
const EURO = (cents: number) => `€${(cents / 100).toFixed(2)}`;

const FAMILY = Type.Object({
  personalCode: Type.String(),
  children: Type.Array(Type.Object({ personalCode: Type.String() })),
});
/** GET /subs: the caller's own subscriptions (the kit publisher's SUBSCRIPTION_ITEM, the part read here). */
const SUBSCRIPTIONS = Type.Array(Type.Object({ id: Type.String(), eventTypes: Type.Array(Type.String()) }));
const ANY = Type.Unknown();

export interface SocialInsuranceExchange {
  securityServer: string;
  client: string;
  eventsService: string;
  personsService: string;
  inboxService: string;
  officialCode: string;
}

export interface SocialInsuranceServerOptions {
  dataDir: string;
  url?: string;
  port: number;
  host?: string;
  exchange?: SocialInsuranceExchange;
  /** How often the workers look for work; default 1000 ms (payments hourly). */
  intervalMs?: number;
}

export interface SocialInsuranceServer {
  url: string;
  service: MemberService;
  board: SocialInsuranceBoard;
  /** Runs every worker once now (tests and the first start). */
  runOnce(): Promise<void>;
  close(): Promise<void>;
}

/** Runs `work` every `ms`, never two at once; a failure is logged and tried again next time. */
function every(ms: number, work: () => Promise<unknown>, onError: (error: unknown) => void) {
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(work).then(
      () => undefined,
      (error) => onError(error),
    );
  }, ms);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

export async function startSocialInsurance(options: SocialInsuranceServerOptions): Promise<SocialInsuranceServer> {
  const board = await openSocialInsuranceBoard({
    dataDir: options.dataDir,
    ...(options.url ? { url: options.url } : {}),
  });
  const exchange = options.exchange;
  const xroad = exchange
    ? new XRoadRestClient({ securityServer: exchange.securityServer, client: exchange.client })
    : undefined;
  const publisher = exchange?.eventsService.split("/").slice(0, -1).join("/");
  const subscriber =
    exchange && publisher
      ? createSubscriber({
          storage: board.store,
          publishers: [publisher],
          handlers: {
            "person.born": (event, write) => {
              const data = event.data as { personalCode: string; mother: string; father?: string | null };
              return board.recordBirth(write, {
                child: data.personalCode,
                mother: data.mother,
                father: data.father ?? null,
              });
            },
            "person.died": (event, write) => {
              const data = event.data as { personalCode: string; dateOfDeath: string };
              return board.recordDeath(write, data.personalCode, data.dateOfDeath);
            },
          },
        })
      : undefined;
  const service = createSocialInsuranceService(board, subscriber);
  const url = await listenOrRelease(service, options, async () => {
    await board.close();
    await xroad?.close();
  });
  const log = service.logger;
  const userId = exchange ? xroadUserId(exchange.officialCode) : undefined;

  /** One PUSH subscription to births and deaths, made once (the register may start after the Board). */
  let subscribed = false;
  const subscribe = async () => {
    if (!xroad || !exchange || subscribed) return;
    const call = { service: exchange.eventsService, userId: userId!, issue: FAMILY_PURPOSE };
    const { body } = await xroad.call({ ...call, path: "/subs", answer: SUBSCRIPTIONS });
    if (!body.some((s) => s.eventTypes.includes("person.born")))
      await xroad.call({
        ...call,
        path: "/subs",
        method: "POST",
        answer: ANY,
        body: {
          eventTypes: ["person.born", "person.died"],
          delivery: "PUSH",
          push: { service: `${exchange.client}/${EVENTS_INBOX_SERVICE_CODE}` },
        },
      });
    subscribed = true;
    log.info({ events: exchange.eventsService }, "subscribed to births and deaths");
  };

  /** Each recorded birth: the mother's children from the register, then the offer. */
  const makeOffers = async () => {
    if (!xroad || !exchange) return;
    for (const birth of await board.pendingBirths()) {
      const { body } = await xroad.call({
        service: exchange.personsService,
        path: `/persons/${birth.mother}/family`,
        answer: FAMILY,
        userId: userId!,
        issue: FAMILY_PURPOSE,
        headers: { "x-road-pdu-purpose": encodeURIComponent(FAMILY_PURPOSE) },
      });
      const offer = await board.makeOffer(
        birth.child,
        body.children.map((c) => c.personalCode),
      );
      log.info({ offer: offer.id }, "benefit offer made");
    }
  };

  /** Offers and notices to the parents' state inbox, once each (the inbox's idempotency key). */
  const deliver = async (event: DeliveredEvent) => {
    if (!xroad || !exchange) return;
    const message = inboxMessage(board, event);
    for (const { recipient, subject, body } of await message)
      await xroad.call({
        service: exchange.inboxService,
        path: "/messages",
        method: "POST",
        answer: ANY,
        body: { recipient, subject, body, idempotencyKey: `${event.type}-${event.seq}-${recipient}` },
      });
  };
  const outbox: OutboxDispatcher | undefined = exchange
    ? startOutboxDispatcher({
        db: board.store.db,
        deliver,
        intervalMs: options.intervalMs ?? 1000,
        onError: (error, event) => log.warn({ err: error, event: event?.seq }, "inbox delivery failed; retried"),
      })
    : undefined;
  const pay = () => board.scheduleMonth(new Date().toISOString().slice(0, 7));
  const warn = (what: string) => (error: unknown) => log.warn({ err: error }, what);
  const stops = [
    every(options.intervalMs ?? 1000, subscribe, warn("subscribing failed; tried again")),
    every(options.intervalMs ?? 1000, makeOffers, warn("making offers failed; tried again")),
    every(3_600_000, pay, warn("the payment run failed; tried again")),
  ];
  // The month's run also at start, so a restart does not wait an hour for it.
  pay().catch(warn("the payment run failed; tried again"));
  log.info({ url }, "Social Insurance Board listening");
  return {
    url,
    service,
    board,
    runOnce: async () => {
      await subscribe();
      await makeOffers();
      await outbox?.drain();
      await pay();
    },
    close: async () => {
      for (const stop of stops) await stop();
      await outbox?.stop();
      await service.close();
      await board.close();
      await xroad?.close();
    },
  };
}

/** What the parents read in their state inbox for an event of the Board's outbox (none for others). */
async function inboxMessage(
  board: SocialInsuranceBoard,
  event: DeliveredEvent,
): Promise<Array<{ recipient: string; subject: string; body: string }>> {
  if (event.type === "offer.created") {
    const data = event.data as { offer: string; parents: string[] };
    const offer = (await board.offersOf(data.parents[0]!)).find((o) => o.id === data.offer);
    if (!offer) return [];
    const lines = offer.lines.map((l) => `- ${EURO(l.amountCents)}: ${l.why}`).join("\n");
    return data.parents.map((recipient) => ({
      recipient,
      subject: "Peretoetused lapse sünni puhul / Family benefits for your child",
      body: `A child was born in your family (${offer.child}). You are entitled to these benefits, without an application:\n${lines}\n\nConfirm in the state portal which parent receives them and to which account (offer ${offer.id}).`,
    }));
  }
  if (event.type === "benefit.recipient-died") {
    const data = event.data as { subjects: string[]; recipient: string; dateOfDeath: string };
    return data.subjects.map((recipient) => ({
      recipient,
      subject: "Peretoetuste saaja / Who receives the family benefits",
      body: `The family benefits were paid to ${data.recipient}, who died on ${data.dateOfDeath}. They are not paid until you confirm in the state portal's family benefits who receives them now; the months since are paid then.`,
    }));
  }
  if (event.type === "benefit.ended") {
    const data = event.data as { subjects: string[]; child: string; month: string };
    return [
      {
        recipient: data.subjects[0]!,
        subject: "Lapsetoetus lõpeb / Child allowance ends",
        body: `The child allowance for ${data.child} is not paid from ${data.month}: the child is no longer entitled to it (Family Benefits Act § 21).`,
      },
    ];
  }
  return [];
}
