// The mandates service without the provider: the minor-child rule, explicit mandates (grant,
// revoke, expiry, refusals) on both storage back ends, their change journal and their seals
// verified with jose against the provider's JWKS.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generatePersonalCode, readChanges } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import { FileKeyStore } from "@riik/pki";
import fc from "fast-check";
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import { AUTH_STORE_MIGRATIONS, type AuthStoreTables, SigningKeys } from "../src/index.ts";
import {
  dayOfMajority,
  ExplicitMandates,
  isMinor,
  isMinorOn,
  MANDATE_SEAL_TYPE,
  MandateError,
  type MandateErrorCode,
  Representation,
  type RepresentationSource,
} from "../src/mandates/index.ts";

const PARENT = "EE38001085718";
const OTHER = "EE49403136526";
const THIRD = "EE37605030299";
const ISSUER = "https://auth.riik.test";
const DAY = 86_400_000;

/** Noon UTC of a calendar date: the same date in Tallinn (UTC+2 or +3). */
const noon = (date: string) => new Date(`${date}T12:00:00Z`);
const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Age on DATE by counting birthdays (a 29 February birthday falls on 1 March in common years). */
function ageOn(birth: string, date: string): number {
  const [by, bm, bd] = birth.split("-").map(Number) as [number, number, number];
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const [anniversaryMonth, anniversaryDay] = bm === 2 && bd === 29 && !isLeap(y) ? [3, 1] : [bm, bd];
  return y - by - (m < anniversaryMonth || (m === anniversaryMonth && d < anniversaryDay) ? 1 : 0);
}

async function refused(call: Promise<unknown>, code: MandateErrorCode): Promise<void> {
  await assert.rejects(call, (error: unknown) => error instanceof MandateError && error.code === code);
}

describe("a child is a minor until their 18th birthday (birth date from the personal code)", () => {
  it("agrees with counting birthdays, on every day around the 18th birthday", () => {
    const births = fc
      .date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2150-12-31T00:00:00Z"), noInvalidDate: true })
      .map((date) => date.toISOString().slice(0, 10));
    fc.assert(
      fc.property(births, fc.integer({ min: -3, max: 3 }), fc.constantFrom("male", "female"), (birth, offset, sex) => {
        const code = generatePersonalCode(birth, sex as "male" | "female", 7);
        const majority = dayOfMajority(birth);
        const day = new Date(noon(majority).getTime() + offset * DAY).toISOString().slice(0, 10);
        assert.equal(isMinor(code, noon(day)), ageOn(birth, day) < 18, `${birth} on ${day}`);
        assert.equal(isMinor(code, noon(day)), offset < 0);
      }),
      { numRuns: 500 },
    );
  });

  it("comes of age at midnight in Tallinn, and a 29 February child on 1 March of a common year", () => {
    // 2008-06-14 21:30 UTC is 00:30 on the 15th in Tallinn (UTC+3 in summer).
    assert.equal(isMinorOn("2008-06-15", new Date("2026-06-14T20:30:00Z")), true);
    assert.equal(isMinorOn("2008-06-15", new Date("2026-06-14T21:30:00Z")), false);
    assert.equal(dayOfMajority("2008-02-29"), "2026-03-01");
    assert.equal(isMinorOn("2008-02-29", noon("2026-02-28")), true);
    assert.equal(isMinorOn("2008-02-29", noon("2026-03-01")), false);
    assert.equal(dayOfMajority("2012-02-29"), "2030-03-01");
    assert.equal(dayOfMajority("1992-02-29"), "2010-03-01");
    // Not yet born: nobody to act for.
    assert.equal(isMinorOn("2027-01-01", noon("2026-11-28")), false);
  });
});

