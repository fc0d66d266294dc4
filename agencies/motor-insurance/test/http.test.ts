// The bureau's insurance API on SQLite and PostgreSQL: insurers checked against a business
// register, policies submitted by the insurer itself (X-Road-Client), who insures a vehicle
// at a moment and the yes/no, with every refusal typed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DATA_SUBJECTS_HEADER } from "@riik/core";
import { dialectTargets } from "@riik/core/testing";
import type { MemberService } from "@riik/kit";
import {
  createMotorInsuranceService,
  type MotorInsuranceBureau,
  motorInsuranceDescriptor,
  openMotorInsuranceBureau,
} from "../src/index.ts";
import { clientOf, driverA, insurerA, insurerB, policyFor } from "./fixture.ts";

const VIN = "WVWZZZ1JZ3W386752";
/** The business register's answer: these two companies exist. */
const companies = async (code: string) =>
  ({ [insurerA]: "Kindlustus AS", [insurerB]: "Turva AS" })[code] as string | undefined;
const noLedger = {
  anchor: async () => {
    throw new Error("no case is made here");
  },
};

for (const target of await dialectTargets()) {
  describe(`the bureau's insurance API on ${target.dialect}`, () => {
    let bureau: MotorInsuranceBureau;
    let service: MemberService;
    let url: string;
    before(async () => {
      bureau = await openMotorInsuranceBureau(target.location("motor_insurance_http"), {
        anchor: noLedger,
        trustAnchors: [],
        companies,
      });
      service = createMotorInsuranceService(bureau);
      url = await service.listen({ port: 0 });
    });
    after(async () => {
      await service.close();
      await bureau.close();
    });
    const call = (method: string, path: string, body?: unknown, client?: string) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(client ? { "x-road-client": client } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const refused = async (res: Response, status: number, code: string) => {
      assert.equal(res.status, status);
      assert.equal((await res.json()).code, code);
      assert.equal(res.headers.get(DATA_SUBJECTS_HEADER), null);
    };

    test("insurers are companies of the business register", async () => {
      const created = await call("POST", "/insurers", { registryCode: insurerA, name: "ignored" });
      assert.equal(created.status, 201);
      assert.deepEqual(await created.json(), { registryCode: insurerA, name: "Kindlustus AS" });
      await refused(await call("POST", "/insurers", { registryCode: insurerA, name: "x" }), 409, "INSURER_EXISTS");
      await refused(await call("POST", "/insurers", { registryCode: "90000009", name: "x" }), 422, "COMPANY_UNKNOWN");
      await refused(
        await call("POST", "/insurers", { registryCode: "01234567", name: "x" }),
        400,
        "REGISTRY_CODE_INVALID",
      );
      await refused(await call("POST", "/insurers", { registryCode: "1234", name: "x" }), 400, "REQUEST_INVALID");
      assert.equal((await call("POST", "/insurers", { registryCode: insurerB, name: "x" })).status, 201);
    });

    test("policies come from the insurer itself; one at a time per vehicle", async () => {
      const policy = policyFor("KA-1", VIN, "123 abc", driverA);
      await refused(await call("POST", "/policies", policy), 403, "NOT_AN_INSURER");
      await refused(await call("POST", "/policies", policy, "EE/COM/90000009/policies"), 403, "NOT_AN_INSURER");
      const created = await call("POST", "/policies", policy, clientOf(insurerA));
      assert.equal(created.status, 201);
      assert.equal(created.headers.get(DATA_SUBJECTS_HEADER), `EE${driverA}`);
      assert.equal((await created.json()).plate, "123ABC");
      await refused(await call("POST", "/policies", policy, clientOf(insurerA)), 409, "POLICY_EXISTS");
      await refused(
        await call("POST", "/policies", { ...policy, number: "TU-1" }, clientOf(insurerB)),
        409,
        "POLICY_OVERLAP",
      );
      await refused(
        await call("POST", "/policies", { ...policy, number: "TU-2", vin: "WVWZZZ1JZ3W38675I" }, clientOf(insurerB)),
        400,
        "POLICY_INVALID",
      );
      await refused(
        await call(
          "POST",
          "/policies",
          { ...policy, number: "TU-3", validFrom: policy.validUntil, validUntil: policy.validFrom },
          clientOf(insurerB),
        ),
        400,
        "POLICY_INVALID",
      );
      // The next year with the other insurer.
      const next = { ...policy, number: "TU-4", validFrom: policy.validUntil, validUntil: "2028-01-01T00:00:00.000Z" };
      assert.equal((await call("POST", "/policies", next, clientOf(insurerB))).status, 201);
    });

    test("who insures the vehicle at a moment, and the yes/no", async () => {
      const now = await call("GET", `/insurance?plate=123ABC&at=2026-06-01T12:00:00Z`);
      assert.equal(now.status, 200);
      const found = await now.json();
      assert.deepEqual([found.insurer.registryCode, found.policy.number, found.vin], [insurerA, "KA-1", VIN]);
      assert.equal(now.headers.get(DATA_SUBJECTS_HEADER), `EE${driverA}`);
      const later = await (await call("GET", `/insurance?vin=${VIN}&at=2027-03-01T00:00:00Z`)).json();
      assert.equal(later.insurer.name, "Turva AS");
      await refused(await call("GET", "/insurance?plate=123ABC&at=2030-01-01T00:00:00Z"), 404, "NOT_INSURED");
      await refused(await call("GET", "/insurance?plate=999ZZZ"), 404, "VEHICLE_UNKNOWN");
      await refused(await call("GET", "/insurance"), 400, "REQUEST_INVALID");
      await refused(await call("GET", "/insurance?at=2026-06-01T12:00:00Z"), 400, "REQUEST_INVALID");
      await refused(await call("GET", "/insurance?plate=123ABC&at=yesterday"), 400, "REQUEST_INVALID");
      const yes = async (query: string) => (await (await call("GET", `/insurance/validity?${query}`)).json()).insured;
      assert.equal(await yes("plate=123ABC&at=2026-06-01T12:00:00Z"), true);
      assert.equal(await yes("plate=123ABC&at=2030-06-01T12:00:00Z"), false);
      assert.equal(await yes("plate=999ZZZ"), false);
    });
  });
}

test("the descriptor grants insurers policies and their cases, the police cases only", () => {
  const exchange = motorInsuranceDescriptor.exchange!(
    {
      dir: "d",
      trust: "root.pem",
      ledgerUrl: "http://127.0.0.1:8440",
      port: 8495,
      host: "127.0.0.1",
      insurerClients: [clientOf(insurerA)],
      insuranceClients: [],
      casesClients: [],
      policeClients: ["EE/GOV/70005980/police"],
      adminClients: [],
    },
    { subsystem: "EE/COM/80072004/lkf", url: "http://127.0.0.1:8495" },
  );
  assert.deepEqual(
    exchange.access?.map((a) => [a.subject, a.service.split("/").at(-1), a.method]),
    [
      [clientOf(insurerA), "motor-insurance", "GET"],
      [clientOf(insurerA), "motor-insurance", "POST"],
      [clientOf(insurerA), "accident-cases", "GET"],
      [clientOf(insurerA), "accident-cases", "POST"],
      ["EE/GOV/70005980/police", "accident-cases", "GET"],
    ],
  );
});
