import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import {
  createPopulationRegisterService,
  demoPersons,
  openPopulationRegister,
  POPULATION_REGISTER_ERRORS,
  type PopulationRegister,
  populationRegisterOpenApi,
  seedPopulation,
  startPopulationRegister,
} from "@riik/population-register";
import fc from "fast-check";

const HEADER = "x-riik-data-subjects";
/** Every code the register's API may answer with: its catalogue and the service base's request codes. */
const ANSWER_CODES = new Set([
  ...Object.keys(POPULATION_REGISTER_ERRORS),
  "REQUEST_INVALID",
  "BODY_MALFORMED",
  "BODY_TOO_LARGE",
  "CONTENT_TYPE_UNSUPPORTED",
  "ROUTE_NOT_FOUND",
]);

describe("population register HTTP API", () => {
  const dataDir = temporaryDirectory();
  let register: PopulationRegister;
  let app: ReturnType<typeof createPopulationRegisterService>["app"];
  let demo: { personalCode: string; givenName: string; surname: string };

  before(async () => {
    await seedPopulation({ dataDir, persons: 1_500, seed: 3 });
    [demo] = (await demoPersons({ dataDir }, 1)) as [typeof demo];
    register = await openPopulationRegister({ dataDir });
    app = createPopulationRegisterService(register).app;
  });
  after(async () => {
    await app.close();
    await register.close();
  });

  const get = (url: string) => app.inject({ method: "GET", url });

  test("GET /persons/{code} returns the person and names them as the data subject", async () => {
    const res = await get(`/persons/${demo.personalCode}`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers[HEADER], `EE${demo.personalCode}`);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), [
      "birthDate",
      "citizenship",
      "dateOfDeath",
      "deceased",
      "givenName",
      "personalCode",
      "sex",
      "status",
      "surname",
    ]);
    assert.equal(body.personalCode, demo.personalCode);
    assert.equal(body.givenName, demo.givenName);
    assert.equal(body.citizenship, "EST");
    assert.equal(body.status, "alive");
    assert.equal(body.deceased, false);
    assert.equal(body.dateOfDeath, null);
  });

  test("deceased persons have a status and a date of death", async () => {
    const dead = await register.db
      .selectFrom("person")
      .select("personal_code")
      .where("date_of_death", "is not", null)
      .executeTakeFirstOrThrow();
    const body = (await get(`/persons/${dead.personal_code}`)).json();
    assert.equal(body.status, "deceased");
    assert.equal(body.deceased, true);
    assert.match(body.dateOfDeath, /^\d{4}-\d{2}-\d{2}$/);
    const res = await app.inject({
      method: "PUT",
      url: `/persons/${dead.personal_code}/address`,
      payload: {
        county: "Harju maakond",
        municipality: "Tallinn",
        settlement: "Kesklinna linnaosa",
        street: "Narva mnt",
        house: "5",
        postalCode: "10117",
      },
    });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().code, "PERSON_DECEASED");
    assert.equal(res.headers[HEADER], undefined);
  });

  test("GET /persons/{code}/family lists parents, children and spouse, and every one as a data subject", async () => {
    const res = await get(`/persons/${demo.personalCode}/family`);
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.personalCode, demo.personalCode);
    assert.ok(body.spouse, "demo persons are married");
    assert.ok(body.children.length > 0);
    // Demo persons are parents of a minor child where the register has such parents (acting for a child).
    const adultSince = new Date();
    adultSince.setUTCFullYear(adultSince.getUTCFullYear() - 18);
    assert.ok(
      body.children.some((c: { birthDate: string }) => c.birthDate > adultSince.toISOString().slice(0, 10)),
      "a demo person has a minor child",
    );
    const relatives = [...body.parents, ...body.children, body.spouse];
    for (const r of relatives)
      assert.deepEqual(Object.keys(r).sort(), ["birthDate", "givenName", "personalCode", "surname"]);
    const subjects = String(res.headers[HEADER]).split(",");
    assert.deepEqual(
      subjects.sort(),
      [demo.personalCode, ...relatives.map((r: { personalCode: string }) => r.personalCode)]
        .map((c) => `EE${c}`)
        .sort(),
    );
    // The spouse's family names the demo person back; a child's parents include them.
    const spouse = (await get(`/persons/${body.spouse.personalCode}/family`)).json();
    assert.equal(spouse.spouse.personalCode, demo.personalCode);
    const child = (await get(`/persons/${body.children[0].personalCode}/family`)).json();
    assert.ok(child.parents.some((p: { personalCode: string }) => p.personalCode === demo.personalCode));
  });

  test("GET and PUT address; the history keeps every address, newest first", async () => {
    const current = await get(`/persons/${demo.personalCode}/address`);
    assert.equal(current.statusCode, 200);
    assert.equal(current.headers[HEADER], `EE${demo.personalCode}`);
    const old = current.json().address;
    assert.deepEqual(Object.keys(old).sort(), [
      "apartment",
      "county",
      "ehakCode",
      "house",
      "municipality",
      "postalCode",
      "settlement",
      "since",
      "street",
    ]);
    const historyBefore = (await get(`/persons/${demo.personalCode}/address/history`)).json().addresses;
    const next = {
      county: "Pärnu maakond",
      municipality: "Pärnu linn",
      settlement: "Pärnu linn",
      street: "Rüütli tn",
      house: "12a",
      apartment: "4",
      postalCode: "80010",
      ehakCode: "0624",
      since: new Date().toISOString().slice(0, 10),
    };
    const put = await app.inject({ method: "PUT", url: `/persons/${demo.personalCode}/address`, payload: next });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.headers[HEADER], `EE${demo.personalCode}`);
    assert.deepEqual(put.json(), { personalCode: demo.personalCode, address: next });
    assert.deepEqual((await get(`/persons/${demo.personalCode}/address`)).json().address, next);
    const history = await get(`/persons/${demo.personalCode}/address/history`);
    assert.equal(history.headers[HEADER], `EE${demo.personalCode}`);
    assert.deepEqual(history.json().addresses, [next, ...historyBefore]);
    assert.deepEqual(historyBefore[0], old);
  });

  test("bad addresses are refused with every bad field named", async () => {
    const url = `/persons/${demo.personalCode}/address`;
    // A valid address with one thing wrong each: the wrong municipality for the county, a short
    // postal code, a future or impossible date, an unknown field; and shapes that are no address.
    const valid = {
      county: "Harju maakond",
      municipality: "Tallinn",
      settlement: "x",
      street: "y",
      house: "1",
      postalCode: "10111",
    };
    // The shape is the route's schema (REQUEST_INVALID); what it means is the register's (ADDRESS_INVALID).
    const cases: [unknown, number, string][] = [
      [{ county: "Harju maakond" }, 400, "REQUEST_INVALID"],
      [{ ...valid, municipality: "Tartu linn" }, 400, "ADDRESS_INVALID"],
      [{ ...valid, postalCode: "1011" }, 400, "REQUEST_INVALID"],
      [{ ...valid, since: "2999-01-01" }, 400, "ADDRESS_INVALID"],
      [{ ...valid, since: "2020-02-30" }, 400, "REQUEST_INVALID"],
      [{ ...valid, extra: 1 }, 400, "REQUEST_INVALID"],
      [{ ...valid, house: 1 }, 400, "REQUEST_INVALID"],
      [[1, 2], 400, "REQUEST_INVALID"],
    ];
    for (const [payload, status, code] of cases) {
      const res = await app.inject({ method: "PUT", url, payload: payload as object });
      assert.equal(res.statusCode, status, JSON.stringify(payload));
      assert.equal(res.json().code, code);
      assert.equal(res.headers[HEADER], undefined);
    }
    const invalid = await app.inject({ method: "PUT", url, payload: { county: "Atlantis", house: "x x" } });
    const errors = invalid.json().details.errors as Array<{ path: string; params?: { missingProperty?: string } }>;
    assert.deepEqual(
      [...new Set(errors.map((e) => e.params?.missingProperty ?? e.path.replace(/^body\//, "")))].sort(),
      ["county", "house", "municipality", "postalCode", "settlement", "street"],
    );
    const text = await app.inject({ method: "PUT", url, payload: "hello", headers: { "content-type": "text/plain" } });
    assert.equal(text.statusCode, 415);
    const broken = await app.inject({
      method: "PUT",
      url,
      payload: "{",
      headers: { "content-type": "application/json" },
    });
    assert.equal(broken.statusCode, 400);
    const huge = await app.inject({ method: "PUT", url, payload: { street: "x".repeat(20_000) } });
    assert.equal(huge.statusCode, 413);
  });

  test("unknown persons get 404 PERSON_NOT_FOUND, malformed codes 400 REQUEST_INVALID or PERSONAL_CODE_INVALID, neither names a subject", async () => {
    const unknown = generatePersonalCode("1850-01-01", "male", 999);
    for (const path of ["", "/family", "/address", "/address/history"]) {
      const res = await get(`/persons/${unknown}${path}`);
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().code, "PERSON_NOT_FOUND");
      assert.equal(res.headers[HEADER], undefined);
    }
    // Not the shape of the path parameter's schema, or the shape with a wrong date or check digit.
    const bad: Array<[string, string]> = [
      ["3800108571", "REQUEST_INVALID"],
      ["EE38001085718", "REQUEST_INVALID"],
      ["99001085718", "REQUEST_INVALID"],
      ["abc", "REQUEST_INVALID"],
      ["%20", "REQUEST_INVALID"],
      ["38001085719", "PERSONAL_CODE_INVALID"],
      ["38013325718", "PERSONAL_CODE_INVALID"],
    ];
    for (const [code, expected] of bad) {
      const res = await get(`/persons/${code}/family`);
      assert.equal(res.statusCode, 400, code);
      assert.equal(res.json().code, expected, code);
      assert.equal(res.headers[HEADER], undefined);
    }
    const put = await app.inject({ method: "PUT", url: `/persons/${unknown}/address`, payload: {} });
    assert.equal(put.statusCode, 400, "the body is checked first");
    const route = await get("/nothing/here");
    assert.equal(route.statusCode, 404);
    assert.equal(route.json().code, "ROUTE_NOT_FOUND");
  });

  test("#10 every route declares its request: unknown query parameters and body fields are refused, and it keeps serving", async () => {
    const routes: Array<[string, string]> = [
      ["GET", `/persons/${demo.personalCode}`],
      ["GET", `/persons/${demo.personalCode}/family`],
      ["GET", `/persons/${demo.personalCode}/address`],
      ["GET", `/persons/${demo.personalCode}/address/history`],
      ["PUT", `/persons/${demo.personalCode}/address`],
      ["GET", "/openapi.json"],
    ];
    for (const [method, url] of routes) {
      const res = await app.inject({ method: method as "GET", url: `${url}?limit=1` });
      assert.equal(res.statusCode, 400, `${method} ${url}?limit=1`);
      assert.equal(res.json().code, "REQUEST_INVALID");
      assert.equal(res.headers[HEADER], undefined, "nobody's data was read");
    }
    const ok = await get(`/persons/${demo.personalCode}`);
    assert.equal(ok.statusCode, 200, "still serving");
    // The OpenAPI document is generated from the very schemas the routes validate with.
    const doc = (await populationRegisterOpenApi()) as any;
    const put = doc.paths["/persons/{code}/address"].put;
    assert.equal(put.parameters[0].schema.pattern, "^[1-8][0-9]{10}$");
    const addressInput = put.requestBody.content["application/json"].schema;
    assert.equal(addressInput.additionalProperties, false);
    assert.deepEqual(addressInput.required, ["county", "municipality", "settlement", "street", "house", "postalCode"]);
  });

  test("GET /openapi.json is an OpenAPI 3.1 document listing every path", async () => {
    const res = await get("/openapi.json");
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers[HEADER], undefined);
    const doc = JSON.parse(res.body);
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      "/personal-codes",
      "/persons/{code}",
      "/persons/{code}/address",
      "/persons/{code}/address/history",
      "/persons/{code}/family",
      "/vital-events/address-changes",
      "/vital-events/births",
      "/vital-events/deaths",
      "/vital-events/divorces",
      "/vital-events/marriages",
      "/vital-events/name-changes",
    ]);
    assert.deepEqual(Object.keys(doc.paths["/persons/{code}/address"]).sort(), ["get", "put"]);
    // Every $ref resolves.
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[A-Za-z]+"/g) ?? [];
    for (const ref of refs) assert.ok(doc.components.schemas[ref.split("/").at(-1)!.replace('"', "")], ref);
    const json = (response: any) => response.content["application/json"].schema;
    for (const [, item] of Object.entries<Record<string, { responses: Record<string, any> }>>(doc.paths))
      for (const [method, operation] of Object.entries(item)) {
        const success = operation.responses[method === "post" ? "201" : "200"];
        assert.ok(success && operation.responses["400"]);
        // Answers with personal data declare the Data Tracker header, the personal code allocated
        // (not yet anyone's) none; every error answer is { code, message, details? }.
        assert.equal(
          Boolean(success.headers?.["X-Riik-Data-Subjects"]),
          (operation as { operationId?: string }).operationId !== "allocatePersonalCode",
        );
        for (const [status, response] of Object.entries(operation.responses))
          if (Number(status) >= 400) assert.deepEqual(json(response).required, ["code", "message"], status);
      }
    const person = json(doc.paths["/persons/{code}"].get.responses["200"]);
    assert.deepEqual(person.required, [
      "personalCode",
      "givenName",
      "surname",
      "sex",
      "birthDate",
      "dateOfDeath",
      "deceased",
      "citizenship",
      "status",
    ]);
    assert.equal(person.properties.personalCode.pattern, "^[1-8][0-9]{10}$");
    const family = json(doc.paths["/persons/{code}/family"].get.responses["200"]);
    assert.deepEqual(family.required, ["personalCode", "parents", "children", "spouse"]);
    const history = json(doc.paths["/persons/{code}/address/history"].get.responses["200"]);
    assert.deepEqual(history.properties.addresses.items.required, [
      "county",
      "municipality",
      "settlement",
      "street",
      "house",
      "apartment",
      "postalCode",
      "ehakCode",
      "since",
    ]);
  });

  test("arbitrary paths never make the server fail (no 5xx)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.stringMatching(/^[0-9]{0,12}$/),
          fc.constantFrom("%", "%ZZ", "..", "%00", "a/b", "%2F", "\u00e4", "38001085718/family/x"),
        ),
        fc.constantFrom("", "/family", "/address", "/address/history", "/x"),
        fc.constantFrom("GET", "PUT", "POST", "DELETE"),
        async (code, suffix, method) => {
          const res = await app.inject({
            method: method as "GET",
            url: `/persons/${code}${suffix}`,
            ...(method === "PUT" ? { payload: { county: code } } : {}),
          });
          assert.ok(res.statusCode < 500, `${method} /persons/${code}${suffix} -> ${res.statusCode} ${res.body}`);
          if (res.statusCode >= 400) assert.ok(ANSWER_CODES.has(res.json().code), res.body);
        },
      ),
      { numRuns: 400 },
    );
  });

  test("serves on a real port with /healthz and /metrics", async () => {
    const server = await startPopulationRegister({ dataDir: temporaryDirectory(), port: 0 });
    try {
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /riik_http_requests_total/);
      const res = await fetch(`${server.url}/persons/38001085718`);
      assert.equal(res.status, 404);
      assert.equal((await res.json()).code, "PERSON_NOT_FOUND");
    } finally {
      await server.close();
    }
  });
});
