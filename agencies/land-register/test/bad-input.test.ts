// Every bad input of the issue on SQLite and PostgreSQL, each with its typed code and nothing
// written: a seller who is not the owner, a deed changed after signing, a missing signature,
// two applications on one register part (the later waits, then fails once the first is
// entered), a mortgage without the owner's signature, an unknown register part, a company
// buyer whose representative is banned (and the ban check unreachable: fail closed), a reused
// application id, and an entry the ledger did not anchor.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { dialectTargets } from "@riik/core/testing";
import {
  type Deed,
  LandRegister,
  LandRegisterError,
  ledgerAnchor,
  openLandRegister,
  type RegisterPart,
} from "../src/index.ts";
import {
  apartment,
  bannedRepresentative,
  buyer,
  buyerCompany,
  ledgerUrl,
  mortgageDeed,
  NOTARY_CLIENT,
  notary,
  otherBuyer,
  REGISTRAR,
  saleDeed,
  seller,
  signedDeed,
  trust,
  withChangedDeed,
} from "./fixture.ts";

const SALE = "20202";
const OTHER = "30303";
const first = saleDeed("B-1", SALE);
const containers = {
  notOwner: await signedDeed(saleDeed("B-0", SALE, { sellers: [{ person: otherBuyer }] } as Partial<Deed>), [
    otherBuyer,
    buyer,
    notary,
  ]),
  changed: withChangedDeed(
    await signedDeed(saleDeed("B-0", SALE), [seller]),
    saleDeed("B-0", SALE, { priceCents: 100 } as Partial<Deed>),
  ),
  missing: await signedDeed(saleDeed("B-0", SALE), [seller, notary]),
  first: await signedDeed(first, [seller, buyer, notary]),
  reused: await signedDeed(saleDeed("B-1", SALE, { priceCents: 1 } as Partial<Deed>), [notary]),
  second: await signedDeed(saleDeed("B-2", SALE, { buyers: [{ person: otherBuyer, share: "1/1" }] } as Partial<Deed>), [
    seller,
    otherBuyer,
    notary,
  ]),
  mortgageByNotaryOnly: await signedDeed(mortgageDeed("M-1", OTHER, seller), [notary]),
  mortgageByStranger: await signedDeed(mortgageDeed("M-2", OTHER, otherBuyer), [otherBuyer, notary]),
  unknownPart: await signedDeed(saleDeed("U-1", "99999"), [notary]),
  banned: await signedDeed(
    saleDeed("C-1", OTHER, {
      buyers: [{ company: buyerCompany, representative: bannedRepresentative, share: "1/1" }],
    } as Partial<Deed>),
    [seller, bannedRepresentative, notary],
  ),
};

const refused = async (code: string, work: () => Promise<unknown>) =>
  assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof LandRegisterError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });

