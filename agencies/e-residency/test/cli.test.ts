// `riik e-residency decide`: the official signs with their card file and PIN2 on the command
// line and the agency records the decision; a refusal without its reason never leaves the CLI.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, runRiik, temporaryDirectory } from "@riik/core/testing";
import { writeCardFile } from "@riik/pki";
import { type EResidencyServer, startEResidency } from "../src/index.ts";
import { cards, form, official, PIN2, trust } from "./fixture.ts";

describe("riik e-residency", () => {
  let agency: EResidencyServer;
  const dir = temporaryDirectory();
  const cardFile = join(dir, "official.card.json");
  before(async () => {
    writeCardFile(cardFile, cards.get(official)!);
    agency = await startEResidency({
      dataDir: dir,
      port: await freePort(),
      host: "127.0.0.1",
      trustAnchors: [trust.services.root],
      officials: [official],
    });
  });
  after(() => agency.close());

  test("decide --grant signs and sends the decision; the applicant gets a personal code", async () => {
    const { number, accessKey } = await agency.office.apply(form() as never);
    await agency.office.pay(number, accessKey);
    await agency.office.recordCheck(number, { checkedAt: new Date().toISOString(), result: "clear", findings: [] });
    const args = ["e-residency", "decide", "--card", cardFile, "--pin2", PIN2, "--application", number];
    const refused = await runRiik([...args, "--url", agency.url]);
    assert.notEqual(refused.code, 0, "neither --grant nor --refuse");
    const run = await runRiik([...args, "--grant", "--url", agency.url], { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).status, "granted");
    const status = await agency.office.status(number, accessKey);
    assert.equal(status.decision?.granted, true);
    assert.match(status.personalCode ?? "", /^[1-8]\d{10}$/);
  });

  test("serve --help names the descriptor's options", async () => {
    const help = await runRiik(["e-residency", "serve", "--help"]);
    assert.equal(help.code, 0, help.stderr);
    for (const flag of ["--official", "--background-checks-service", "--ra-token-file", "--e-residents-client"])
      assert.match(help.stdout, new RegExp(flag));
  });
});