describe("GovSSO claims from several sources", () => {
  const party = (sub: string, role: string, source: string) => ({
    representee: { type: "NATURAL_PERSON" as const, sub, given_name: "Mari" },
    role,
    source,
  });
  const source = (name: string, answer: () => Promise<ReturnType<typeof party>[]>): RepresentationSource => ({
    name,
    rightsOf: answer,
  });

  it("lists each party once, gathers its roles, and says NOT_ALLOWED for anyone else", async () => {
    const representation = new Representation([
      source("a", async () => [party(OTHER, "RR:PARENT", "a")]),
      source("b", async () => [party(OTHER, "AGENCY-Q:Edit", "b"), party(THIRD, "AGENCY-Q:Edit", "b")]),
    ]);
    assert.deepEqual(await representation.list(PARENT), {
      status: "REPRESENTEE_LIST_CURRENT",
      list: [
        { type: "NATURAL_PERSON", sub: OTHER, given_name: "Mari" },
        { type: "NATURAL_PERSON", sub: THIRD, given_name: "Mari" },
      ],
    });
    assert.deepEqual(await representation.representee(PARENT, OTHER), {
      status: "REQUESTED_REPRESENTEE_CURRENT",
      type: "NATURAL_PERSON",
      sub: OTHER,
      given_name: "Mari",
      mandates: [{ role: "RR:PARENT" }, { role: "AGENCY-Q:Edit" }],
    });
    assert.deepEqual(await representation.representee(PARENT, "EE60001019906"), {
      status: "REQUESTED_REPRESENTEE_NOT_ALLOWED",
    });
  });

  it("fails soft: a source down makes the list SERVICE_NOT_AVAILABLE (no list), a right found elsewhere still holds", async () => {
    const down = source("register", async () => {
      throw new Error("connect ECONNREFUSED");
    });
    const representation = new Representation([source("mandates", async () => [party(OTHER, "X:Y", "m")]), down]);
    assert.deepEqual(await representation.list(PARENT), { status: "SERVICE_NOT_AVAILABLE" });
    assert.equal((await representation.representee(PARENT, OTHER)).status, "REQUESTED_REPRESENTEE_CURRENT");
    assert.deepEqual(await representation.representee(PARENT, THIRD), { status: "SERVICE_NOT_AVAILABLE" });
  });
});

