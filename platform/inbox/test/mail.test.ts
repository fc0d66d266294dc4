// The sandbox mail server (real SMTP through nodemailer, messages read back with mailparser)
// and the inbox's e-mail notices into it on SQLite and PostgreSQL: sent with a link and never
// the body; the SMTP server down, the notice waits and goes once it is back, also across a
// restart; a removed address cancels it; a 5xx refusal does not hold back the others.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { dialectTargets, freePort, notOwnerOnly, temporaryDirectory } from "@riik/core/testing";
import { simpleParser } from "mailparser";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { type MailServer, openInboxStore, startMailServer, startNoticeDispatcher } from "../src/index.ts";
import { AGENCY, MARI, message } from "./fixture.ts";

const PORTAL_URL = "http://127.0.0.1:8818";
const FAST = { intervalMs: 50, backoff: { initialMs: 100, maxMs: 400 } };

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function inboxOf(server: MailServer, to: string) {
  const reply = await fetch(`${server.httpUrl}/messages?to=${encodeURIComponent(to)}`);
  assert.equal(reply.status, 200);
  return ((await reply.json()) as { messages: Array<{ id: string; subject: string; text: string; messageId: string }> })
    .messages;
}

describe("sandbox mail server", () => {
  const dir = join(temporaryDirectory("riik-mail-"), "mail");
  let server: MailServer;
  after(() => server?.close());

  test("keeps what it is sent as 0600 files in a 0700 directory, and shows it parsed and raw", async () => {
    server = await startMailServer({
      dir,
      smtpPort: await freePort(),
      httpPort: await freePort(),
      maxMessageBytes: 4096,
      maxMessages: 3,
    });
    const sent = await nodemailer
      .createTransport({ host: "127.0.0.1", port: Number(new URL(server.smtpUrl).port), secure: false })
      .sendMail({
        from: "riik <noreply@riik.localhost>",
        to: "Mari@Example.ee",
        bcc: "audit@example.ee",
        subject: "Tere, Mari",
        text: "Šokolaad ja õunad",
      });
    assert.deepEqual(sent.rejected, []);
    const [kept] = await inboxOf(server, "mari@example.ee");
    assert.ok(kept);
    assert.equal(kept.subject, "Tere, Mari");
    assert.equal(kept.text.trim(), "Šokolaad ja õunad");
    assert.equal((await inboxOf(server, "AUDIT@example.ee")).length, 1, "a Bcc recipient finds it by the envelope");
    const raw = await fetch(`${server.httpUrl}/messages/${kept.id}`);
    assert.equal(raw.headers.get("content-type"), "message/rfc822");
    const parsed = await simpleParser(Buffer.from(await raw.arrayBuffer()));
    assert.equal(parsed.subject, "Tere, Mari");
    assert.ok(
      parsed.headerLines.some((h) => h.line === "Delivered-To: mari@example.ee"),
      "the envelope on top",
    );
    assert.deepEqual(notOwnerOnly(dir), []);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const missing = await fetch(`${server.httpUrl}/messages/0000000000000-000000000000`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { code: string }).code, "MAIL_MESSAGE_NOT_FOUND");
    assert.equal((await fetch(`${server.httpUrl}/messages/..%2F..%2Fetc%2Fpasswd`)).status, 404);
    assert.equal((await fetch(`${server.httpUrl}/healthz`)).status, 200);
    assert.match(
      await (await fetch(`${server.httpUrl}/metrics`)).text(),
      /riik_mail_messages_total\{[^}]*result="kept"[^}]*\} 1/,
    );
  });

  test("refuses a message over its size (552) and, full, any more (452), and keeps its messages across a restart", async () => {
    const smtp = { host: "127.0.0.1", port: Number(new URL(server.smtpUrl).port), secure: false };
    await assert.rejects(
      nodemailer.createTransport(smtp).sendMail({ from: "a@b.ee", to: "c@d.ee", text: "x".repeat(8000) }),
      (e) => (e as { responseCode?: number }).responseCode === 552,
    );
    await nodemailer.createTransport(smtp).sendMail({ from: "a@b.ee", to: "c@d.ee", text: "2" });
    await nodemailer.createTransport(smtp).sendMail({ from: "a@b.ee", to: "c@d.ee", text: "3" });
    await assert.rejects(
      nodemailer.createTransport(smtp).sendMail({ from: "a@b.ee", to: "c@d.ee", text: "4" }),
      (e) => (e as { responseCode?: number }).responseCode === 452,
    );
    const ports = { smtpPort: Number(new URL(server.smtpUrl).port), httpPort: Number(new URL(server.httpUrl).port) };
    await server.close();
    server = await startMailServer({ dir, ...ports, maxMessages: 3 });
    assert.equal(server.store.count, 3);
    assert.equal((await inboxOf(server, "c@d.ee")).length, 2);
  });

  test("listens on loopback only", async () => {
    await assert.rejects(startMailServer({ dir, smtpPort: 0, httpPort: 0, host: "0.0.0.0" }), /loopback only/);
  });
});

