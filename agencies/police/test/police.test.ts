// The police app against the real exchange: its security server (ss1), the provider's (ss2)
// and the population register behind it, all as in a deployment (xroad's sandbox fixture).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import {
  demoPersons,
  type PopulationRegisterServer,
  seedPopulation,
  startPopulationRegister,
} from "@riik/population-register";
import fc from "fast-check";
import {
  DATATRACKER,
  json,
  OTHER,
  PROVIDER_SUBSYSTEM,
  READER,
  type Sandbox,
  startSandbox,
} from "../../../platform/xroad/test/fixtures/sandbox.ts";
import { assertPersonQuery, createPoliceApp, type PoliceApp, PoliceError } from "../src/index.ts";

const OFFICER = "49403136526";
/** A valid personal code of someone born in 1850, whom the seeded register cannot have. */
const NOBODY = generatePersonalCode("1850-01-01", "male", 999);
const IN_A_MONTH = new Date(Date.now() + 30 * 86_400_000).toISOString();
/** The register's service on ss2, and one whose provider answers 404 for another reason. */
const RR = `${PROVIDER_SUBSYSTEM}/rr`;
const MISROUTED = `${PROVIDER_SUBSYSTEM}/misrouted`;

let sb: Sandbox;
let register: PopulationRegisterServer;
let person: { personalCode: string; givenName: string; surname: string };
const apps: PoliceApp[] = [];

/** A police app of client OTHER (plain HTTP from loopback) on ss1, asking `service`. */
function police(service = RR, securityServer = sb.ss1.client): PoliceApp {
  const app = createPoliceApp({
    port: 0,
    host: "127.0.0.1",
    client: OTHER,
    securityServer: { url: securityServer },
    personsService: service,
  });
  apps.push(app);
  return app;
}

const ask = (app: PoliceApp, body: unknown) =>
  app.app.inject({ method: "POST", url: "/queries", payload: body as Record<string, unknown> });

/** What the Data Tracker on ss2 shows the person, read by the sandbox's reader through X-Road. */
async function uses(personalCode: string): Promise<Array<{ action: string; riik: { userId: string } }>> {
  const reply = await fetch(`${sb.ss1.client}/r1/${DATATRACKER}/v2/findUsage?userCode=EE${personalCode}`, {
    headers: { "x-road-client": READER, "x-road-userid": `EE${personalCode}` },
  });
  assert.equal(reply.status, 200);
  return ((await reply.json()) as { usages: Array<{ action: string; riik: { userId: string } }> }).usages;
}

before(async () => {
  const dir = temporaryDirectory("riik-police-");
  const dataDir = `${dir}/population-register`;
  await seedPopulation({ dataDir, persons: 30, seed: 7 });
  [person] = (await demoPersons({ dataDir }, 1)) as [typeof person];
  register = await startPopulationRegister({ dataDir, port: await freePort() });
  sb = await startSandbox({ dir, dataTracker: true });
  const admin = (path: string, method = "GET", body?: unknown) =>
    json(`${sb.ss2.admin}${path}`, { method, token: sb.ss2.token, ...(body ? { body: JSON.stringify(body) } : {}) });
  const provider = encodeURIComponent(PROVIDER_SUBSYSTEM);
  // As riik up configures the register's security server (apps/state/src/up/boot.ts).
  await admin(`/api/v1/clients/${provider}/services`, "POST", {
    serviceCode: "rr",
    url: register.url,
    personalData: true,
  });
  await admin(`/api/v1/clients/${provider}/services`, "POST", {
    serviceCode: "misrouted",
    url: `${sb.providerUrl}/nowhere`,
  });
  for (const service of ["rr", "misrouted"])
    for (const path of ["/persons/*", "/persons/*/**"])
      await admin(`/api/v1/clients/${provider}/services/${service}/access`, "POST", {
        subject: OTHER,
        method: "GET",
        path,
      });
  await admin(`/api/v1/clients/${provider}/datatracker/hide-grants`, "POST", { consumer: OTHER });
  for (const ss of [sb.ss1, sb.ss2]) await json(`${ss.admin}/api/v1/refresh`, { method: "POST", token: ss.token });
});

after(async () => {
  for (const app of apps) await app.close();
  await register?.close();
  await sb?.stop();
});

