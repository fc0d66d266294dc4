// The worked example of ARCHITECTURE.md: a register built only from the kit, started on
// loopback, checked end to end.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import {
  DATA_SUBJECTS_HEADER,
  type DeliveredEvent,
  type MemberService,
  type MemberStorage,
  openMemberStorage,
  startOutboxDispatcher,
} from "@riik/kit";
import { type LibraryCardDb, libraryCardRegistry, migrations } from "./schema.ts";
import { createLibraryCardService } from "./service.ts";

describe("the worked example: a library-card register built from the kit", () => {
  const holder = generatePersonalCode("1990-05-17", "female", 12);
  let store: MemberStorage<LibraryCardDb>;
  let service: MemberService;
  let url: string;

  before(async () => {
    store = await openMemberStorage<LibraryCardDb>({
      component: "library_cards",
      dataDir: temporaryDirectory(),
      migrations,
    });
    service = createLibraryCardService(store);
    url = await service.listen({ port: 0 });
  });
  after(async () => {
    await service.close();
    await store.close();
  });

  const post = (body: unknown) =>
    fetch(`${url}/cards`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const journal = () => store.db.selectFrom("change_journal").selectAll().orderBy("seq").execute();

  test("a write and its journal entry commit together; the answer names its data subject", async () => {
    const res = await post({ holderCode: holder, library: "TLN" });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get(DATA_SUBJECTS_HEADER), `EE${holder}`);
    const card = await res.json();
    assert.deepEqual(card, { cardNumber: "TLN-000001", holderCode: holder, library: "TLN", issued: card.issued });
    const [entry, ...rest] = await journal();
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { ...entry, seq: Number(entry?.seq) },
      {
        seq: 1,
        at: entry?.at,
        entity: "card",
        key: "TLN-000001",
        op: "upsert",
        data: JSON.stringify(card),
      },
    );
    // A write that fails after its insert leaves neither the row, nor a journal entry, nor an event.
    await assert.rejects(
      store.write(async ({ trx, change, emit }) => {
        await trx
          .insertInto("card")
          .values({ card_number: "TLN-999999", holder_code: holder, library: "TRT", issued: "2026-01-01" })
          .execute();
        change({ entity: "card", key: "TLN-999999", op: "upsert", data: {} });
        emit({ type: "card.issued", data: {} });
        throw new Error("rules refused it");
      }),
      /rules refused it/,
    );
    assert.equal((await journal()).length, 1);
    assert.equal((await store.db.selectFrom("card").selectAll().execute()).length, 1);
    assert.equal((await store.db.selectFrom("event_outbox").selectAll().execute()).length, 1);
  });

  test("a read names the holder; a missing card names nobody", async () => {
    const res = await fetch(`${url}/cards/TLN-000001`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get(DATA_SUBJECTS_HEADER), `EE${holder}`);
    assert.equal((await res.json()).holderCode, holder);
    const missing = await fetch(`${url}/cards/TLN-000404`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).code, "CARD_NOT_FOUND");
    assert.equal(missing.headers.get(DATA_SUBJECTS_HEADER), null);
  });

  test("bad requests are refused with their code and journal nothing", async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ holderCode: "38001085719", library: "TLN" }, 400, "PERSONAL_CODE_INVALID"],
      [{ holderCode: holder, library: "tln" }, 400, "REQUEST_INVALID"],
      [{ holderCode: holder, library: "TLN", extra: 1 }, 400, "REQUEST_INVALID"],
      [{ holderCode: holder, library: "TLN" }, 409, "CARD_EXISTS"],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal((await res.json()).code, code);
      assert.equal(res.headers.get(DATA_SUBJECTS_HEADER), null, "error answers name nobody");
    }
    assert.equal((await journal()).length, 1);
  });

  test("/openapi.json is generated from the route schemas; /healthz and /metrics come with the service", async () => {
    const doc = await (await fetch(`${url}/openapi.json`)).json();
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(Object.keys(doc.paths).sort(), ["/cards", "/cards/{number}"]);
    const issue = doc.paths["/cards"].post;
    assert.deepEqual(issue.requestBody.content["application/json"].schema.required, ["holderCode", "library"]);
    assert.ok(issue.responses["201"].headers["X-Riik-Data-Subjects"]);
    assert.deepEqual(issue.responses["409"].content["application/json"].schema.required, ["code", "message"]);
    assert.deepEqual(await (await fetch(`${url}/healthz`)).json(), { status: "ok", service: "library-cards" });
    assert.match(await (await fetch(`${url}/metrics`)).text(), /riik_http_requests_total/);
  });

  test("the outbox delivers the issued card's event; a replica rebuilt from the journal equals the register", async () => {
    const delivered: DeliveredEvent[] = [];
    const dispatcher = startOutboxDispatcher({
      db: store.db,
      deliver: async (event) => void delivered.push(event),
      intervalMs: 3_600_000,
    });
    try {
      assert.equal(await dispatcher.drain(), 1);
      const [event] = delivered;
      assert.equal(event?.type, "card.issued");
      assert.equal((event.data as { holderCode: string }).holderCode, holder);
      assert.equal(await dispatcher.drain(), 0, "delivered once");
    } finally {
      await dispatcher.stop();
    }
    const replica = await openMemberStorage<LibraryCardDb>({
      component: libraryCardRegistry.component,
      dataDir: temporaryDirectory(),
      migrations: libraryCardRegistry.migrations,
    });
    try {
      await replica.db.transaction().execute(async (trx) => {
        for (const entry of await journal()) await libraryCardRegistry.applyChange(trx, entry);
      });
      const [table] = libraryCardRegistry.tables;
      const rows = (s: MemberStorage<LibraryCardDb>) =>
        s.db.selectFrom("card").selectAll().orderBy("card_number").execute();
      assert.deepEqual(await rows(replica), await rows(store));
      assert.deepEqual(Object.keys((await rows(store))[0] ?? {}).sort(), table?.columns.map((c) => c.name).sort());
    } finally {
      await replica.close();
    }
  });
});
