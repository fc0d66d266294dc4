// The state inbox behind real security servers (xroad's sandbox fixture: trust services,
// central server, ss1 for the agency and the portal, ss2 for the inbox), registered as its
// descriptor asks: an agency delivers a CDOC2-encrypted document, the portal sets the
// person's forwarding address and reads the inbox for them, the notice is e-mailed through the
// real sandbox mail server, and every read is in the person's Data Tracker.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decryptFile, encryptFiles } from "@riik/cdoc";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import { XRoadClientError, XRoadRestClient } from "@riik/kit";
import { simpleParser } from "mailparser";
import { Type } from "typebox";
import {
  DATATRACKER,
  json,
  OTHER,
  PROVIDER_SUBSYSTEM,
  READER,
  type Sandbox,
  SS1,
  startSandbox,
} from "../../xroad/test/fixtures/sandbox.ts";
import { inboxDescriptor } from "../src/descriptor.ts";
import { type InboxServer, type MailServer, startInbox, startMailServer } from "../src/index.ts";
import { JAAN, key, MARI } from "./fixture.ts";

/** The portal's subsystem, added to the sandbox on ss1 (plain HTTP from loopback). */
const PORTAL = "EE/GOV/70000001/portal";
const AGENCY = OTHER;
const MESSAGES = `${PROVIDER_SUBSYSTEM}/messages`;
const MAILBOX = `${PROVIDER_SUBSYSTEM}/mailbox`;
const ISSUE = "Riigipostkasti vaatamine portaalis";
const PORTAL_URL = "http://127.0.0.1:8818";

let sb: Sandbox;
let mail: MailServer;
let inbox: InboxServer;
let agency: XRoadRestClient;
let portal: XRoadRestClient;
const dir = temporaryDirectory("riik-inbox-xroad-");

const ANY = Type.Unknown();
const forPerson = (code: string) => ({ userId: `EE${code}`, issue: ISSUE });
const refusal = async (call: Promise<unknown>) => {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof XRoadClientError, String(error));
    return error;
  }
  throw new Error("the call was not refused");
};

