// The inbox's store on SQLite and PostgreSQL: delivery and reading, idempotency (also racing),
// paging, attachments kept as sent, refusals with their codes, and the notice written to the
// outbox in the message's own transaction only when the person forwards.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dialectTargets } from "@riik/core/testing";
import { type InboxError, NOTICE_EVENT, openInboxStore } from "../src/index.ts";
import { AGENCY, CDOC2_BYTES, JAAN, MARI, message, PORTAL } from "./fixture.ts";

const code = (error: unknown) => (error as InboxError).code;

for (const target of await dialectTargets()) {
  describe(`inbox store on ${target.dialect}`, async () => {
    const store = await openInboxStore(target.location("inbox"), { maxAttachmentBytes: 1024 });

    test("a message is delivered, listed, read with its attachments, and marked read once", async () => {
      const sent = await store.send(
        { client: AGENCY },
        message(`EE${MARI}`, {
          attachments: [
            { name: "otsus.cdoc2", mediaType: "application/x-cdoc2", content: CDOC2_BYTES.toString("base64") },
            { name: "info.txt", mediaType: "text/plain", content: Buffer.from("tere").toString("base64") },
          ],
        }),
      );
      assert.equal(sent.duplicate, false);
      const page = await store.list(MARI);
      const listed = page.messages.find((m) => m.id === sent.id);
      assert.ok(listed);
      assert.deepEqual(listed.sender, { client: AGENCY, personalCode: null });
      assert.deepEqual(
        listed.attachments.map((a) => [a.name, a.mediaType, a.size]),
        [
          ["otsus.cdoc2", "application/x-cdoc2", CDOC2_BYTES.length],
          ["info.txt", "text/plain", 4],
        ],
      );
      assert.ok(page.unread >= 1);
      const full = await store.message(MARI, sent.id);
      assert.equal(full.recipient, MARI);
      assert.match(full.body, /Konfidentsiaalne/);
      assert.equal(full.notice, "none");
      assert.deepEqual(Buffer.from(full.attachments[0]!.content, "base64"), CDOC2_BYTES, "kept byte for byte");
      const first = await store.markRead(MARI, sent.id, new Date("2026-01-01T10:00:00Z"));
      const again = await store.markRead(MARI, sent.id, new Date("2026-02-01T10:00:00Z"));
      assert.equal(first.readAt, "2026-01-01T10:00:00.000Z");
      assert.equal(again.readAt, first.readAt, "the first reading's time stays");
      assert.equal((await store.list(MARI)).unread, page.unread - 1);
    });

    test("another person's message, an unknown id and a bad code are refused with their codes", async () => {
      const sent = await store.send({ client: AGENCY }, message(MARI));
      await assert.rejects(store.message(JAAN, sent.id), (e) => code(e) === "MESSAGE_NOT_FOUND");
      await assert.rejects(store.markRead(JAAN, sent.id), (e) => code(e) === "MESSAGE_NOT_FOUND");
      await assert.rejects(store.message(MARI, "not-an-id"), (e) => code(e) === "MESSAGE_NOT_FOUND");
      await assert.rejects(store.send({ client: AGENCY }, message("38001085719")), (e) => {
        assert.equal(code(e), "PERSONAL_CODE_INVALID");
        assert.match((e as Error).message, /check digit/);
        return true;
      });
      await assert.rejects(
        store.send({ client: AGENCY }, message("38013085718")),
        (e) => code(e) === "PERSONAL_CODE_INVALID",
      );
      await assert.rejects(store.list(MARI, { before: "x1" }), (e) => code(e) === "CURSOR_INVALID");
    });

    test("attachments: over the bound, not base64, and a CDOC2 label on other bytes are refused", async () => {
      const big = {
        name: "big.bin",
        mediaType: "application/octet-stream",
        content: Buffer.alloc(1025).toString("base64"),
      };
      await assert.rejects(store.send({ client: AGENCY }, message(MARI, { attachments: [big] })), (e) => {
        assert.equal(code(e), "ATTACHMENT_TOO_LARGE");
        assert.deepEqual((e as InboxError).details, { bytes: 1025, limit: 1024 });
        return true;
      });
      const notBase64 = { name: "a.txt", mediaType: "text/plain", content: "tere!!" };
      await assert.rejects(
        store.send({ client: AGENCY }, message(MARI, { attachments: [notBase64] })),
        (e) => code(e) === "ATTACHMENT_INVALID",
      );
      const fake = {
        name: "x.cdoc2",
        mediaType: "application/x-cdoc2",
        content: Buffer.from("%PDF-1.7").toString("base64"),
      };
      await assert.rejects(
        store.send({ client: AGENCY }, message(MARI, { attachments: [fake] })),
        (e) => code(e) === "ATTACHMENT_INVALID",
      );
    });

    test("the same key from the same sender answers the first message; with another message it is refused", async () => {
      const input = message(JAAN);
      const first = await store.send({ client: AGENCY }, input);
      const again = await store.send({ client: AGENCY }, input);
      assert.deepEqual(again, { id: first.id, duplicate: true });
      // Another sender's key space is its own.
      const other = await store.send({ client: PORTAL, person: MARI }, input);
      assert.notEqual(other.id, first.id);
      await assert.rejects(store.send({ client: AGENCY }, { ...input, body: "muu" }), (e) => {
        assert.equal(code(e), "IDEMPOTENCY_KEY_REUSED");
        assert.equal((e as InboxError).details?.id, first.id);
        return true;
      });
      // Sent twice at once: one message.
      const racing = message(JAAN);
      const [a, b] = await Promise.all([
        store.send({ client: AGENCY }, racing),
        store.send({ client: AGENCY }, racing),
      ]);
      assert.equal(a.id, b.id);
      const rows = await store.db
        .selectFrom("message")
        .select("id")
        .where("idempotency_key", "=", racing.idempotencyKey)
        .execute();
      assert.equal(rows.length, 1);
    });

    test("a batch is delivered in one transaction: all or none, a refusal naming its index", async () => {
      const person = "50001010006";
      const repeated = message(person, { subject: "Sama" });
      const sent = await store.sendBatch({ client: AGENCY }, [message(MARI), repeated, repeated, message(JAAN)]);
      assert.equal(sent.length, 4);
      assert.deepEqual(sent[2], { id: sent[1]!.id, duplicate: true }, "a key twice in a batch is one message");
      assert.equal(new Set(sent.map((s) => s.id)).size, 3);
      const before = (await store.list(MARI, { limit: 100 })).messages.length;
      await assert.rejects(
        store.sendBatch({ client: AGENCY }, [message(MARI), message(MARI), message("38001085719")]),
        (e) => {
          assert.equal(code(e), "PERSONAL_CODE_INVALID");
          assert.equal((e as InboxError).details?.index, 2);
          return true;
        },
      );
      await assert.rejects(
        store.sendBatch({ client: AGENCY }, [message(MARI), { ...repeated, body: "muu" }]),
        (e) => code(e) === "IDEMPOTENCY_KEY_REUSED" && (e as InboxError).details?.index === 1,
      );
      assert.equal((await store.list(MARI, { limit: 100 })).messages.length, before, "nothing of a refused batch");
      const again = await store.sendBatch({ client: AGENCY }, [repeated]);
      assert.deepEqual(again, [{ id: sent[1]!.id, duplicate: true }]);
    });

    test("a person's message from a person carries the sender's code", async () => {
      const sent = await store.send({ client: PORTAL, person: `EE${JAAN}` }, message(MARI));
      assert.deepEqual((await store.message(MARI, sent.id)).sender, { client: PORTAL, personalCode: JAAN });
    });

    test("pages newest first, each once, with the next page's cursor", async () => {
      const person = "60001019906";
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await store.send({ client: AGENCY }, message(person, { subject: `s${i}` }))).id);
      const seen: string[] = [];
      let before: string | undefined;
      do {
        const page = await store.list(person, { limit: 2, ...(before ? { before } : {}) });
        seen.push(...page.messages.map((m) => m.id));
        before = page.next ?? undefined;
      } while (before);
      assert.deepEqual(seen, ids.reverse());
    });

    test("the notice goes to the outbox in the message's transaction, only when the person forwards", async () => {
      const person = "49403136526";
      const pending = async () =>
        (await store.db.selectFrom("event_outbox").select(["type", "data"]).where("delivered_at", "is", null).execute())
          .filter((row) => row.type === NOTICE_EVENT)
          .map((row) => JSON.parse(row.data).messageId as string);
      const before = await pending();
      const quiet = await store.send({ client: AGENCY }, message(person));
      assert.deepEqual(await pending(), before, "no forwarding, no notice");
      await store.setForwarding(person, "mari@example.ee");
      assert.equal(await store.forwarding(person), "mari@example.ee");
      const noticed = await store.send({ client: AGENCY }, message(person));
      assert.deepEqual(await pending(), [...before, noticed.id]);
      assert.equal((await store.message(person, noticed.id)).notice, "pending");
      assert.equal((await store.message(person, quiet.id)).notice, "none");
      await store.setForwarding(person, null);
      assert.equal(await store.forwarding(person), null);
      assert.equal((await store.noticeSubject(noticed.id))?.email, null);
    });

    test("closes", async () => {
      await store.close();
    });
  });
}
