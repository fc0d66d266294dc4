// Publish/subscribe through real security servers (xroad's sandbox): the example library-card
// register twice, the publisher behind ss2, the subscriber behind ss1, on SQLite and
// PostgreSQL. Subscriptions, pushes and pulls are X-Road r1 calls: signed, logged, access
// checked, and the persons they concern are in the Data Tracker of the provider's server.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { dialectTargets, freePort, temporaryDirectory } from "@riik/core/testing";
import { Type } from "typebox";
import { json, type Sandbox, startSandbox } from "../../xroad/test/fixtures/sandbox.ts";
import {
  type MemberService,
  type MemberStorage,
  openMemberStorage,
  PULL_ANSWER,
  type Publisher,
  SUBSCRIPTION_ITEM,
  type Subscriber,
  XRoadClientError,
  XRoadRestClient,
} from "../src/index.ts";
import { createCardPublisher, createCardSubscriber, noteCard } from "./example-agency/events.ts";
import { type LibraryCardDb, migrations } from "./example-agency/schema.ts";
import { createLibraryCardService } from "./example-agency/service.ts";
import {
  burstCard,
  type EventServices,
  kill9,
  OFFICIAL,
  PUBLISHER,
  registerEventServices,
  SUBSCRIBER,
  startAgency,
  writeBurst,
} from "./pubsub/fixture.ts";

const dir = temporaryDirectory("riik-kit-pubsub-");
const OPERATOR_TOKEN = "operator-secret-of-the-test";
/** 10,000 events: the issue's burst (BURST overrides it on a slow machine). */
const BURST = Number(process.env.RIIK_PUBSUB_BURST ?? 10_000);
let sb: Sandbox;
// Asked before the sandbox starts: its set-up blocks the event loop (riik CLI calls) longer
// than the reachability check waits.
const targets = await dialectTargets();

before(async () => {
  sb = await startSandbox({ dir });
});
after(async () => {
  await sb?.stop();
});

const holder = (n: number) => generatePersonalCode("1990-05-17", n % 2 ? "male" : "female", n);

