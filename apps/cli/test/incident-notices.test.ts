// A key incident's notices through the real command and real security servers (issue 18):
// `riik pki incident declare` suspends a chip batch's cards, `riik pki incident notify`
// sends each holder on hold one notice to the state inbox over X-Road (the inbox as its
// descriptor registers it on ss2, the issuer a client on ss1); run again, it sends nothing
// twice; a holder outside the batch hears nothing; an unknown incident is a typed refusal.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { freePort, runRiik, temporaryDirectory } from "@riik/core/testing";
import { type InboxServer, type MailServer, startInbox, startMailServer } from "@riik/inbox";
import { inboxDescriptor } from "@riik/inbox/descriptor";
import { issueCard } from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import {
  OTHER,
  PROVIDER_SUBSYSTEM,
  registerAtProvider,
  type Sandbox,
  startSandbox,
} from "../../../platform/xroad/test/fixtures/sandbox.ts";

const trust = await startTestTrustServices();
const dir = temporaryDirectory("riik-incident-notices-");
const ID = "2026-chip-batch";
const STATUS = `${trust.url}/incidents/${ID}`;
const card = (personalCode: string, givenName: string) =>
  issueCard(trust.services, { personalCode, givenName, surname: "KAART", pin1: "1234", pin2: "12345" });
const inBatch = [generatePersonalCode("1980-01-08", "male", 711), generatePersonalCode("1991-06-30", "female", 712)];
const outside = generatePersonalCode("1975-02-03", "female", 713);

describe("a key incident's notices reach every holder's state inbox once", () => {
  let sb: Sandbox;
  let mail: MailServer;
  let inbox: InboxServer;
  before(async () => {
    sb = await startSandbox({ dir });
    mail = await startMailServer({ dir: join(dir, "mail"), smtpPort: await freePort(), httpPort: await freePort() });
    const config = {
      dir: join(dir, "inbox"),
      port: await freePort(),
      host: "127.0.0.1",
      smtpUrl: mail.smtpUrl,
      portalUrl: "http://127.0.0.1:1",
      mailFrom: "riik <noreply@riik.localhost>",
      messagesClients: [OTHER],
      mailboxClients: [],
      personSenderClients: [],
      maxAttachmentBytes: 64 * 1024,
    };
    inbox = await startInbox({ ...config, dataDir: config.dir });
    await registerAtProvider(sb, inboxDescriptor.exchange!(config, { subsystem: PROVIDER_SUBSYSTEM, url: inbox.url }));
  });
  after(async () => {
    await inbox?.close();
    await mail?.close();
    await sb?.stop();
  });

  const riik = (...args: string[]) => runRiik(["pki", "incident", ...args, "--dir", trust.dir]);
  const notify = () =>
    riik(
      "notify",
      "--id",
      ID,
      "--security-server",
      sb.ss1.client,
      "--client",
      OTHER,
      "--inbox-service",
      `${PROVIDER_SUBSYSTEM}/messages`,
      "--status-url",
      STATUS,
    );

  test("declared for a chip batch, notified once each, the holder outside the batch not at all", async () => {
    await card(outside, "VÄLJASPOOL");
    const from = new Date().toISOString();
    for (const [i, code] of inBatch.entries()) await card(code, ["ESIMENE", "TEINE"][i]!);
    const declared = await riik(
      "declare",
      "--id",
      ID,
      "--title",
      "Kiibipartii nõrgad võtmed",
      "--issued-from",
      from,
      "--issued-to",
      new Date(Date.now() + 60_000).toISOString(),
      "--renew-by",
      new Date(Date.now() + 30 * 86_400_000).toISOString(),
    );
    assert.equal(declared.code, 0, declared.stderr);
    assert.match(declared.stdout, /: 4 of \d+ valid certificates suspended/);

    const first = await notify();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /2 notices sent, 0 sent before, of 2 holders on hold/);
    for (const code of inBatch) {
      const { messages } = await inbox.store.list(code);
      assert.equal(messages.length, 1, code);
      const [notice] = messages;
      assert.equal(notice?.sender.client, OTHER);
      assert.match(notice?.subject ?? "", /Your ID card's certificates are suspended/);
    }
    const [message] = (await inbox.store.list(inBatch[0]!)).messages;
    const full = await inbox.store.message(inBatch[0]!, message!.id);
    assert.match(full.body, /Kiibipartii nõrgad võtmed/);
    assert.ok(full.body.includes(STATUS), full.body);
    assert.equal((await inbox.store.list(outside)).messages.length, 0, "a holder outside the batch hears nothing");

    // Run again (after a crash, or to reach holders added since): nothing twice.
    const again = await notify();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 notices sent, 2 sent before, of 2 holders on hold/);
    for (const code of inBatch) assert.equal((await inbox.store.list(code)).messages.length, 1);
  });

  test("an unknown incident is refused with its code, and nothing is sent", async () => {
    const run = await riik("notify", "--id", "no-such", "--security-server", sb.ss1.client, "--client", OTHER);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /^riik: [A-Z_]+: .*no-such/m);
  });
});