for (const target of await dialectTargets()) {
  describe(`bad input to the land register on ${target.dialect}`, () => {
    let register: LandRegister;
    /** What the register holds: a part's content and entries, the journal. */
    const snapshot = async (number: string) => ({
      part: await register.registerPart(number),
      journal: await register.store.db.selectFrom("application").selectAll().orderBy("journal_no").execute(),
      events: await register.store.db
        .selectFrom("event_outbox" as never)
        .selectAll()
        .execute(),
    });
    before(async () => {
      register = await openLandRegister(target.location("land_register_bad"), {
        anchor: ledgerAnchor(ledgerUrl),
        trustAnchors: [trust.services.root],
      });
      await register.openRegisterPart(REGISTRAR, apartment(SALE));
      await register.openRegisterPart(REGISTRAR, { ...apartment(OTHER), encumbrances: [] });
    });
    after(() => register.close());

    test("refused filings: nothing is written, journal numbers stay dense", async () => {
      const before = await snapshot(SALE);
      await refused("SELLER_NOT_OWNER", () => register.fileApplication(NOTARY_CLIENT, containers.notOwner));
      await refused("DEED_CHANGED", () => register.fileApplication(NOTARY_CLIENT, containers.changed));
      await assert.rejects(register.fileApplication(NOTARY_CLIENT, containers.missing), (error: LandRegisterError) => {
        assert.equal(error.code, "SIGNATURE_MISSING");
        assert.deepEqual(error.details?.missing, [{ code: buyer, role: "buyer" }]);
        return true;
      });
      await refused("REGISTER_PART_NOT_FOUND", () => register.fileApplication(NOTARY_CLIENT, containers.unknownPart));
      await refused("SIGNATURE_INVALID", () => register.fileApplication(NOTARY_CLIENT, Buffer.from("PK not a zip")));
      // A mortgage is the owner's act: not signed by the owner, or signed by someone who is not the owner.
      await refused("SIGNATURE_MISSING", () =>
        register.fileApplication(NOTARY_CLIENT, containers.mortgageByNotaryOnly),
      );
      await refused("SIGNATURE_MISSING", () => register.fileApplication(NOTARY_CLIENT, containers.mortgageByStranger));
      assert.deepEqual(await snapshot(SALE), before);
      const { application } = await register.fileApplication(NOTARY_CLIENT, containers.first);
      assert.equal(application.journal, 1);
    });

    test("a company buyer whose representative is banned; the ban check unreachable fails closed", async () => {
      const before = await snapshot(OTHER);
      const unreachable = new LandRegister(register.store, {
        ...register.options,
        businessBans: async () => {
          throw new Error("ECONNREFUSED");
        },
      });
      await refused("BAN_CHECK_UNAVAILABLE", () => unreachable.fileApplication(NOTARY_CLIENT, containers.banned));
      const checked = new LandRegister(register.store, {
        ...register.options,
        businessBans: async (code) => code === bannedRepresentative,
      });
      await refused("BUYER_BANNED", () => checked.fileApplication(NOTARY_CLIENT, containers.banned));
      assert.deepEqual(await snapshot(OTHER), before);
    });

    test("two applications on one register part: the later waits, then fails once the first is entered", async () => {
      await refused("APPLICATION_ID_REUSED", () => register.fileApplication(NOTARY_CLIENT, containers.reused));
      const second = (await register.fileApplication(NOTARY_CLIENT, containers.second)).application;
      assert.equal(second.journal, 2);
      assert.equal(second.status, "pending");
      await assert.rejects(register.decide(REGISTRAR, 2, { enter: true }), (error: LandRegisterError) => {
        assert.equal(error.code, "RANK_BLOCKED");
        assert.equal(error.details?.waitingBehind, 1);
        return true;
      });

      // The ledger does not answer: the entry fails and leaves no trace.
      const before = await snapshot(SALE);
      const unanchored = new LandRegister(register.store, {
        ...register.options,
        anchor: ledgerAnchor("http://127.0.0.1:9/"),
      });
      await refused("LEDGER_UNAVAILABLE", () => unanchored.decide(REGISTRAR, 1, { enter: true }));
      assert.deepEqual(await snapshot(SALE), before);

      assert.equal((await register.decide(REGISTRAR, 1, { enter: true })).status, "entered");
      await refused("APPLICATION_DECIDED", () => register.decide(REGISTRAR, 1, { enter: true }));
      const entered = await snapshot(SALE);
      // The seller sold to the first buyer: the second sale no longer fits, and is not entered.
      await refused("SELLER_NOT_OWNER", () => register.decide(REGISTRAR, 2, { enter: true }));
      assert.deepEqual(await snapshot(SALE), entered);
      const decided = await register.decide(REGISTRAR, 2, { enter: false, reason: "the seller no longer owns it" });
      assert.equal(decided.status, "refused");
      const part: RegisterPart = await register.registerPart(SALE);
      assert.deepEqual(part.owners, [{ kind: "person", code: buyer, share: "1/1" }]);
      assert.deepEqual(
        part.entries.map((e) => [e.decision, e.journal]),
        [
          ["opened", null],
          ["entered", 1],
          ["refused", 2],
        ],
      );
      assert.equal(JSON.parse(part.entries[2]!.record).reason, "the seller no longer owns it");
      await refused("APPLICATION_NOT_FOUND", () => register.decide(REGISTRAR, 99, { enter: true }));
    });

    test("register parts that cannot be: bad codes, shares not summing to 1, an apartment without its share", async () => {
      const part = apartment("40404");
      await refused("CADASTRAL_CODE_INVALID", () =>
        register.openRegisterPart(REGISTRAR, {
          ...part,
          composition: {
            ...part.composition,
            units: [{ cadastralCode: "78401:101:10", purpose: "residential", areaM2: 5 }],
          },
        }),
      );
      await refused("SHARES_INVALID", () =>
        register.openRegisterPart(REGISTRAR, {
          ...part,
          owners: [
            { kind: "person", code: seller, share: "1/2" },
            { kind: "person", code: buyer, share: "1/3" },
          ],
        }),
      );
      await refused("REGISTER_PART_INVALID", () =>
        register.openRegisterPart(REGISTRAR, { ...part, composition: { units: part.composition.units } }),
      );
      await refused("PERSONAL_CODE_INVALID", () =>
        register.openRegisterPart(REGISTRAR, {
          ...part,
          owners: [{ kind: "person", code: "38001085719", share: "1/1" }],
        }),
      );
      await refused("REGISTER_PART_EXISTS", () => register.openRegisterPart(REGISTRAR, apartment(SALE)));
      await refused("REGISTER_PART_NOT_FOUND", () => register.registerPart("40404"));
    });
  });
}
