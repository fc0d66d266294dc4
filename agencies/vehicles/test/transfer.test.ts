// Ownership transfer over the register's API on SQLite and PostgreSQL, with real cards from
// loopback trust services: the owner starts it, seller and buyer sign the same document
// (ASiC-E, B-LT), and only then does the buyer own the vehicle. Every refusal is typed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DATA_SUBJECTS_HEADER, generatePersonalCode } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import type { MemberService } from "@riik/kit";
import { type CardFile, issueCard } from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import { cardFileSigner, createContainer, readContainer, signContainer, writeContainer } from "@riik/signature";
import {
  createVehicleRegisterService,
  openVehicleRegister,
  startVehicles,
  TRANSFER_FILE,
  type VehicleRegister,
  vehiclesDescriptor,
} from "../src/index.ts";

const PIN2 = "12345";
const seller = generatePersonalCode("1970-04-02", "male", 71);
const buyer = generatePersonalCode("1994-09-30", "female", 72);
const stranger = generatePersonalCode("1980-01-01", "male", 73);
const car = {
  vin: "WVWZZZ1JZ3W386752",
  plate: "456 DEF",
  make: "Škoda",
  model: "Octavia",
  category: "M1",
  owner: seller,
};

const trust = await startTestTrustServices();
const cards = new Map<string, CardFile>();
for (const [code, given] of [
  [seller, "Mart"],
  [buyer, "Mari"],
  [stranger, "Jaan"],
] as const)
  cards.set(
    code,
    await issueCard(trust.services, {
      personalCode: code,
      givenName: given,
      surname: "Tamm",
      pin1: "1234",
      pin2: PIN2,
    }),
  );

/** `document` as the one file of a container, or the signatures added to `container`, by each of `signers`. */
async function sign(from: string | Uint8Array, signers: readonly string[]): Promise<string> {
  let container =
    typeof from === "string"
      ? createContainer([{ name: TRANSFER_FILE, mediaType: "application/json", data: new TextEncoder().encode(from) }])
      : readContainer(from);
  for (const code of signers)
    container = (
      await signContainer(container, await cardFileSigner(cards.get(code)!, PIN2), { tsaUrl: `${trust.url}/tsa` })
    ).container;
  return Buffer.from(writeContainer(container)).toString("base64");
}

for (const target of await dialectTargets()) {
  describe(`ownership transfer on ${target.dialect}`, () => {
    let register: VehicleRegister;
    let service: MemberService;
    let url: string;
    before(async () => {
      register = await openVehicleRegister(target.location("vehicle_transfer"), {
        trustAnchors: [trust.services.root],
      });
      await register.registerVehicle(car);
      service = createVehicleRegisterService(register);
      url = await service.listen({ port: 0 });
    });
    after(async () => {
      await service.close();
      await register.close();
    });
    const call = (method: string, path: string, body?: unknown, person?: string) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(person ? { "x-road-userid": `EE${person}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const refused = async (res: Response, status: number, code: string) => {
      assert.equal(res.status, status);
      assert.equal((await res.json()).code, code);
    };

    test("seller and buyer sign the same document; the buyer owns the vehicle", async () => {
      await refused(
        await call("POST", "/transfers", { vehicle: "456DEF", seller: buyer, buyer }, buyer),
        400,
        "TRANSFER_INVALID",
      );
      await refused(
        await call("POST", "/transfers", { vehicle: "456DEF", seller: stranger, buyer }, stranger),
        403,
        "SELLER_NOT_OWNER",
      );
      await refused(
        await call("POST", "/transfers", { vehicle: "456DEF", seller, buyer }, buyer),
        403,
        "SELLER_NOT_OWNER",
      );
      await refused(
        await call("POST", "/transfers", { vehicle: "456DEF", seller, buyer, price: 1 }, seller),
        400,
        "REQUEST_INVALID",
      );
      const started = await call("POST", "/transfers", { vehicle: "456 def", seller, buyer }, seller);
      assert.equal(started.status, 201);
      assert.deepEqual(
        started.headers.get(DATA_SUBJECTS_HEADER)?.split(",").sort(),
        [`EE${buyer}`, `EE${seller}`].sort(),
      );
      const transfer = await started.json();
      await refused(await call("GET", `/transfers/${transfer.id}`, undefined, stranger), 404, "TRANSFER_NOT_FOUND");

      const path = `/transfers/${transfer.id}/signatures`;
      // A document other than the transfer's: one byte changed.
      const other = await sign(transfer.document.replace(buyer, stranger), [seller]);
      await refused(await call("POST", path, { container: other }), 422, "SIGNED_OTHER_DOCUMENT");
      await refused(
        await call("POST", path, { container: await sign(transfer.document, [stranger]) }),
        403,
        "SIGNER_NOT_PARTY",
      );
      await refused(
        await call("POST", path, { container: Buffer.from("not a zip").toString("base64") }),
        422,
        "SIGNATURE_INVALID",
      );
      await refused(await call("POST", path, { container: "***" }), 400, "REQUEST_INVALID");

      const bySeller = await sign(transfer.document, [seller]);
      const half = await (await call("POST", path, { container: bySeller })).json();
      assert.deepEqual([half.status, half.signedBy], ["awaiting-signatures", [seller]]);
      assert.equal((await register.vehicle("456DEF")).owner, seller, "one signature changes nothing");

      const both = await sign(Buffer.from(bySeller, "base64"), [buyer]);
      const done = await (await call("POST", path, { container: both })).json();
      assert.equal(done.status, "completed");
      assert.deepEqual(done.signedBy, [seller, buyer].sort());
      const vehicle = await register.vehicle("456DEF");
      assert.deepEqual([vehicle.owner, vehicle.user], [buyer, buyer]);
      await refused(await call("POST", path, { container: both }), 409, "TRANSFER_CLOSED");
      // The old owner can no longer sell it.
      await refused(
        await call("POST", "/transfers", { vehicle: "456DEF", seller, buyer: stranger }, seller),
        403,
        "SELLER_NOT_OWNER",
      );
    });
  });
}

test("the descriptor grants each service's paths to its clients", () => {
  const exchange = vehiclesDescriptor.exchange!(
    {
      dir: "d",
      trust: "root.pem",
      port: 8490,
      host: "127.0.0.1",
      vehiclesClients: ["EE/GOV/70000000/lkf"],
      licencesClients: ["EE/GOV/70000001/police"],
      transfersClients: [],
    },
    { subsystem: "EE/GOV/70001490/vehicles", url: "http://127.0.0.1:8490" },
  );
  assert.deepEqual(
    exchange.services?.map((s) => s.code),
    ["vehicles", "driving-licences", "ownership-transfers"],
  );
  assert.deepEqual(
    exchange.access?.map((a) => [a.subject, a.service, a.method]),
    [
      ["EE/GOV/70000000/lkf", "EE/GOV/70001490/vehicles/vehicles", "GET"],
      ["EE/GOV/70000001/police", "EE/GOV/70001490/vehicles/driving-licences", "GET"],
    ],
  );
});

test("serve: the register answers its health check and its OpenAPI document", async () => {
  const server = await startVehicles({ dataDir: temporaryDirectory(), port: 0, trustAnchors: [trust.services.root] });
  try {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const openapi = await (await fetch(`${server.url}/openapi.json`)).json();
    assert.ok(openapi.paths["/transfers/{id}/signatures"]);
  } finally {
    await server.close();
  }
});