before(async () => {
  sb = await startSandbox({ dir, dataTracker: true });
  const central = (path: string, method = "GET", body?: unknown) =>
    json(`${sb.centralUrl}${path}`, {
      method,
      token: sb.centralToken,
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const admin = (ss: Sandbox["ss1"], path: string, method = "GET", body?: unknown) =>
    json(`${ss.admin}${path}`, { method, token: ss.token, ...(body ? { body: JSON.stringify(body) } : {}) });
  await central("/api/v1/subsystems", "POST", { id: PORTAL, name: "portal" });
  await central(`/api/v1/security-servers/${encodeURIComponent(SS1)}/clients`, "POST", { client: PORTAL });
  await admin(sb.ss1, "/api/v1/clients", "POST", {
    id: PORTAL,
    connection: "http",
    allowedAddresses: ["127.0.0.1"],
    loggingMode: "full",
  });

  mail = await startMailServer({ dir: join(dir, "mail"), smtpPort: await freePort(), httpPort: await freePort() });
  const config = {
    dir: join(dir, "inbox"),
    port: await freePort(),
    host: "127.0.0.1",
    smtpUrl: mail.smtpUrl,
    portalUrl: PORTAL_URL,
    mailFrom: "riik <noreply@riik.localhost>",
    messagesClients: [AGENCY, PORTAL],
    mailboxClients: [PORTAL],
    personSenderClients: [PORTAL],
    maxAttachmentBytes: 64 * 1024,
  };
  inbox = await startInbox({ ...config, dataDir: config.dir, noticeIntervalMs: 100 });
  // As riik up applies a descriptor (apps/state/src/up/exchange.ts): its services, then the rights it grants.
  const registration = inboxDescriptor.exchange!(config, { subsystem: PROVIDER_SUBSYSTEM, url: inbox.url });
  const provider = encodeURIComponent(PROVIDER_SUBSYSTEM);
  for (const service of registration.services ?? [])
    await admin(sb.ss2, `/api/v1/clients/${provider}/services`, "POST", {
      serviceCode: service.code,
      url: service.url,
      personalData: service.personalData ?? false,
    });
  for (const right of registration.access ?? [])
    for (const path of right.paths)
      await admin(sb.ss2, `/api/v1/clients/${provider}/services/${right.service.split("/").at(-1)}/access`, "POST", {
        subject: right.subject,
        method: right.method,
        path,
      });
  for (const ss of [sb.ss1, sb.ss2]) await admin(ss, "/api/v1/refresh", "POST");
  agency = new XRoadRestClient({ securityServer: sb.ss1.client, client: AGENCY });
  portal = new XRoadRestClient({ securityServer: sb.ss1.client, client: PORTAL });
});

after(async () => {
  await agency?.close();
  await portal?.close();
  await inbox?.close();
  await mail?.close();
  await sb?.stop();
});

describe("state inbox through real security servers", () => {
  let cdoc2: Buffer;
  const secret = Buffer.alloc(32, 9);

  test("an agency delivers a CDOC2-encrypted decision; the inbox keeps it as sent", async () => {
    const work = mkdtempSync(join(dir, "cdoc-"));
    writeFileSync(join(work, "otsus.txt"), "Otsus: taotlus rahuldatud.");
    await encryptFiles({
      files: [join(work, "otsus.txt")],
      recipients: [{ type: "symmetric", label: "mari", key: secret }],
      out: join(work, "otsus.cdoc2"),
    });
    cdoc2 = readFileSync(join(work, "otsus.cdoc2"));
    const body = {
      recipient: MARI,
      subject: "Otsus",
      body: "Otsus on lisatud krüpteeritud failina.",
      attachments: [{ name: "otsus.cdoc2", mediaType: "application/x-cdoc2", content: cdoc2.toString("base64") }],
      idempotencyKey: key("decision"),
    };
    const sent = await agency.call({ service: MESSAGES, path: "/messages", method: "POST", body, answer: ANY });
    assert.equal(sent.status, 201);
    const again = await agency.call({ service: MESSAGES, path: "/messages", method: "POST", body, answer: ANY });
    assert.deepEqual(again.body, sent.body, "the repeated key answers the first message");
    assert.equal(again.headers["idempotent-replayed"], "true");

    const { body: page } = await portal.call({
      service: MAILBOX,
      path: `/persons/${MARI}/messages`,
      answer: ANY,
      ...forPerson(MARI),
    });
    const listed = (page as { messages: Array<{ id: string; sender: { client: string } }> }).messages[0]!;
    assert.equal(listed.id, (sent.body as { id: string }).id);
    assert.equal(listed.sender.client, AGENCY, "the sender is the X-Road client of the call");
    const { body: one } = await portal.call({
      service: MAILBOX,
      path: `/persons/${MARI}/messages/${listed.id}`,
      answer: ANY,
      ...forPerson(MARI),
    });
    const attachment = (one as { attachments: Array<{ content: string }> }).attachments[0]!;
    const file = join(work, "received.cdoc2");
    writeFileSync(file, Buffer.from(attachment.content, "base64"));
    const [opened] = await decryptFile({ file, outputDir: join(work, "out"), key: { type: "symmetric", key: secret } });
    assert.equal(readFileSync(join(work, "out", opened!), "utf8"), "Otsus: taotlus rahuldatud.");
  });

  test("with a forwarding address set in the portal, the notice arrives at the sandbox mail server", async () => {
    const address = "mari.maasikas@example.ee";
    const set = await portal.call({
      service: MAILBOX,
      path: `/persons/${MARI}/forwarding`,
      method: "PUT",
      body: { email: address },
      answer: ANY,
      ...forPerson(MARI),
    });
    assert.deepEqual(set.body, { email: address });
    const sent = await agency.call({
      service: MESSAGES,
      path: "/messages",
      method: "POST",
      body: { recipient: `EE${MARI}`, subject: "Dokumendi kehtivus", body: "Salajane sisu", idempotencyKey: key() },
      answer: ANY,
    });
    const id = (sent.body as { id: string }).id;
    let kept: { id: string } | undefined;
    for (let i = 0; i < 200 && !kept; i++) {
      const reply = (await (await fetch(`${mail.httpUrl}/messages?to=${address}`)).json()) as {
        messages: Array<{ id: string }>;
      };
      kept = reply.messages[0];
      if (!kept) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(kept, "the notice arrived");
    const parsed = await simpleParser(
      Buffer.from(await (await fetch(`${mail.httpUrl}/messages/${kept.id}`)).arrayBuffer()),
    );
    assert.match(parsed.subject ?? "", /Dokumendi kehtivus/);
    assert.ok(parsed.text?.includes(`${PORTAL_URL}/#/inbox/${id}`));
    assert.doesNotMatch(parsed.text ?? "", /Salajane sisu/);
    assert.equal(parsed.messageId, `<${id}@inbox.riik>`);
  });

  test("the person sees each read of their inbox in the Data Tracker", async () => {
    const reply = await fetch(`${sb.ss1.client}/r1/${DATATRACKER}/v2/findUsage?userCode=EE${MARI}`, {
      headers: { "x-road-client": READER, "x-road-userid": `EE${MARI}` },
    });
    assert.equal(reply.status, 200);
    const { usages } = (await reply.json()) as { usages: Array<{ action: string; riik: { userId: string } }> };
    const reads = usages.filter((u) => u.action === ISSUE);
    assert.ok(reads.length >= 3, `list, message and forwarding: ${JSON.stringify(usages)}`);
    assert.ok(reads.every((u) => u.riik.userId === `EE${MARI}`));
  });

  test("a person writes to another through the portal: the message carries the writer's code", async () => {
    const sent = await portal.call({
      service: MESSAGES,
      path: "/messages",
      method: "POST",
      body: { recipient: JAAN, subject: "Tere", body: "Kohtume homme.", idempotencyKey: key() },
      answer: ANY,
      ...forPerson(MARI),
    });
    const id = (sent.body as { id: string }).id;
    const { body } = await portal.call({
      service: MAILBOX,
      path: `/persons/${JAAN}/messages/${id}`,
      answer: ANY,
      ...forPerson(JAAN),
    });
    assert.deepEqual((body as { sender: unknown }).sender, { client: PORTAL, personalCode: MARI });
  });

  test("refused: another person's message, another person's inbox, an agency at the mailbox, oversize, a bad code", async () => {
    const { body: page } = await portal.call({
      service: MAILBOX,
      path: `/persons/${MARI}/messages`,
      answer: ANY,
      ...forPerson(MARI),
    });
    const marisMessage = (page as { messages: Array<{ id: string }> }).messages[0]!.id;
    const notFound = await refusal(
      portal.call({
        service: MAILBOX,
        path: `/persons/${JAAN}/messages/${marisMessage}`,
        answer: ANY,
        ...forPerson(JAAN),
      }),
    );
    assert.deepEqual(
      [notFound.code, notFound.details?.status, notFound.details?.providerCode],
      ["XROAD_PROVIDER", 404, "MESSAGE_NOT_FOUND"],
    );
    const other = await refusal(
      portal.call({ service: MAILBOX, path: `/persons/${MARI}/messages`, answer: ANY, ...forPerson(JAAN) }),
    );
    assert.deepEqual([other.details?.status, other.details?.providerCode], [403, "PERSON_NOT_REPRESENTED"]);
    const denied = await refusal(
      agency.call({ service: MAILBOX, path: `/persons/${MARI}/messages`, answer: ANY, ...forPerson(MARI) }),
    );
    assert.equal(denied.code, "XROAD_FAULT");
    assert.match(String(denied.details?.type), /AccessDenied/);
    const big = await refusal(
      agency.call({
        service: MESSAGES,
        path: "/messages",
        method: "POST",
        body: {
          recipient: MARI,
          subject: "Suur",
          body: "x",
          attachments: [
            {
              name: "a.bin",
              mediaType: "application/octet-stream",
              content: Buffer.alloc(65 * 1024).toString("base64"),
            },
          ],
          idempotencyKey: key(),
        },
        answer: ANY,
      }),
    );
    assert.deepEqual([big.details?.status, big.details?.providerCode], [413, "ATTACHMENT_TOO_LARGE"]);
    const bad = await refusal(
      agency.call({
        service: MESSAGES,
        path: "/messages",
        method: "POST",
        body: { recipient: "38001085719", subject: "s", body: "b", idempotencyKey: key() },
        answer: ANY,
      }),
    );
    assert.deepEqual([bad.details?.status, bad.details?.providerCode], [400, "PERSONAL_CODE_INVALID"]);
  });
});
