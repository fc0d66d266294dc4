// The readers of the state inbox's and the Board's answers take whatever JSON comes back over
// X-Road: well-formed answers are read as they are, and anything else is PORTAL_BAD_RESPONSE,
// never another exception (property tests with fast-check).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FamilyBenefits } from "../src/benefits/family-benefits.ts";
import { StateInbox } from "../src/inbox/state-inbox.ts";
import { PortalError, parsePortalConfig, type XRoadCalls } from "../src/index.ts";

/** A security server that answers BODY to every call, and remembers the calls. */
function answering(body: unknown, calls: Array<Record<string, unknown>> = []): XRoadCalls {
  return {
    send: async (call: Record<string, unknown>) => {
      calls.push(call);
      return { body, id: "x", requestHash: undefined };
    },
  } as unknown as XRoadCalls;
}

const inboxOf = (body: unknown, calls?: Array<Record<string, unknown>>) =>
  new StateInbox(
    answering(body, calls),
    "EE/GOV/70006317/portal",
    { mailboxService: "EE/GOV/70006317/inbox/mailbox" },
    "p",
  );
const boardOf = (body: unknown, calls?: Array<Record<string, unknown>>) =>
  new FamilyBenefits(
    answering(body, calls),
    "EE/GOV/70006317/portal",
    { familyBenefitsService: "EE/GOV/70001975/benefits/family-benefits" },
    "p",
  );

const PARENT = "48001081012";
const OFFER = {
  id: "ad60ea16-70dd-41bb-8296-f4834b12b5e8",
  child: "52611026010",
  mother: PARENT,
  status: "offered",
  lines: [
    {
      benefit: "childbirth-allowance",
      child: "52611026010",
      amountCents: 32000,
      why: "childbirth allowance: €320.00",
      rules: { effectiveFrom: "2024-04-01", source: "Family Benefits Act" },
    },
  ],
  createdAt: "2026-11-28T22:26:53.419Z",
  confirmedAt: null,
  confirmedBy: null,
};

/** Only PORTAL_BAD_RESPONSE may come out of a reader. */
async function readsOrRefuses(read: () => Promise<unknown>): Promise<void> {
  try {
    await read();
  } catch (error) {
    assert.ok(error instanceof PortalError && error.code === "PORTAL_BAD_RESPONSE", String(error));
  }
}

describe("reading the providers' answers", () => {
  it("reads the Board's offers and calls as the parent, the path naming no one else", async () => {
    const calls: Array<Record<string, unknown>> = [];
    const offers = await boardOf({ personalCode: PARENT, offers: [OFFER] }, calls).offers(PARENT);
    assert.deepEqual(offers, [OFFER]);
    assert.equal(calls[0]?.path, `/persons/EE${PARENT}/offers`);
    assert.equal(calls[0]?.userId, `EE${PARENT}`);
    assert.equal(calls[0]?.representedParty, undefined);
  });

  it("any JSON from the inbox or the Board is read or refused as PORTAL_BAD_RESPONSE", async () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    const offerish = fc.record({
      id: fc.oneof(fc.string(), fc.integer()),
      lines: fc.oneof(fc.array(fc.dictionary(fc.constantFrom("amountCents", "why", "rules", "benefit"), json)), json),
      status: json,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(json, fc.record({ offers: fc.array(offerish) }), fc.record({ messages: json })),
        async (body) => {
          await readsOrRefuses(() => inboxOf(body).list(PARENT, PARENT));
          await readsOrRefuses(() => inboxOf(body).message(PARENT, PARENT, "m"));
          await readsOrRefuses(() => boardOf(body).offers(PARENT));
          await readsOrRefuses(() => boardOf(body).payments(PARENT));
          await readsOrRefuses(() => boardOf(body).confirm(PARENT, OFFER.id, { recipient: PARENT, iban: "x" }));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the inbox is read for a represented child with the parent as the user", async () => {
    const calls: Array<Record<string, unknown>> = [];
    const child = "52611026010";
    await inboxOf({ messages: [], next: null, unread: 0 }, calls).list(child, PARENT);
    assert.equal(calls[0]?.path, `/persons/EE${child}/messages?limit=50`);
    assert.equal(calls[0]?.userId, `EE${PARENT}`);
    assert.deepEqual(calls[0]?.representedParty, { partyCode: `EE${child}` });
  });

  it("the configuration's defaults are riik up's service ids", () => {
    const config = parsePortalConfig(
      {
        publicOrigin: "http://127.0.0.1:1",
        securityServer: { url: "http://127.0.0.1:2" },
        auth: { issuer: "http://127.0.0.1:3", clientId: "portal", clientSecret: "x".repeat(32) },
        trustedCaFiles: ["ca.pem"],
        inbox: {},
        benefits: {},
      },
      "/srv/portal",
    );
    assert.deepEqual(config.inbox, { mailboxService: "EE/GOV/70006317/inbox/mailbox" });
    assert.deepEqual(config.benefits, { familyBenefitsService: "EE/GOV/70001975/benefits/family-benefits" });
    assert.equal(config.dataDir, "/srv/portal");
  });
});