describe("police app through real security servers (ss1 → ss2 → population register)", () => {
  it("asks the register for a person, naming the officer and the purpose, and the person sees the use", async () => {
    const purpose = "Isikusamasuse tuvastamine, menetlus 1-23 (Šoti kodanik)";
    const reply = await ask(police(), { personalCode: person.personalCode, purpose, officer: OFFICER });
    assert.equal(reply.statusCode, 200, reply.body);
    const body = reply.json();
    assert.equal(body.person.personalCode, person.personalCode);
    assert.equal(body.person.surname, person.surname);
    assert.ok(body.xroad.id, "the exchange's message id");
    const [use] = await uses(person.personalCode);
    assert.equal(use?.action, purpose);
    assert.equal(use?.riik.userId, `EE${OFFICER}`);
  });

  it("hides a use from the person until the date it names, with its legal reason", async () => {
    const before = (await uses(person.personalCode)).length;
    const reply = await ask(police(), {
      personalCode: person.personalCode,
      purpose: "Jälitustoiming",
      officer: OFFICER,
      hiddenUntil: IN_A_MONTH,
      hiddenReason: "Jälitustegevus §15",
    });
    assert.equal(reply.statusCode, 200, reply.body);
    assert.equal((await uses(person.personalCode)).length, before, "not shown before its date");
  });

  it("#22 an unknown person is 404 POLICE_NOT_FOUND: the register's PERSON_NOT_FOUND through both security servers", async () => {
    const reply = await ask(police(), { personalCode: NOBODY, purpose: "p", officer: OFFICER });
    assert.equal(reply.statusCode, 404, reply.body);
    assert.equal(reply.json().code, "POLICE_NOT_FOUND");
    assert.match(reply.json().message, new RegExp(NOBODY));
  });

  it("#22 a provider's 404 that is not PERSON_NOT_FOUND is the exchange failing (502), not a missing person", async () => {
    const reply = await ask(police(MISROUTED), { personalCode: person.personalCode, purpose: "p", officer: OFFICER });
    assert.equal(reply.statusCode, 502, reply.body);
    assert.equal(reply.json().code, "POLICE_UPSTREAM");
    assert.equal(reply.json().details.status, 404);
  });

  it("#22 X-Road faults are 502 POLICE_UPSTREAM with their type, and the app keeps serving", async () => {
    // ss2 grants OTHER only GET /v2/pets/* of the pet store.
    const app = police(`${PROVIDER_SUBSYSTEM}/pets`);
    const denied = await ask(app, { personalCode: person.personalCode, purpose: "p", officer: OFFICER });
    assert.equal(denied.statusCode, 502, denied.body);
    assert.equal(denied.json().code, "POLICE_UPSTREAM");
    assert.equal(denied.json().details.type, "Server.ServerProxy.AccessDenied");
    assert.equal((await app.app.inject({ url: "/healthz" })).statusCode, 200);

    // Nothing listens where this app's security server should be.
    const unreachable = await ask(police(RR, `http://127.0.0.1:${await freePort()}`), {
      personalCode: person.personalCode,
      purpose: "p",
      officer: OFFICER,
    });
    assert.equal(unreachable.statusCode, 502, unreachable.body);
    assert.equal(unreachable.json().code, "POLICE_UPSTREAM");
    assert.match(unreachable.json().message, /did not answer/);

    // The register stops: ss2 cannot reach it.
    await register.close();
    const down = await ask(police(), { personalCode: person.personalCode, purpose: "p", officer: OFFICER });
    assert.equal(down.statusCode, 502, down.body);
    assert.equal(down.json().code, "POLICE_UPSTREAM");
    assert.match(down.json().details.type, /^Server\.ServerProxy\.(ServiceFailed|NetworkError)$/);
  });
});

