// The sale of an apartment end to end over the land register's API on SQLite and PostgreSQL,
// with real cards and a real integrity ledger: the registrar opens the register part, the
// notary files the deed signed by seller, buyer and notary (again: idempotent), the journal
// ranks it, the registrar enters it, and every entry verifies offline against the ledger's key.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { canonicalJson, DATA_SUBJECTS_HEADER } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import type { MemberService } from "@riik/kit";
import { parseSignature, verifySignature } from "@riik/ledger";
import {
  createLandRegisterService,
  DEMO_APARTMENT,
  embassyRegistry,
  type LandRegister,
  ledgerAnchor,
  openLandRegister,
  type RegisterPart,
  seedDemoApartment,
  startLandRegister,
} from "../src/index.ts";
import {
  apartment,
  base64,
  buyer,
  COURT_CLIENT,
  deedBytes,
  ledgerSigner,
  ledgerUrl,
  mortgageDeed,
  NOTARY_CLIENT,
  notary,
  REGISTRAR,
  saleDeed,
  seller,
  signedDeed,
  trust,
} from "./fixture.ts";

const PART = "10101";
const sale = saleDeed("N-2026-0001", PART);
const saleContainer = base64(await signedDeed(sale, [seller, buyer, notary]));
const mortgage = mortgageDeed("N-2026-0002", PART, buyer);
const mortgageContainer = base64(await signedDeed(mortgage, [buyer, notary]));

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Every entry: verified offline against the ledger's key alone, and chained to the one before. */
function assertAnchored(part: RegisterPart): void {
  let previous: string | null = null;
  for (const entry of part.entries) {
    const report = verifySignature(
      parseSignature(entry.ledgerSignature),
      createHash("sha256").update(entry.record).digest(),
      { kind: "key", logKey: ledgerSigner.verifierKey },
    );
    assert.equal(report.policy, "key");
    const record = JSON.parse(entry.record);
    assert.equal(record.previous, previous);
    assert.equal(record.seq, entry.seq);
    previous = sha256(entry.record);
  }
}