for (const target of await dialectTargets()) {
  describe(`explicit mandates, storage on ${target.dialect}`, async () => {
    const storage = await target.open<AuthStoreTables>({ component: "auth", migrations: AUTH_STORE_MIGRATIONS });
    const keys = new SigningKeys(
      storage.db,
      FileKeyStore.open(temporaryDirectory("riik-mandate-keys-"), { create: true }),
    );
    const published = await keys.published();
    const mandates = new ExplicitMandates(storage.db, { issuer: ISSUER, signingKey: async () => published[0]! });
    const jwks = {
      keys: await Promise.all(
        published.map(async (key) => ({
          ...(await key.keyObject()).export({ format: "jwk" }),
          kid: key.kid,
          alg: key.alg,
        })),
      ),
    } as JSONWebKeySet;

    it("grants a mandate that is a right only within its validity, sealed and journalled", async () => {
      const at = new Date("2026-11-28T10:00:00Z");
      const until = new Date("2026-12-28T10:00:00Z");
      const granted = await mandates.grant(
        { grantor: OTHER, representative: PARENT.slice(2), role: "AGENCY-Q:Edit", validUntil: until },
        at,
      );
      assert.equal(granted.status, "valid");
      assert.equal(granted.representative, PARENT);
      assert.equal(granted.grantedBy, OTHER);
      const rights = (when: Date) => mandates.rightsOf(PARENT, when);
      assert.deepEqual(
        (await rights(at)).map((r) => [r.representee.sub, r.role]),
        [[OTHER, "AGENCY-Q:Edit"]],
      );
      assert.deepEqual(await rights(new Date(at.getTime() - 1)), [], "not before validFrom");
      assert.deepEqual(await rights(until), [], "validUntil is exclusive");
      assert.equal((await mandates.of(PARENT, until)).held[0]?.status, "expired");
      assert.equal((await mandates.of(OTHER, at)).granted[0]?.id, granted.id);

      // The seal verifies with any JOSE library against the published keys, and says what was granted.
      const { payload, protectedHeader } = await compactVerify(granted.seal, createLocalJWKSet(jwks));
      assert.equal(protectedHeader.typ, MANDATE_SEAL_TYPE);
      assert.equal(protectedHeader.kid, published[0]!.kid);
      const sealed = JSON.parse(new TextDecoder().decode(payload));
      assert.deepEqual(sealed, {
        id: granted.id,
        iss: ISSUER,
        grantor: OTHER,
        representative: PARENT,
        role: "AGENCY-Q:Edit",
        validFrom: at.toISOString(),
        validUntil: until.toISOString(),
        grantedAt: at.toISOString(),
        grantedBy: OTHER,
      });
      // A seal whose payload was changed does not verify.
      const [header, , signature] = granted.seal.split(".");
      const forged = Buffer.from(JSON.stringify({ ...sealed, role: "BR_REPRIGHT:ROLE_IN_BOARD" })).toString(
        "base64url",
      );
      await assert.rejects(compactVerify(`${header}.${forged}.${signature}`, createLocalJWKSet(jwks)));

      const journal = (await readChanges(storage.db, 0, 100)).filter((e) => e.key === granted.id);
      assert.equal(journal.length, 1);
      assert.equal(JSON.parse(journal[0]!.data!).seal, granted.seal);
    });

    it("revokes: the right ends, the revocation is sealed and journalled, and only once", async () => {
      const granted = await mandates.grant({ grantor: THIRD, representative: PARENT, role: "AGENCY-Q:Read" });
      assert.ok((await mandates.rightsOf(PARENT, new Date())).some((r) => r.representee.sub === THIRD));
      await refused(mandates.revoke(granted.id, { grantor: PARENT, by: PARENT }), "MANDATE_UNKNOWN");
      const revoked = await mandates.revoke(granted.id, { grantor: THIRD, by: THIRD });
      assert.equal(revoked.status, "revoked");
      assert.equal(revoked.seal, granted.seal);
      assert.ok(!(await mandates.rightsOf(PARENT, new Date())).some((r) => r.representee.sub === THIRD));
      const { payload } = await compactVerify(revoked.revocationSeal!, createLocalJWKSet(jwks));
      const sealed = JSON.parse(new TextDecoder().decode(payload));
      assert.equal(sealed.revokedBy, THIRD);
      assert.equal(sealed.revokedAt, revoked.revokedAt);
      await refused(mandates.revoke(granted.id, { by: "admin:cli" }), "MANDATE_REVOKED");
      const journal = (await readChanges(storage.db, 0, 100)).filter((e) => e.key === granted.id);
      assert.deepEqual(
        journal.map((e) => JSON.parse(e.data!).revoked_at === null),
        [true, false],
      );
      await refused(mandates.revoke("00000000-0000-4000-8000-000000000000", { by: "admin:cli" }), "MANDATE_UNKNOWN");
    });

    it("refuses a grant to oneself, a bad personal code or role, and a validity that ends before it starts", async () => {
      const at = new Date("2026-11-28T10:00:00Z");
      await refused(mandates.grant({ grantor: PARENT, representative: PARENT.slice(2), role: "X:Y" }), "MANDATE_SELF");
      await refused(
        mandates.grant({ grantor: PARENT, representative: "EE38001085719", role: "X:Y" }),
        "MANDATE_ARGUMENT",
      );
      await refused(mandates.grant({ grantor: "ABC", representative: OTHER, role: "X:Y" }), "MANDATE_ARGUMENT");
      await refused(
        mandates.grant({ grantor: PARENT, representative: OTHER, role: "a role with spaces" }),
        "MANDATE_ARGUMENT",
      );
      await refused(
        mandates.grant({ grantor: PARENT, representative: OTHER, role: "X:Y", validFrom: at, validUntil: at }, at),
        "MANDATE_VALIDITY",
      );
      await refused(
        mandates.grant(
          { grantor: PARENT, representative: OTHER, role: "X:Y", validUntil: new Date(at.getTime() - DAY) },
          at,
        ),
        "MANDATE_VALIDITY",
      );
      // Nothing refused was stored.
      assert.deepEqual((await mandates.of(PARENT)).granted, []);
    });
  });
}