async function refused(call: Promise<unknown>, status: number, providerCode: string): Promise<void> {
  const error = await call.then(
    () => assert.fail(`expected ${providerCode}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof XRoadClientError, String(error));
  assert.equal(error.code, "XROAD_PROVIDER", error.message);
  assert.equal(error.details?.status, status);
  assert.equal(error.details?.providerCode, providerCode);
}

const waitUntil = async (what: string, check: () => Promise<boolean>, timeoutMs = 120_000) => {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

for (const target of targets) {
  /** Each register its own database: its own SQLite file (one directory each) or PostgreSQL schema. */
  const place = (name: string) => {
    const location = target.location(name);
    return { ...location, dataDir: join(location.dataDir, name) };
  };
  describe(`publish/subscribe over X-Road on ${target.dialect}`, () => {
    const suffix = target.dialect === "sqlite" ? "lite" : "pg";
    let services: EventServices;
    let pubStore: MemberStorage<LibraryCardDb>;
    let subStore: MemberStorage<LibraryCardDb>;
    let publisher: Publisher;
    let subscriber: Subscriber;
    let pubService: MemberService;
    let subService: MemberService;
    let pubUrl: string;
    const ports = { publisher: 0, subscriber: 0 };
    const clients: XRoadRestClient[] = [];
    /** Holders whose cards the subscriber's handler refuses (a poison event). */
    const poisoned = new Set<string>();
    /** X-Road-Id of every push the subscriber received. */
    const pushIds: string[] = [];
    let asSubscriber: XRoadRestClient;

    const startSubscriberService = async () => {
      subService = createLibraryCardService(subStore, { subscriber });
      subService.app.addHook("onRequest", async (request) => {
        if (request.url.startsWith("/pubsub-inbox")) pushIds.push(String(request.headers["x-road-id"]));
      });
      await subService.listen({ port: ports.subscriber });
    };
    const issue = async (holderCode: string, library = "TLN") => {
      const res = await fetch(`${pubUrl}/cards`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ holderCode, library }),
      });
      assert.equal(res.status, 201, await res.clone().text());
      return (await res.json()) as { cardNumber: string };
    };
    const notices = () => subStore.db.selectFrom("card_notice").selectAll().orderBy("n").execute();
    const operator = (path: string, init: RequestInit = {}) =>
      fetch(`${pubUrl}/pubsub-operator${path}`, {
        ...init,
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, ...(init.headers as Record<string, string>) },
      });
    const call = <S extends Parameters<XRoadRestClient["call"]>[0]["answer"]>(
      path: string,
      answer: S,
      method: "GET" | "POST" | "PATCH" | "DELETE" = "GET",
      body?: unknown,
    ) =>
      asSubscriber.call({
        service: services.events,
        path,
        method,
        answer,
        userId: OFFICIAL,
        issue: "benefits: life events",
        ...(body === undefined ? {} : { body }),
      });

    before(async () => {
      ports.publisher = await freePort();
      ports.subscriber = await freePort();
      services = await registerEventServices(sb, suffix, ports);
      pubStore = await openMemberStorage<LibraryCardDb>({
        component: "library_cards",
        ...place(`pub_${suffix}`),
        migrations,
      });
      subStore = await openMemberStorage<LibraryCardDb>({
        component: "library_cards",
        ...place(`sub_${suffix}`),
        migrations,
      });
      const asPublisher = new XRoadRestClient({ securityServer: sb.ss2.client, client: PUBLISHER });
      asSubscriber = new XRoadRestClient({ securityServer: sb.ss1.client, client: SUBSCRIBER });
      clients.push(asPublisher, asSubscriber);
      publisher = createCardPublisher(pubStore, {
        publisher: PUBLISHER,
        xroad: asPublisher,
        userId: OFFICIAL,
        operatorToken: OPERATOR_TOKEN,
        maxAttempts: 3,
        backoff: { baseMs: 1, maxMs: 1 },
        intervalMs: 3_600_000,
      });
      subscriber = createCardSubscriber(subStore, [PUBLISHER], async (event, write) => {
        const card = event.data as { holderCode: string };
        if (poisoned.has(card.holderCode)) throw new Error(`no notices for ${card.holderCode} today`);
        await noteCard(event, write);
      });
      pubService = createLibraryCardService(pubStore, { publisher });
      pubUrl = await pubService.listen({ port: ports.publisher });
      await startSubscriberService();
    });
    after(async () => {
      await publisher?.stop();
      await pubService?.close();
      await subService?.close();
      for (const client of clients) await client.close();
      await pubStore?.close();
      await subStore?.close();
    });

    let subscription: string;

    it("subscribes through X-Road; pushes are applied once, a duplicate delivery is answered DUPLICATE; the Data Tracker records each", async () => {
      const types = await call(
        "/event-types",
        Type.Object({ publisher: Type.String(), eventTypes: Type.Array(Type.Any()) }),
      );
      assert.equal(types.body.publisher, PUBLISHER);
      assert.deepEqual(
        types.body.eventTypes.map((t: { type: string }) => t.type),
        ["card.issued"],
      );
      const created = await call("/subs", SUBSCRIPTION_ITEM, "POST", {
        eventTypes: ["card.issued"],
        delivery: "PUSH",
        push: { service: services.inbox },
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.subscriber, SUBSCRIBER, "the subscriber is the X-Road client of the call");
      subscription = created.body.id;

      const cards = [await issue(holder(1)), await issue(holder(2)), await issue(holder(1), "TRT")];
      assert.equal(await publisher.drain(), 3);
      const applied = await notices();
      assert.deepEqual(
        applied.map((n) => n.card_number),
        cards.map((c) => c.cardNumber),
      );
      assert.ok(applied.every((n) => n.event_id.startsWith(`${PUBLISHER}/`)));

      // The push is a personal-data call: ss1 (the inbox's server) recorded a use per holder.
      const uses = await json(
        `${sb.ss1.admin}/api/v1/datatracker/uses?queryId=${encodeURIComponent(pushIds.at(-1)!)}`,
        {
          token: sb.ss1.token,
        },
      );
      assert.deepEqual(
        uses.map((u: { subject: string }) => u.subject).sort(),
        [`EE${holder(1)}`, `EE${holder(2)}`].sort(),
      );
      assert.ok(uses.every((u: { consumer?: string; client?: string }) => JSON.stringify(u).includes(PUBLISHER)));

      // Replay from the start: the same events again, each answered DUPLICATE, nothing applied twice.
      await call(`/subs/${subscription}/replay`, SUBSCRIPTION_ITEM, "POST", { after: 0 });
      assert.equal(await publisher.drain(), 3);
      assert.equal((await notices()).length, 3);
      const again = await subscriber.apply(PUBLISHER, [
        {
          id: applied[0]!.event_id,
          sequence: Number(applied[0]!.event_id.split("/").at(-1)),
          publisher: PUBLISHER,
          type: "card.issued",
          at: new Date().toISOString(),
          subjects: [holder(1)],
          data: {},
        },
      ]);
      assert.deepEqual(
        again.map((r) => r.outcome),
        ["DUPLICATE"],
      );
    });

    it("refuses what it must, with its codes", async () => {
      await refused(
        call("/subs", SUBSCRIPTION_ITEM, "POST", { eventTypes: ["card.lost"], delivery: "PULL" }),
        400,
        "PUBSUB_EVENT_TYPE_UNKNOWN",
      );
      await refused(
        call("/subs", SUBSCRIPTION_ITEM, "POST", {
          eventTypes: ["card.issued"],
          delivery: "PUSH",
          push: { service: `${PUBLISHER}/somewhere-else` },
        }),
        400,
        "PUBSUB_DELIVERY_INVALID",
      );
      await refused(
        call("/subs", SUBSCRIPTION_ITEM, "POST", { eventTypes: ["card.issued"], delivery: "PUSH" }),
        400,
        "PUBSUB_DELIVERY_INVALID",
      );
      await refused(
        call("/subs/00000000-0000-4000-8000-000000000000", SUBSCRIPTION_ITEM),
        404,
        "PUBSUB_SUBSCRIPTION_NOT_FOUND",
      );
      await refused(call(`/subs/${subscription}/events?after=0`, PULL_ANSWER), 400, "PUBSUB_DELIVERY_INVALID");
      await refused(
        call(`/subs/${subscription}/replay`, SUBSCRIPTION_ITEM, "POST", { after: 1e9 }),
        400,
        "PUBSUB_CURSOR_INVALID",
      );
      // Around the security server: nobody named, nothing answered.
      const direct = await fetch(`${pubUrl}/pubsub/subs`);
      assert.equal(direct.status, 400);
      assert.equal((await direct.json()).code, "PUBSUB_CLIENT_MISSING");
      const forged = await fetch(`http://127.0.0.1:${ports.subscriber}/pubsub-inbox`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-road-client": "EE/GOV/70000001/consumer" },
        body: JSON.stringify({
          events: [
            {
              id: "EE/GOV/70000001/consumer/1",
              sequence: 1,
              publisher: "EE/GOV/70000001/consumer",
              type: "card.issued",
              at: "x",
              subjects: [],
              data: {},
            },
          ],
        }),
      });
      assert.equal(forged.status, 403);
      assert.equal((await forged.json()).code, "PUBSUB_PUBLISHER_UNKNOWN");
      assert.equal((await fetch(`${pubUrl}/pubsub-operator/dead-letters`)).status, 401);
      assert.equal(
        (await fetch(`${pubUrl}/pubsub-operator/dead-letters`, { headers: { authorization: "Bearer wrong" } })).status,
        401,
      );
    });

    it("keeps the events while the subscriber is down and delivers them when it returns", async () => {
      await subService.close();
      const before = (await notices()).length;
      await issue(holder(3));
      await issue(holder(4));
      assert.equal(await publisher.drain(), 0, "nothing delivered, nothing lost");
      const [status] = await (await operator("/subscriptions")).json();
      assert.ok(status.failures >= 1, JSON.stringify(status));
      assert.equal(status.deadLetters, 0, "an outage never makes dead letters");
      await startSubscriberService();
      await waitUntil("the backoff", async () => (await publisher.drain()) > 0, 30_000);
      assert.equal((await notices()).length, before + 2);
    });

    it("parks a rejected event, holds back only its subject, makes it a dead letter after 3 attempts, and re-drives it", async () => {
      const poison = holder(5);
      poisoned.add(poison);
      const first = await issue(poison);
      const second = await issue(poison, "TRT");
      const other = await issue(holder(6));
      await waitUntil("the dead letter", async () => {
        await publisher.drain();
        const dead = await (await operator("/dead-letters")).json();
        return dead.length === 1;
      });
      const [dead] = await (await operator("/dead-letters")).json();
      assert.equal(dead.subscription, subscription);
      assert.equal(dead.subscriber, SUBSCRIBER);
      assert.equal(dead.attempts, 3);
      assert.deepEqual(dead.subjects, [poison]);
      assert.match(dead.lastError, /no notices/);
      const numbers = (await notices()).map((n) => n.card_number);
      assert.ok(numbers.includes(other.cardNumber), "another subject went on");
      assert.ok(
        !numbers.includes(first.cardNumber) && !numbers.includes(second.cardNumber),
        "the poisoned subject waits",
      );

      poisoned.delete(poison);
      const redrive = await operator(`/subscriptions/${subscription}/dead-letters/${dead.sequence}/redrive`, {
        method: "POST",
      });
      assert.equal(redrive.status, 204);
      assert.equal(
        (await operator(`/subscriptions/${subscription}/dead-letters/${dead.sequence}/redrive`, { method: "POST" }))
          .status,
        404,
      );
      await waitUntil("the re-driven events", async () => {
        await publisher.drain();
        return (await notices()).some((n) => n.card_number === second.cardNumber);
      });
      const order = (await notices()).map((n) => n.card_number);
      assert.ok(order.indexOf(first.cardNumber) < order.indexOf(second.cardNumber), "in order");
      assert.deepEqual(await (await operator("/dead-letters")).json(), []);
    });

    it("pulls with a durable cursor, and the publisher's Data Tracker records each pull", async () => {
      await call(`/subs/${subscription}`, SUBSCRIPTION_ITEM, "DELETE");
      const pullSub = await call("/subs", SUBSCRIPTION_ITEM, "POST", { eventTypes: ["card.issued"], delivery: "PULL" });
      const cards = [await issue(holder(7)), await issue(holder(8))];
      assert.equal(await publisher.drain(), 0, "the cancelled push subscription sends nothing");
      const loop = subscriber.startPull({
        xroad: asSubscriber,
        service: services.events,
        subscription: pullSub.body.id,
        userId: OFFICIAL,
        intervalMs: 3_600_000,
      });
      try {
        assert.equal(await loop.drain(), 2);
        assert.equal(await loop.drain(), 0);
        const numbers = (await notices()).map((n) => n.card_number);
        for (const card of cards) assert.ok(numbers.includes(card.cardNumber));
        const cursor = await subStore.db.selectFrom("pubsub_cursor").selectAll().executeTakeFirstOrThrow();
        assert.equal(cursor.subscription, pullSub.body.id);
        // Replay from an old cursor: every event again, each a duplicate.
        await subStore.db.updateTable("pubsub_cursor").set({ seq: 0 }).execute();
        assert.equal(await loop.drain(), 0, "nothing applied twice");
      } finally {
        await loop.stop();
      }
      const page = await call(`/subs/${pullSub.body.id}/events?after=0&limit=2`, PULL_ANSWER);
      assert.equal(page.body.events.length, 2);
      const uses = await json(`${sb.ss2.admin}/api/v1/datatracker/uses?queryId=${encodeURIComponent(page.id)}`, {
        token: sb.ss2.token,
      });
      assert.deepEqual(
        uses.map((u: { subject: string }) => u.subject).sort(),
        [...new Set(page.body.events.flatMap((e) => e.subjects))].map((c) => `EE${c}`).sort(),
      );
    });
  });

  describe(`kill -9 of the subscriber and of the publisher during a burst of ${BURST} events on ${target.dialect}`, () => {
    it("delivers every event, none applied twice, each subject in order", async (t) => {
      const suffix = target.dialect === "sqlite" ? "klite" : "kpg";
      const ports = { publisher: await freePort(), subscriber: await freePort() };
      const services = await registerEventServices(sb, suffix, ports);
      const pubLocation = place(`kpub_${suffix}`);
      const subLocation = place(`ksub_${suffix}`);
      const pubStore = await openMemberStorage<LibraryCardDb>({
        component: "library_cards",
        ...pubLocation,
        migrations,
      });
      const subStore = await openMemberStorage<LibraryCardDb>({
        component: "library_cards",
        ...subLocation,
        migrations,
      });
      const asSubscriber = new XRoadRestClient({ securityServer: sb.ss1.client, client: SUBSCRIBER });
      const startPublisher = () =>
        startAgency({
          role: "publisher",
          port: ports.publisher,
          storage: pubLocation,
          securityServer: sb.ss2.client,
          client: PUBLISHER,
          userId: OFFICIAL,
          intervalMs: 50,
        });
      const startSubscriber = () =>
        startAgency({ role: "subscriber", port: ports.subscriber, storage: subLocation, publishers: [PUBLISHER] });
      let publisherProc = await startPublisher();
      let subscriberProc = await startSubscriber();
      try {
        await asSubscriber.call({
          service: services.events,
          path: "/subs",
          method: "POST",
          body: { eventTypes: ["card.issued"], delivery: "PUSH", push: { service: services.inbox } },
          answer: SUBSCRIPTION_ITEM,
          userId: OFFICIAL,
          issue: "library notices",
        });
        const kills: string[] = [];
        const count = async () =>
          Number(
            (
              await subStore.db
                .selectFrom("card_notice")
                .select((eb) => eb.fn.countAll().as("n"))
                .executeTakeFirst()
            )?.n,
          );
        let appliedAtKill = 0;
        await writeBurst(pubStore, 0, BURST, 10, async (written) => {
          // Each kill lands while pushes flow: the subscriber has some of the events, not all.
          if (written === Math.floor(BURST * 0.3)) {
            await waitUntil("the first pushes", async () => (await count()) > 0);
            await kill9(subscriberProc);
            appliedAtKill = await count();
            kills.push(`subscriber killed with ${written} written, ${appliedAtKill} applied`);
          } else if (written === Math.floor(BURST * 0.5)) subscriberProc = await startSubscriber();
          else if (written === Math.floor(BURST * 0.7)) {
            await waitUntil("pushes after the subscriber's return", async () => (await count()) > appliedAtKill);
            await kill9(publisherProc);
            kills.push(`publisher killed with ${written} written, ${await count()} applied`);
          } else if (written === Math.floor(BURST * 0.85)) publisherProc = await startPublisher();
        });
        assert.equal(kills.length, 2);
        for (const kill of kills) t.diagnostic(kill);
        await waitUntil(`${BURST} notices`, async () => (await count()) >= BURST, 600_000);
        const rows = await subStore.db
          .selectFrom("card_notice")
          .select(["n", "event_id", "holder_code"])
          .orderBy("n")
          .execute();
        assert.equal(rows.length, BURST, "none applied twice");
        assert.equal(new Set(rows.map((r) => r.event_id)).size, BURST, "every event delivered");
        const seqOf = (id: string) => Number(id.split("/").at(-1));
        const last = new Map<string, number>();
        for (const row of rows) {
          const seq = seqOf(row.event_id);
          assert.ok((last.get(row.holder_code) ?? 0) < seq, `${row.holder_code} in order`);
          last.set(row.holder_code, seq);
        }
        assert.equal(last.size, new Set(Array.from({ length: BURST }, (_v, i) => burstCard(i).holder)).size);
      } finally {
        await publisherProc.stop();
        await subscriberProc.stop();
        await asSubscriber.close();
        await pubStore.close();
        await subStore.close();
      }
    });
  });
}