for (const target of await dialectTargets()) {
  describe(`a sale through a notary on ${target.dialect}`, () => {
    let register: LandRegister;
    let service: MemberService;
    let url: string;
    before(async () => {
      register = await openLandRegister(target.location("land_register_sale"), {
        anchor: ledgerAnchor(ledgerUrl),
        trustAnchors: [trust.services.root],
      });
      service = createLandRegisterService(register, {
        registrars: [REGISTRAR],
        fileClients: [NOTARY_CLIENT, COURT_CLIENT],
      });
      url = await service.listen({ port: 0 });
    });
    after(async () => {
      await service.close();
      await register.close();
    });
    const call = async (method: string, path: string, as: { person?: string; client?: string }, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(as.person ? { "x-road-userid": `EE${as.person}` } : {}),
          ...(as.client ? { "x-road-client": as.client } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const ok = async (res: Response, status = 200) => {
      const body = await res.json();
      assert.equal(res.status, status, JSON.stringify(body));
      return body;
    };

    test("opened, filed, ranked, entered; the buyer owns it; every entry verifies offline", async () => {
      const opened: RegisterPart = await ok(
        await call("POST", "/register-parts", { client: REGISTRAR }, apartment(PART)),
        201,
      );
      assert.deepEqual(opened.owners, [{ kind: "person", code: seller, share: "1/1" }]);

      const filed = await ok(
        await call("POST", "/applications", { client: NOTARY_CLIENT }, { container: saleContainer }),
        201,
      );
      assert.equal(filed.status, "pending");
      assert.equal(filed.journal, 1);
      assert.equal(filed.deed, canonicalJson(sale));
      // The notary's system retries: the same application, no second journal number.
      const again = await ok(
        await call("POST", "/applications", { client: NOTARY_CLIENT }, { container: saleContainer }),
      );
      assert.deepEqual(again, filed);
      // Filed is not entered: the public register still shows the seller.
      const before = await ok(await call("GET", `/register-parts/${PART}`, {}));
      assert.equal(before.owners[0].code, seller);

      const entered = await ok(await call("POST", "/journal/1/decision", { client: REGISTRAR }, { decision: "enter" }));
      assert.equal(entered.status, "entered");
      assert.equal(entered.entry, 2);

      const res = await call("GET", `/register-parts/${PART}`, {});
      const part: RegisterPart = await ok(res);
      assert.equal(res.headers.get(DATA_SUBJECTS_HEADER), `EE${buyer}`);
      assert.deepEqual(part.owners, [{ kind: "person", code: buyer, share: "1/1" }]);
      assert.equal(part.composition.apartment?.share, "6784/100000");
      assert.equal(part.encumbrances.length, 1);
      assert.deepEqual(
        part.entries.map((e) => [e.seq, e.decision, e.journal]),
        [
          [1, "opened", null],
          [2, "entered", 1],
        ],
      );
      assertAnchored(part);
      const record = JSON.parse(part.entries[1]!.record);
      assert.equal(record.deed, sha256(deedBytes(sale)));
      const { openedAt: _o, entries: _e, ...content } = part;
      assert.equal(record.content, sha256(canonicalJson(content)));
      assert.equal(record.by, REGISTRAR);
      // A changed record does not verify against its anchor.
      assert.throws(
        () =>
          verifySignature(
            parseSignature(part.entries[1]!.ledgerSignature),
            createHash("sha256").update(part.entries[1]!.record.replace(REGISTRAR, "EE/GOV/1/x")).digest(),
            { kind: "key", logKey: ledgerSigner.verifierKey },
          ),
        { code: "VERIFY_WRONG_HASH" },
      );

      // The buyer's property, in the portal; the file to the new owner and the court, not the seller now.
      const mine = await call("GET", `/persons/EE${buyer}/register-parts`, {});
      assert.deepEqual(
        (await ok(mine)).registerParts.map((p: RegisterPart) => p.number),
        [PART],
      );
      assert.equal(mine.headers.get(DATA_SUBJECTS_HEADER), `EE${buyer}`);
      assert.deepEqual((await ok(await call("GET", `/persons/${seller}/register-parts`, {}))).registerParts, []);
      const file = await call("GET", `/register-parts/${PART}/file`, { person: buyer });
      const applications = (await ok(file)).applications;
      assert.equal(applications.length, 1);
      assert.equal(applications[0].container, saleContainer);
      assert.deepEqual(file.headers.get(DATA_SUBJECTS_HEADER)?.split(",").sort(), [`EE${buyer}`, `EE${seller}`].sort());
      assert.equal((await call("GET", `/register-parts/${PART}/file`, { client: COURT_CLIENT })).status, 200);
      for (const stranger of [{ person: seller }, { client: "EE/COM/90000009/x" }, {}]) {
        const refused = await call("GET", `/register-parts/${PART}/file`, stranger);
        assert.equal(refused.status, 403);
        assert.equal((await refused.json()).code, "NO_LEGITIMATE_INTEREST");
        assert.equal(refused.headers.get(DATA_SUBJECTS_HEADER), null);
      }
    });

    test("the new owner charges it with a mortgage: part IV", async () => {
      const filed = await ok(
        await call("POST", "/applications", { client: NOTARY_CLIENT }, { container: mortgageContainer }),
        201,
      );
      assert.equal(filed.journal, 2);
      assert.equal(
        (await ok(await call("GET", "/applications/N-2026-0002", { client: NOTARY_CLIENT }))).status,
        "pending",
      );
      await ok(await call("POST", `/journal/${filed.journal}/decision`, { client: REGISTRAR }, { decision: "enter" }));
      const part: RegisterPart = await ok(await call("GET", `/register-parts/${PART}`, {}));
      assert.deepEqual(part.mortgages, [
        {
          rank: 1,
          amountCents: 15_000_000,
          currency: "EUR",
          mortgagee: mortgage.kind === "mortgage" ? mortgage.mortgagee : "",
          journal: 2,
        },
      ]);
      assert.equal(part.entries.length, 3);
      assertAnchored(part);
    });

    test("refusals over HTTP carry their code and status, and name nobody", async () => {
      const refused = async (res: Response, status: number, code: string) => {
        const body = await res.json();
        assert.equal(body.code, code, JSON.stringify(body));
        assert.equal(res.status, status);
        assert.equal(res.headers.get(DATA_SUBJECTS_HEADER), null);
      };
      const junk = { container: Buffer.from("PK not a zip").toString("base64") };
      await refused(await call("POST", "/applications", { client: NOTARY_CLIENT }, junk), 422, "SIGNATURE_INVALID");
      await refused(
        await call("POST", "/applications", {}, { container: saleContainer }),
        403,
        "NO_LEGITIMATE_INTEREST",
      );
      await refused(
        await call("POST", "/applications", { client: NOTARY_CLIENT }, { container: "%%" }),
        400,
        "REQUEST_INVALID",
      );
      await refused(
        await call("POST", "/journal/1/decision", { client: REGISTRAR }, { decision: "enter" }),
        409,
        "APPLICATION_DECIDED",
      );
      await refused(
        await call("POST", "/journal/1/decision", { client: NOTARY_CLIENT }, { decision: "enter" }),
        403,
        "NOT_A_REGISTRAR",
      );
      await refused(
        await call("POST", "/journal/9/decision", { client: REGISTRAR }, { decision: "refuse" }),
        400,
        "REQUEST_INVALID",
      );
      await refused(
        await call("POST", "/register-parts", { client: NOTARY_CLIENT }, apartment("777")),
        403,
        "NOT_A_REGISTRAR",
      );
      await refused(
        await call("POST", "/register-parts", { client: REGISTRAR }, apartment(PART)),
        409,
        "REGISTER_PART_EXISTS",
      );
      await refused(await call("GET", "/register-parts/777", {}), 404, "REGISTER_PART_NOT_FOUND");
      await refused(await call("GET", "/register-parts/0101", {}), 400, "REQUEST_INVALID");
      await refused(
        await call("GET", "/applications/N-2026-0001", { client: "EE/COM/90000009/x" }),
        403,
        "NO_LEGITIMATE_INTEREST",
      );
      await refused(await call("GET", "/applications/N-9", { client: NOTARY_CLIENT }), 404, "APPLICATION_NOT_FOUND");
    });

    test("the change journal, replayed as the data embassy does, gives a replica equal to the register", async () => {
      const replica = await openLandRegister(target.location("land_register_replica"), {
        anchor: ledgerAnchor(ledgerUrl),
        trustAnchors: [trust.services.root],
      });
      try {
        const entries = await register.store.db.selectFrom("change_journal").selectAll().orderBy("seq").execute();
        assert.ok(entries.length >= 8, `${entries.length} journal entries`);
        await replica.store.db.transaction().execute(async (trx) => {
          for (const entry of entries) await embassyRegistry.applyChange(trx, entry);
        });
        for (const table of embassyRegistry.tables) {
          const rows = (db: typeof register.store.db) =>
            db
              .selectFrom(table.name)
              .selectAll()
              .orderBy(table.key.map((k) => k) as never)
              .execute();
          assert.deepEqual(await rows(replica.store.db), await rows(register.store.db), table.name);
        }
        assert.deepEqual(await replica.registerPart(PART), await register.registerPart(PART));
        await assert.rejects(
          replica.store.db
            .transaction()
            .execute((trx) => embassyRegistry.applyChange(trx, { ...entries[0]!, entity: "deed_draft" })),
          { code: "CHANGE_INVALID" },
        );
      } finally {
        await replica.close();
      }
    });
  });
}

test("serve and the demo seed: an anchored apartment for a demo person; health and OpenAPI", async () => {
  const dataDir = temporaryDirectory();
  const seeded = await seedDemoApartment({ dataDir }, seller, ledgerAnchor(ledgerUrl));
  assert.equal(seeded.kind, "apartment");
  assert.equal(seeded.number, DEMO_APARTMENT.number);
  assertAnchored(seeded);
  const server = await startLandRegister({ dataDir, port: 0, trustAnchors: [trust.services.root], ledgerUrl });
  try {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const openapi = await (await fetch(`${server.url}/openapi.json`)).json();
    assert.ok(openapi.paths["/journal/{journal}/decision"]);
    const part = await (await fetch(`${server.url}/register-parts/${DEMO_APARTMENT.number}`)).json();
    assert.equal(part.owners[0].code, seller);
  } finally {
    await server.close();
  }
});
