// The health insurance fund's register on SQLite and PostgreSQL, through its API: is a person
// insured today, on another day, after their period ended; bad codes and periods refused.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DATA_SUBJECTS_HEADER, generatePersonalCode } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import type { MemberService } from "@riik/kit";
import {
  createInsuranceService,
  healthInsuranceDescriptor,
  type InsuranceRegister,
  openInsuranceRegister,
} from "../src/index.ts";

const worker = generatePersonalCode("1985-05-05", "female", 301);
const former = generatePersonalCode("1970-02-02", "male", 302);
const stranger = generatePersonalCode("1999-09-09", "male", 303);

for (const target of await dialectTargets()) {
  describe(`health insurance fund on ${target.dialect}`, () => {
    let register: InsuranceRegister;
    let service: MemberService;
    let url: string;
    before(async () => {
      register = await openInsuranceRegister(target.location("health_insurance"));
      service = createInsuranceService(register);
      url = await service.listen({ port: 0 });
    });
    after(async () => {
      await service.close();
      await register.close();
    });
    const post = (code: string, body: unknown) =>
      fetch(`${url}/persons/${code}/insurance-periods`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    test("insured today while a period lasts; not after it ended; not when never insured", async () => {
      assert.equal((await post(worker, { basis: "employment", start: "2020-01-01", end: null })).status, 200);
      assert.equal(
        (await post(`EE${former}`, { basis: "employment", start: "2010-01-01", end: "2026-01-31" })).status,
        200,
      );
      const today = await fetch(`${url}/persons/EE${worker}/insurance`);
      assert.equal(today.headers.get(DATA_SUBJECTS_HEADER), `EE${worker}`);
      const answer = await today.json();
      assert.equal(answer.insured, true);
      assert.equal(answer.period.basis, "employment");
      assert.equal((await (await fetch(`${url}/persons/${former}/insurance`)).json()).insured, false);
      assert.equal((await (await fetch(`${url}/persons/${former}/insurance?on=2025-06-30`)).json()).insured, true);
      assert.equal((await (await fetch(`${url}/persons/${stranger}/insurance`)).json()).insured, false);
      // The period ends: recorded again with its end.
      await post(worker, { basis: "employment", start: "2020-01-01", end: "2020-12-31" });
      assert.equal((await (await fetch(`${url}/persons/${worker}/insurance`)).json()).insured, false);
    });

    test("refusals: a bad check digit, an end before the start, an unknown basis", async () => {
      const bad = await fetch(`${url}/persons/${worker.slice(0, 10)}${(Number(worker[10]) + 1) % 10}/insurance`);
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).code, "PERSONAL_CODE_INVALID");
      const backwards = await post(worker, { basis: "pension", start: "2026-01-01", end: "2025-01-01" });
      assert.equal((await backwards.json()).code, "PERIOD_INVALID");
      assert.equal(
        (await (await post(worker, { basis: "luck", start: "2026-01-01", end: null })).json()).code,
        "REQUEST_INVALID",
      );
    });
  });
}

test("the fund's descriptor: the insurance service and who may ask or report", () => {
  const exchange = healthInsuranceDescriptor.exchange!(
    {
      dir: "/d",
      port: 8531,
      host: "127.0.0.1",
      insuranceClients: ["EE/COM/10000024/apteek"],
      reportingClients: ["EE/GOV/70000349/emta"],
    },
    { subsystem: "EE/GOV/74000091/ravikindlustus", url: "http://127.0.0.1:8531" },
  );
  assert.deepEqual(
    exchange.access?.map((a) => [a.subject, a.method, a.paths]),
    [
      ["EE/COM/10000024/apteek", "GET", ["/persons/*/insurance"]],
      ["EE/GOV/70000349/emta", "POST", ["/persons/*/insurance-periods"]],
    ],
  );
});
