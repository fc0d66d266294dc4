// The kit's X-Road REST client against a real security-server pair (xroad's sandbox fixture):
// ss1 is the consumer's own server, ss2 the provider's with the sample pet store and persons.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import { Type } from "typebox";
import { CONSUMER, json, OTHER, PERSONS, PETS, type Sandbox, startSandbox } from "../../xroad/test/fixtures/sandbox.ts";
import { XRoadClientError, type XRoadClientErrorCode, XRoadRestClient } from "../src/index.ts";

const PET = Type.Object({ id: Type.Integer(), name: Type.String() });
const PERSON = Type.Object({ code: Type.String(), requestedBy: Type.Union([Type.String(), Type.Null()]) });
/** Registered with the provider, which answers 404 PERSON_NOT_FOUND for it. */
const NOT_REGISTERED = "39901010005";

// Made at the top level: made in before(), it would be removed when that hook ends.
const dir = temporaryDirectory("riik-kit-xroad-");
let sb: Sandbox;
const clients: XRoadRestClient[] = [];

function client(options: ConstructorParameters<typeof XRoadRestClient>[0]): XRoadRestClient {
  const made = new XRoadRestClient(options);
  clients.push(made);
  return made;
}

/** CONSUMER over TLS with its registered certificate, trusting ss1's internal certificate. */
const consumer = () =>
  client({
    securityServer: sb.ss1.clientTls,
    client: CONSUMER,
    tls: { cert: sb.isCert.cert, key: sb.isCert.key, ca: readFileSync(join(sb.ss1.dir, "internal.crt")) },
  });

async function refused(call: Promise<unknown>, code: XRoadClientErrorCode): Promise<Record<string, unknown>> {
  const error = await call.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof XRoadClientError, String(error));
  assert.equal(error.code, code, error.message);
  return error.details ?? {};
}

before(async () => {
  sb = await startSandbox({ dir, dataTracker: true });
});

after(async () => {
  for (const made of clients) await made.close();
  await sb?.stop();
});

describe("XRoadRestClient through real security servers (ss1 → ss2 → provider)", () => {
  it("calls a service over TLS to its own security server and checks the answer's schema", async () => {
    const answer = await consumer().call({ service: PETS, path: "/v2/pets/1124", answer: PET });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.name, "Siddu");
    assert.ok(answer.id, "X-Road-Id");
    assert.ok(answer.requestHash, "X-Road-Request-Hash");
  });

  it("sends X-Road-UserId and X-Road-Issue (percent-encoded when not ASCII) and passes the answer's headers on", async () => {
    const answer = await consumer().call({
      service: PERSONS,
      path: "/persons/38001085718",
      answer: PERSON,
      userId: "EE49403136526",
      issue: "Isikusamasuse tuvastamine (Šoti kodanik)",
    });
    assert.equal(answer.body.requestedBy, "EE49403136526");
    assert.equal(answer.headers["x-road-id"], answer.id);
  });

  it("sends X-Road-Represented-Party: a parent acting for a child is in the child's Data Tracker record", async () => {
    const child = "EE38001085718";
    const answer = await consumer().call({
      service: PERSONS,
      path: "/persons/49403136515",
      answer: PERSON,
      userId: "EE49403136526",
      issue: "acting for a child",
      representedParty: { partyCode: child },
    });
    const uses = await json(`${sb.ss2.admin}/api/v1/datatracker/uses?queryId=${encodeURIComponent(answer.id)}`, {
      token: sb.ss2.token,
    });
    assert.deepEqual(
      uses.map((u: { subject: string; representedParty: string; subjectRole: string | null }) => [
        u.subject,
        u.representedParty,
        u.subjectRole,
      ]),
      [
        ["EE49403136515", child, null],
        [child, child, "REPRESENTED"],
      ],
    );
    // An organisation: class and code, each part percent-encoded.
    const forCompany = await consumer().call({
      service: PETS,
      path: "/v2/pets/1124",
      answer: PET,
      representedParty: { partyClass: "COM", partyCode: "10000002" },
    });
    const [record] = await json(`${sb.ss2.admin}/api/v1/messages?queryId=${encodeURIComponent(forCompany.id)}`, {
      token: sb.ss2.token,
    });
    assert.equal(record.representedParty, "COM/10000002");
    await assert.rejects(
      consumer().call({ service: PETS, path: "/v2/pets/1124", answer: PET, representedParty: { partyCode: "" } }),
      TypeError,
    );
  });

  it("sends a JSON body", async () => {
    const answer = await consumer().call({
      service: PETS,
      path: "/v2/pets",
      method: "POST",
      body: { name: "Muri" },
      answer: PET,
    });
    assert.equal(answer.body.name, "Muri");
  });

  it("an X-Road refusal is XROAD_FAULT with its X-Road error type (plain HTTP client)", async () => {
    // ss2 grants OTHER only GET /v2/pets/*.
    const other = client({ securityServer: sb.ss1.client, client: OTHER });
    const details = await refused(
      other.call({ service: PETS, path: "/v2/pets", answer: Type.Array(PET) }),
      "XROAD_FAULT",
    );
    assert.equal(details.type, "Server.ServerProxy.AccessDenied");
    assert.equal(details.status, 500);
  });

  it("a provider's error answer is XROAD_PROVIDER with its status and its own code", async () => {
    const details = await refused(
      consumer().call({
        service: PERSONS,
        path: `/persons/${NOT_REGISTERED}`,
        answer: PERSON,
        userId: "EE49403136526",
        issue: "identity check",
      }),
      "XROAD_PROVIDER",
    );
    assert.equal(details.status, 404);
    assert.equal(details.providerCode, "PERSON_NOT_FOUND");
    const missing = await refused(
      consumer().call({ service: PETS, path: "/v2/pets/999", answer: PET }),
      "XROAD_PROVIDER",
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.providerCode, undefined);
  });

  it("an answer not of the schema is XROAD_BAD_ANSWER", async () => {
    await refused(consumer().call({ service: PETS, path: "/v2/pets/1124", answer: PERSON }), "XROAD_BAD_ANSWER");
  });

  it("a security server that does not answer is XROAD_UNREACHABLE", async () => {
    const nowhere = client({ securityServer: `http://127.0.0.1:${await freePort()}`, client: OTHER });
    await refused(nowhere.call({ service: PETS, path: "/v2/pets/1124", answer: PET }), "XROAD_UNREACHABLE");
  });

  it("refuses ids that are not X-Road ids before sending anything", async () => {
    assert.throws(() => new XRoadRestClient({ securityServer: sb.ss1.client, client: "EE/GOV/70000001" }), TypeError);
    const other = client({ securityServer: sb.ss1.client, client: OTHER });
    await assert.rejects(other.call({ service: "EE/GOV/x", path: "/", answer: PET }), { code: "XROAD_ID_FORMAT" });
  });
});