describe("police app requests", () => {
  // Nothing listens at its security server: a query that got that far would be a 502.
  let app: PoliceApp;
  before(async () => {
    app = police(RR, `http://127.0.0.1:${await freePort()}`);
  });

  it("#10 refuses what is not the query's schema with REQUEST_INVALID, listing every mismatch, sending nothing", async () => {
    const reply = await ask(app, {
      personalCode: "3800108571",
      officer: "x",
      purpose: " ",
      extra: 1,
      hiddenUntil: "soon",
    });
    assert.equal(reply.statusCode, 400, reply.body);
    assert.equal(reply.json().code, "REQUEST_INVALID");
    const paths = (reply.json().details.errors as Array<{ path: string }>).map((e) => e.path);
    for (const path of ["body/personalCode", "body/officer", "body/purpose", "body/hiddenUntil"])
      assert.ok(paths.includes(path), `${path} in ${paths}`);
    assert.ok(
      (reply.json().details.errors as Array<{ params?: { additionalProperty?: string } }>).some(
        (e) => e.params?.additionalProperty === "extra",
      ),
    );
    for (const payload of ["[]", "null", '"x"', "{"]) {
      const res = await app.app.inject({
        method: "POST",
        url: "/queries",
        payload,
        headers: { "content-type": "application/json" },
      });
      assert.equal(res.statusCode, 400, payload);
      assert.match(res.json().code, /^(REQUEST_INVALID|BODY_MALFORMED)$/);
    }
    const text = await app.app.inject({
      method: "POST",
      url: "/queries",
      payload: "x",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().code, "CONTENT_TYPE_UNSUPPORTED");
    const query = await app.app.inject({ method: "POST", url: "/queries?x=1", payload: {} });
    assert.equal(query.json().code, "REQUEST_INVALID");
  });

  it("refuses well-formed but wrong fields with POLICE_INPUT, every one by path", async () => {
    const reply = await ask(app, {
      personalCode: "38001085719",
      officer: OFFICER,
      purpose: "p",
      hiddenUntil: "2000-01-01",
    });
    assert.equal(reply.statusCode, 400, reply.body);
    assert.equal(reply.json().code, "POLICE_INPUT");
    assert.deepEqual(Object.keys(reply.json().details.problems).sort(), [
      "/hiddenReason",
      "/hiddenUntil",
      "/personalCode",
    ]);
  });

  it("answers /healthz", async () => {
    assert.equal((await app.app.inject({ url: "/healthz" })).statusCode, 200);
  });

  it("#10 property: every body gets the code its fault calls for, never a 5xx of its own", async () => {
    type Verdict = "ok" | "meaning" | "shape";
    const valid = fc
      .tuple(fc.integer({ min: 1900, max: 2020 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }))
      .chain(([y, m, d]) =>
        fc
          .tuple(fc.constantFrom("male", "female" as const), fc.integer({ min: 0, max: 999 }))
          .map(([sex, serial]) =>
            generatePersonalCode(`${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`, sex, serial),
          ),
      );
    const code = fc.oneof(
      valid.map((c): [unknown, Verdict] => [c, "ok"]),
      // The same digits with another check digit: the shape, not the meaning.
      valid.map((c): [unknown, Verdict] => [`${c.slice(0, 10)}${(Number(c[10]) + 1) % 10}`, "meaning"]),
      fc
        .string({ maxLength: 14 })
        .filter((t) => !/^[1-8][0-9]{10}$/.test(t))
        .map((t): [unknown, Verdict] => [t, "shape"]),
      fc.oneof(fc.integer(), fc.constant(null), fc.boolean()).map((v): [unknown, Verdict] => [v, "shape"]),
    );
    const purpose = fc.oneof(
      fc.constantFrom<[unknown, Verdict]>(["Isikusamasuse tuvastamine", "ok"], ["Šoti kodanik", "ok"], ["x", "ok"]),
      fc.constantFrom<[unknown, Verdict]>(["", "shape"], ["  ", "shape"], ["a\u0000b", "shape"], ["a\nb", "shape"]),
      fc.constantFrom<[unknown, Verdict]>(["x".repeat(501), "shape"], [7, "shape"], [["p"], "shape"]),
    );
    const query = fc.record({ personalCode: code, purpose, officer: code }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          query,
          fc.jsonValue().map((v) => ({ raw: v })),
        ),
        async (input) => {
          let body: unknown;
          let expected: string;
          if ("raw" in input) {
            body = input.raw;
            const o = body as Record<string, unknown> | null;
            const hasAll =
              typeof o === "object" && o !== null && ["personalCode", "purpose", "officer"].every((k) => k in o);
            fc.pre(!hasAll);
            // A "__proto__" key anywhere is refused by the JSON parser itself (prototype
            // pollution guard), before the schema sees the body.
            expected = /"__proto__"\s*:/.test(JSON.stringify(body) ?? "") ? "BODY_MALFORMED" : "REQUEST_INVALID";
          } else {
            const fields = Object.entries(input) as Array<[string, [unknown, Verdict]]>;
            body = Object.fromEntries(fields.map(([k, [v]]) => [k, v]));
            const verdicts = fields.map(([, [, verdict]]) => verdict);
            expected =
              fields.length < 3 || verdicts.includes("shape")
                ? "REQUEST_INVALID"
                : verdicts.includes("meaning")
                  ? "POLICE_INPUT"
                  : "POLICE_UPSTREAM";
          }
          const reply = await app.app.inject({
            method: "POST",
            url: "/queries",
            payload: JSON.stringify(body) ?? "null",
            headers: { "content-type": "application/json" },
          });
          assert.equal(reply.json().code, expected, `${JSON.stringify(body)} -> ${reply.statusCode} ${reply.body}`);
          assert.equal(reply.statusCode, expected === "POLICE_UPSTREAM" ? 502 : 400);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("assertPersonQuery", () => {
  const valid = { personalCode: "38001085718", purpose: "p", officer: OFFICER };
  const refused = (query: Parameters<typeof assertPersonQuery>[0], problem: RegExp) =>
    assert.throws(
      () => assertPersonQuery(query),
      (error: unknown) => error instanceof PoliceError && error.code === "POLICE_INPUT" && problem.test(error.message),
    );

  it("accepts a minimal query and requires a reason with hiddenUntil, and the reverse", () => {
    assertPersonQuery(valid);
    refused({ ...valid, hiddenUntil: IN_A_MONTH }, /\/hiddenReason required with hiddenUntil/);
    refused({ ...valid, hiddenReason: "r" }, /\/hiddenUntil required with hiddenReason/);
    refused({ ...valid, hiddenUntil: "3999-01-01", hiddenReason: "r" }, /at most ten years/);
    refused({ ...valid, hiddenUntil: `${new Date().getUTCFullYear() + 1}-02-30`, hiddenReason: "r" }, /real date/);
  });
});