for (const target of await dialectTargets()) {
  describe(`e-mail notices on ${target.dialect}`, async () => {
    const dir = temporaryDirectory("riik-notices-");
    const ports = { smtpPort: await freePort(), httpPort: await freePort() };
    const smtpUrl = `smtp://127.0.0.1:${ports.smtpPort}`;
    const location = target.location("inbox_notices");
    let store = await openInboxStore(location);
    let mail: MailServer | undefined;
    after(async () => {
      await mail?.close();
      await store.close();
    });
    const person = MARI;
    const address = `mari.${target.dialect}@example.ee`;
    await store.setForwarding(person, address);

    test("the notice reaches the mailbox with the subject and a link, never the body", async () => {
      mail = await startMailServer({ dir: join(dir, "mail"), ...ports });
      const notices = startNoticeDispatcher({
        store,
        smtpUrl,
        from: "riik <noreply@riik.localhost>",
        portalUrl: PORTAL_URL,
        ...FAST,
      });
      try {
        const { id } = await store.send({ client: AGENCY }, message(person));
        const kept = await until("the notice", async () => (await inboxOf(mail!, address))[0]);
        assert.match(kept.subject, /Teie dokumendi kehtivus lõpeb/);
        assert.ok(kept.text.includes(`${PORTAL_URL}/#/inbox/${id}`), kept.text);
        assert.ok(kept.text.includes(AGENCY));
        assert.doesNotMatch(kept.text, /Konfidentsiaalne sisu/);
        assert.equal(kept.messageId, `<${id}@inbox.riik>`);
        assert.equal((await store.message(person, id)).notice, "sent");
      } finally {
        await notices.stop();
      }
    });

    test("with the SMTP server down the notice waits, retried with backoff, and goes once it is back, across a restart", async () => {
      await mail!.close();
      mail = undefined;
      let notices = startNoticeDispatcher({
        store,
        smtpUrl,
        from: "riik <noreply@riik.localhost>",
        portalUrl: PORTAL_URL,
        ...FAST,
      });
      const first = await store.send({ client: AGENCY }, message(person, { subject: "Esimene" }));
      const second = await store.send({ client: AGENCY }, message(person, { subject: "Teine" }));
      await until("failures", async () => (notices.failures >= 2 ? true : undefined));
      assert.equal((await store.message(person, first.id)).notice, "pending");
      // The inbox restarts while the SMTP server is still down: the outbox keeps the notices.
      await notices.stop();
      await store.close();
      store = await openInboxStore(location);
      mail = await startMailServer({ dir: join(dir, "mail"), ...ports });
      notices = startNoticeDispatcher({
        store,
        smtpUrl,
        from: "riik <noreply@riik.localhost>",
        portalUrl: PORTAL_URL,
        ...FAST,
      });
      try {
        const kept = await until("both notices", async () => {
          const list = await inboxOf(mail!, address);
          return list.length >= 3 ? list : undefined;
        });
        assert.deepEqual(
          kept
            .slice(0, 2)
            .map((k) => k.messageId)
            .sort(),
          [`<${first.id}@inbox.riik>`, `<${second.id}@inbox.riik>`].sort(),
        );
        assert.equal((await store.message(person, second.id)).notice, "sent");
        assert.equal(notices.failures, 0);
      } finally {
        await notices.stop();
      }
    });

    test("an address removed before the notice went cancels it", async () => {
      const other = generatePersonalCode("2000-01-01", "male", 1);
      await store.setForwarding(other, "jaan@example.ee");
      const { id } = await store.send({ client: AGENCY }, message(other));
      await store.setForwarding(other, null);
      const notices = startNoticeDispatcher({
        store,
        smtpUrl,
        from: "riik <noreply@riik.localhost>",
        portalUrl: PORTAL_URL,
        ...FAST,
      });
      try {
        await notices.drain();
        assert.equal((await store.message(other, id)).notice, "cancelled");
        assert.deepEqual(await inboxOf(mail!, "jaan@example.ee"), []);
      } finally {
        await notices.stop();
      }
    });

    test("an address the SMTP server refuses for good (550) is marked refused and the next notice still goes", async () => {
      const picky = new SMTPServer({
        authOptional: true,
        disabledCommands: ["AUTH", "STARTTLS"],
        logger: false,
        onRcptTo(address, _session, callback) {
          if (address.address.startsWith("gone@"))
            return callback(Object.assign(new Error("no such user"), { responseCode: 550 }));
          return callback();
        },
        onData(stream, _session, callback) {
          stream.resume();
          stream.on("end", () => callback());
        },
      });
      const port = await freePort();
      await new Promise<void>((resolve) => picky.listen(port, "127.0.0.1", resolve));
      const gone = generatePersonalCode("1990-01-01", "male", 1);
      const here = generatePersonalCode("1990-01-01", "female", 2);
      await store.setForwarding(gone, "gone@example.ee");
      await store.setForwarding(here, "here@example.ee");
      const refused = await store.send({ client: AGENCY }, message(gone));
      const delivered = await store.send({ client: AGENCY }, message(here));
      const notices = startNoticeDispatcher({
        store,
        smtpUrl: `smtp://127.0.0.1:${port}`,
        from: "riik <noreply@riik.localhost>",
        portalUrl: PORTAL_URL,
        ...FAST,
      });
      try {
        await notices.drain();
        assert.equal((await store.message(gone, refused.id)).notice, "refused");
        assert.equal((await store.message(here, delivered.id)).notice, "sent");
      } finally {
        await notices.stop();
        await new Promise<void>((resolve) => picky.close(() => resolve()));
      }
    });
  });
}
