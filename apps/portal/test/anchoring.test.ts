// Issue 22: the "anchored" badge of Who used my data rests on verifying the provider's proof,
// not on its flags. Real components (the xroad sandbox: trust services, central server, ledger,
// two security servers with the provider's Data Tracker) make a real use and its real proof;
// the portal's DataTracker reads them through its own security server as it does in service.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { temporaryDirectory } from "@riik/core/testing";
import { trustAnchorOf } from "@riik/xroad";
import { Agent, request } from "undici";
import {
  CONSUMER,
  PERSONS,
  PROVIDER_SUBSYSTEM,
  READER,
  riik,
  type Sandbox,
  startSandbox,
} from "../../../platform/xroad/test/fixtures/sandbox.ts";
import { AnchorVerifier } from "../src/datatracker/anchoring.ts";
import { DataTracker, type UsageEntry } from "../src/datatracker/usage.ts";
import { XRoadCalls } from "../src/xroad/calls.ts";

const PERSON = "38001085718";
const PURPOSE = "anchoring badge";
// Made at the top: a directory made inside the before hook would be removed when the hook ends.
const dir = temporaryDirectory("riik-portal-anchoring-");
let sb: Sandbox;
let xroad: XRoadCalls;

before(async () => {
  sb = await startSandbox({ dir, ledger: true, dataTracker: true });
  xroad = new XRoadCalls({ url: sb.ss1.client });
  const is = new Agent({ connect: { cert: sb.isCert.cert, key: sb.isCert.key, rejectUnauthorized: false } });
  const reply = await request(`${sb.ss1.clientTls}/r1/${PERSONS}/persons/EE${PERSON}`, {
    headers: { "x-road-client": CONSUMER, "x-road-userid": "EE60001019906", "x-road-issue": PURPOSE },
    dispatcher: is,
  });
  assert.equal(reply.statusCode, 200, await reply.body.text());
  await is.close();
  // Seal the provider's Data Tracker batch: time-stamped by the TSA and signed into the ledger.
  riik(["ss", "anchor", "--config", sb.ss2.config]);
});
after(async () => {
  await xroad?.close();
  await sb?.stop();
});

type Tamper = (proof: any) => void;

/**
 * The portal's DataTracker against the sandbox, its anchor from the state's global
 * configuration; `tamper`, when given, changes the provider's proof on its way: a real
 * Data Tracker serves what it holds, so a forged proof is the one thing a stand-in must make.
 */
async function usage(tamper?: Tamper): Promise<UsageEntry> {
  const through = tamper
    ? ({
        async get(call: { path: string }) {
          const answer = await xroad.get<any>(call as never);
          if (call.path.startsWith("/riik/proof")) tamper(answer.body);
          return answer;
        },
      } as unknown as XRoadCalls)
    : xroad;
  const tracker = new DataTracker(through, {
    client: READER,
    providers: [PROVIDER_SUBSYSTEM],
    periodDays: 1,
    anchors: new AnchorVerifier(() => trustAnchorOf({ data: sb.dir }, "Data Tracker proofs")),
  });
  const report = await tracker.findUsage(PERSON);
  assert.equal(report.providers[0]?.ok, true, JSON.stringify(report.providers));
  const use = report.usages.find((u) => u.purpose === PURPOSE);
  assert.ok(use, `the use is listed: ${JSON.stringify(report.usages)}`);
  // What the provider claims, whichever way the verification goes.
  assert.equal(use.anchor.claimed, true);
  assert.equal(use.anchor.details.timestamped, "true");
  assert.equal(use.anchor.details.ledger, "true");
  return use;
}

/** Flips bits in the middle of a base64 value (keeping it base64). */
function flip(base64: string): string {
  const bytes = Buffer.from(base64, "base64");
  const at = Math.floor(bytes.length / 2);
  bytes[at] = (bytes[at] as number) ^ 0x5a;
  return bytes.toString("base64");
}

describe("Who used my data: the anchored badge is a verification (issue 22)", { timeout: 120_000 }, () => {
  it("a real proof verifies against the state's global configuration: anchored", async () => {
    const use = await usage();
    assert.equal(use.anchor.anchored, true, use.anchor.problems?.join("\n") ?? "");
  });

  it("the same proof with flipped bytes in its TSA token: not verified, though the provider says time-stamped", async () => {
    const use = await usage((proof) => {
      proof.batch.tsaToken = flip(proof.batch.tsaToken);
    });
    assert.equal(use.anchor.anchored, false);
  });

  it("the same proof with flipped bytes in its ledger signature: not verified, though the provider says in the ledger", async () => {
    let signed = false;
    const use = await usage((proof) => {
      // The ledger signature's checkpoint is a signed note (C2SP signed-note): "— name base64".
      const checkpoint: string = proof.batch.ledger.checkpoint;
      proof.batch.ledger.checkpoint = checkpoint.replace(/^(\u2014 \S+ )(\S+)$/gmu, (_, name, signature) => {
        signed = true;
        return name + flip(signature);
      });
    });
    assert.ok(signed, "the proof carries a signed ledger checkpoint");
    assert.equal(use.anchor.anchored, false);
    assert.match(use.anchor.problems?.join("\n") ?? "", /integrity ledger signature does not verify/);
  });
});
