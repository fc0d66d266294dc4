// The inbox's HTTP API on loopback (inject): who may call what, the Data Tracker subjects of
// every mailbox answer, the refusals with their codes, and the generated OpenAPI document.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { DATA_SUBJECTS_HEADER } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import { createInboxService, openInboxStore, REPLAYED_HEADER } from "../src/index.ts";
import { AGENCY, CDOC2_BYTES, JAAN, MARI, message, PORTAL } from "./fixture.ts";

const store = await openInboxStore({ dataDir: temporaryDirectory("riik-inbox-http-") }, { maxAttachmentBytes: 2048 });
const service = createInboxService(store, {
  messagesClients: [AGENCY, PORTAL],
  mailboxClients: [PORTAL],
  personSenderClients: [PORTAL],
});
after(async () => {
  await service.close();
  await store.close();
});

const send = (body: unknown, headers: Record<string, string> = { "x-road-client": AGENCY }) =>
  service.app.inject({ method: "POST", url: "/messages", payload: body as object, headers });
const portal = (person: string, extra: Record<string, string> = {}) => ({
  "x-road-client": PORTAL,
  "x-road-userid": `EE${person}`,
  ...extra,
});

describe("inbox HTTP API", () => {
  let id = "";

  test("an agency delivers; the repeated key answers the first message, saying so", async () => {
    const body = message(MARI, {
      attachments: [{ name: "otsus.cdoc2", mediaType: "application/x-cdoc2", content: CDOC2_BYTES.toString("base64") }],
    });
    const first = await send(body);
    assert.equal(first.statusCode, 201, first.body);
    id = first.json().id;
    assert.equal(first.headers[DATA_SUBJECTS_HEADER], undefined, "messages is not a personal-data service");
    const again = await send(body);
    assert.equal(again.statusCode, 201);
    assert.deepEqual(again.json(), { id });
    assert.equal(again.headers[REPLAYED_HEADER], "true");
    const reused = await send({ ...body, subject: "Muu" });
    assert.equal(reused.statusCode, 422);
    assert.equal(reused.json().code, "IDEMPOTENCY_KEY_REUSED");
  });

  test("an agency delivers a batch; each message's id in order", async () => {
    const batch = [message(MARI), message(JAAN)];
    const reply = await service.app.inject({
      method: "POST",
      url: "/message-batches",
      payload: { messages: batch },
      headers: { "x-road-client": AGENCY },
    });
    assert.equal(reply.statusCode, 201, reply.body);
    const [first, second] = reply.json().messages;
    assert.equal(first.duplicate, false);
    const one = await service.app.inject({ url: `/persons/${JAAN}/messages/${second.id}`, headers: portal(JAAN) });
    assert.equal(one.statusCode, 200, one.body);
    const empty = await service.app.inject({
      method: "POST",
      url: "/message-batches",
      payload: { messages: [] },
      headers: { "x-road-client": AGENCY },
    });
    assert.equal(empty.json().code, "REQUEST_INVALID");
  });

  test("the portal reads the person's messages, each answer naming its data subjects", async () => {
    const list = await service.app.inject({ url: `/persons/${MARI}/messages`, headers: portal(MARI) });
    assert.equal(list.statusCode, 200, list.body);
    assert.equal(list.headers[DATA_SUBJECTS_HEADER], `EE${MARI}`);
    assert.ok(list.json().messages.some((m: { id: string }) => m.id === id));
    const one = await service.app.inject({ url: `/persons/EE${MARI}/messages/${id}`, headers: portal(MARI) });
    assert.equal(one.statusCode, 200, one.body);
    assert.deepEqual(Buffer.from(one.json().attachments[0].content, "base64"), CDOC2_BYTES);
    const read = await service.app.inject({
      method: "POST",
      url: `/persons/${MARI}/messages/${id}/read`,
      headers: portal(MARI),
    });
    assert.equal(read.statusCode, 200, read.body);
    assert.ok(read.json().readAt);
    const put = await service.app.inject({
      method: "PUT",
      url: `/persons/${MARI}/forwarding`,
      headers: portal(MARI),
      payload: { email: "mari@example.ee" },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.headers[DATA_SUBJECTS_HEADER], `EE${MARI}`);
    const get = await service.app.inject({ url: `/persons/${MARI}/forwarding`, headers: portal(MARI) });
    assert.deepEqual(get.json(), { email: "mari@example.ee" });
  });

  test("a parent reads a child's inbox as its represented party; another person's message is not found", async () => {
    const forChild = await service.app.inject({
      url: `/persons/${MARI}/messages`,
      headers: portal(JAAN, { "x-road-represented-party": `EE${MARI}` }),
    });
    assert.equal(forChild.statusCode, 200, forChild.body);
    const notTheirs = await service.app.inject({ url: `/persons/${MARI}/messages`, headers: portal(JAAN) });
    assert.equal(notTheirs.statusCode, 403);
    assert.equal(notTheirs.json().code, "PERSON_NOT_REPRESENTED");
    assert.equal(notTheirs.headers[DATA_SUBJECTS_HEADER], undefined, "an error names nobody");
    const other = await service.app.inject({ url: `/persons/${JAAN}/messages/${id}`, headers: portal(JAAN) });
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().code, "MESSAGE_NOT_FOUND");
  });

  test("a person's message through the portal carries the writer's code; without X-Road-UserId it is refused", async () => {
    const sent = await send(message(MARI), portal(JAAN));
    assert.equal(sent.statusCode, 201, sent.body);
    const one = await service.app.inject({ url: `/persons/${MARI}/messages/${sent.json().id}`, headers: portal(MARI) });
    assert.deepEqual(one.json().sender, { client: PORTAL, personalCode: JAAN });
    assert.equal(one.headers[DATA_SUBJECTS_HEADER], `EE${MARI},EE${JAAN}`, "the writer is a data subject too");
    const anonymous = await send(message(MARI), { "x-road-client": PORTAL });
    assert.equal(anonymous.statusCode, 400);
    assert.equal(anonymous.json().code, "SENDER_PERSON_MISSING");
  });

  test("calls not from a listed client, and bad input, are refused with their codes", async () => {
    const cases: Array<[string, Awaited<ReturnType<typeof send>>, number, string]> = [
      ["no X-Road-Client", await send(message(MARI), {}), 400, "SENDER_MISSING"],
      [
        "a member, not a subsystem",
        await send(message(MARI), { "x-road-client": "EE/GOV/70008747" }),
        400,
        "SENDER_MISSING",
      ],
      [
        "an unlisted client",
        await send(message(MARI), { "x-road-client": "EE/COM/10000002/shop" }),
        403,
        "CLIENT_NOT_ALLOWED",
      ],
      [
        "an agency reading the mailbox",
        await service.app.inject({
          url: `/persons/${MARI}/messages`,
          headers: { "x-road-client": AGENCY, "x-road-userid": `EE${MARI}` },
        }),
        403,
        "CLIENT_NOT_ALLOWED",
      ],
      ["a recipient of 10 digits", await send(message("3800108571")), 400, "REQUEST_INVALID"],
      ["a recipient with a wrong check digit", await send(message("38001085719")), 400, "PERSONAL_CODE_INVALID"],
      ["an unknown field", await send({ ...message(MARI), cc: "x" }), 400, "REQUEST_INVALID"],
      ["a subject with a newline", await send(message(MARI, { subject: "a\r\nBcc: x@y.ee" })), 400, "REQUEST_INVALID"],
      [
        "a path in an attachment's name",
        await send(message(MARI, { attachments: [{ name: "../x", mediaType: "text/plain", content: "eA==" }] })),
        400,
        "REQUEST_INVALID",
      ],
      [
        "attachments over the bound",
        await send(
          message(MARI, {
            attachments: [{ name: "a", mediaType: "text/plain", content: Buffer.alloc(2049).toString("base64") }],
          }),
        ),
        413,
        "ATTACHMENT_TOO_LARGE",
      ],
      [
        "a body over the service's limit",
        await send(
          message(MARI, { attachments: [{ name: "a", mediaType: "text/plain", content: "A".repeat(400_000) }] }),
        ),
        413,
        "BODY_TOO_LARGE",
      ],
      [
        "a malformed forwarding address",
        await service.app.inject({
          method: "PUT",
          url: `/persons/${MARI}/forwarding`,
          headers: portal(MARI),
          payload: { email: "mari at example" },
        }),
        400,
        "REQUEST_INVALID",
      ],
      [
        "a bad cursor",
        await service.app.inject({ url: `/persons/${MARI}/messages?before=abc`, headers: portal(MARI) }),
        400,
        "CURSOR_INVALID",
      ],
    ];
    for (const [what, reply, status, code] of cases) {
      assert.equal(reply.statusCode, status, `${what}: ${reply.body}`);
      assert.equal(reply.json().code, code, what);
    }
  });

  test("the OpenAPI document describes both services' routes", async () => {
    const document = (await service.openapi()) as { paths: Record<string, Record<string, { operationId: string }>> };
    assert.deepEqual(
      Object.entries(document.paths)
        .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
        .sort(),
      [
        "GET /persons/{code}/forwarding",
        "GET /persons/{code}/messages",
        "GET /persons/{code}/messages/{id}",
        "POST /message-batches",
        "POST /messages",
        "POST /persons/{code}/messages/{id}/read",
        "PUT /persons/{code}/forwarding",
      ],
    );
  });
});
