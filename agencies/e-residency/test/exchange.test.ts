// Through real security servers (xroad's sandbox): the applicant's calls reach the agency's
// `applications` without an X-Road-UserId, the agency asks the real police provider's
// background-checks over ss1 → ss2, and the register answers `e-residents` as personal data.
// Without X-Road a paid application stays in background-check: nobody is decided unchecked.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import {
  DATATRACKER,
  OTHER,
  PROVIDER_SUBSYSTEM,
  READER,
  registerAtProvider,
  type Sandbox,
  startSandbox,
} from "../../../platform/xroad/test/fixtures/sandbox.ts";
import { policeDescriptor } from "../../police/src/descriptor.ts";
import {
  createPoliceApp,
  type PoliceApp,
  type PoliceConfig,
  PoliceRecords,
  readRecordsFile,
  SAMPLE_RECORDS,
  SAMPLE_SANCTIONS_LIST,
  SanctionsList,
} from "../../police/src/index.ts";
import {
  type EResidencyServeConfig,
  type EResidencyServer,
  eResidencyDescriptor,
  startEResidency,
} from "../src/index.ts";
import { form, official, registrationAuthority, signedDecision, trust } from "./fixture.ts";

describe("e-Residency through X-Road with the real police provider", () => {
  let sb: Sandbox;
  let police: PoliceApp;
  let records: PoliceRecords;
  let agency: EResidencyServer;
  before(async () => {
    const dir = temporaryDirectory("riik-e-residency-exchange-");
    sb = await startSandbox({ dir, dataTracker: true });
    const policePort = await freePort();
    const policeConfig: PoliceConfig = {
      port: policePort,
      host: "127.0.0.1",
      client: OTHER,
      securityServer: { url: sb.ss1.client },
      personsService: `${PROVIDER_SUBSYSTEM}/rr/persons`,
      dir,
      consumers: { backgroundChecks: [OTHER], businessBans: [] },
    };
    await registerAtProvider(
      sb,
      policeDescriptor.exchange!(policeConfig, {
        subsystem: PROVIDER_SUBSYSTEM,
        url: `http://127.0.0.1:${policePort}`,
      }),
    );
    records = await PoliceRecords.open({ dataDir: dir });
    await records.import(readRecordsFile(SAMPLE_RECORDS));
    police = createPoliceApp(policeConfig, { records, sanctions: SanctionsList.read(SAMPLE_SANCTIONS_LIST) });
    await police.listen();

    const port = await freePort();
    const config: EResidencyServeConfig = {
      dir,
      trust: "unused.crt",
      port,
      host: "127.0.0.1",
      xroadSecurityServer: sb.ss1.client,
      xroadClient: OTHER,
      backgroundChecksService: `${PROVIDER_SUBSYSTEM}/background-checks`,
      officials: [official],
      applicationsClients: [OTHER],
      eResidentsClients: [OTHER],
      decisionsClients: [OTHER],
    };
    await registerAtProvider(
      sb,
      eResidencyDescriptor.exchange!(config, { subsystem: PROVIDER_SUBSYSTEM, url: `http://127.0.0.1:${port}` }),
    );
    agency = await startEResidency({
      dataDir: dir,
      port,
      host: "127.0.0.1",
      trustAnchors: [trust.services.root],
      officials: [official],
      exchange: {
        securityServer: sb.ss1.client,
        client: OTHER,
        backgroundChecksService: `${PROVIDER_SUBSYSTEM}/background-checks`,
      },
      registrationAuthority,
      // The test runs the checks itself (runOnce).
      intervalMs: 3_600_000,
    });
  });
  after(async () => {
    await agency?.close();
    await police?.close();
    await records?.close();
    await sb?.stop();
  });

  /** OTHER through ss1 to the agency's service, with no X-Road-UserId unless `person` is given. */
  const call = async (service: string, method: string, path: string, body?: unknown, person?: string) => {
    const reply = await fetch(`${sb.ss1.client}/r1/${PROVIDER_SUBSYSTEM}/${service}${path}`, {
      method,
      headers: {
        "x-road-client": OTHER,
        ...(person ? { "x-road-userid": `EE${person}`, "x-road-issue": "e-Residency" } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await reply.text();
    return { status: reply.status, text, body: () => JSON.parse(text) };
  };

  /** The services whose uses the Data Tracker on ss2 shows the person. */
  const uses = async (personalCode: string): Promise<string[]> => {
    const reply = await fetch(`${sb.ss1.client}/r1/${DATATRACKER}/v2/findUsage?userCode=EE${personalCode}`, {
      headers: { "x-road-client": READER, "x-road-userid": `EE${personalCode}` },
    });
    assert.equal(reply.status, 200);
    return ((await reply.json()) as { usages: Array<{ riik: { service: string } }> }).usages.map(
      (use) => use.riik.service,
    );
  };

  test("apply and pay over X-Road, checked by the police, granted, handed over, found by e-residents", async () => {
    const created = await call("applications", "POST", "/applications", form({ documentNumber: "XR1" }));
    assert.equal(created.status, 201, created.text);
    const { number, accessKey } = created.body();
    const paid = await call("applications", "POST", `/applications/${number}/payment`, { accessKey });
    assert.equal(paid.body().status, "background-check", paid.text);
    assert.equal(await agency.runOnce(), 1);
    const seen = await agency.office.application(number);
    assert.equal(seen.status, "awaiting-decision");
    assert.equal(seen.check?.result, "clear");

    const decided = await call(
      "decisions",
      "POST",
      `/staff/applications/${number}/decision`,
      { container: await signedDecision(JSON.stringify({ number, granted: true }), [official]) },
      official,
    );
    assert.equal(decided.status, 200, decided.text);
    const { personalCode } = decided.body();
    const handed = await call(
      "decisions",
      "POST",
      `/staff/applications/${number}/hand-over`,
      { documentNumber: "XR1" },
      official,
    );
    assert.equal(handed.status, 200, handed.text);
    const found = await call("e-residents", "GET", `/e-residents/${personalCode}`, undefined, official);
    assert.equal(found.status, 200, found.text);
    assert.equal(found.body().status, "valid");
    const unknown = await call("e-residents", "GET", "/e-residents/49001010006", undefined, official);
    assert.equal(unknown.status, 404);

    // The first check named nobody (no code yet); the next round asks it again with the code, so
    // the e-resident's Data Tracker shows it, as it shows the register's lookup above.
    assert.ok(!(await uses(personalCode)).some((service) => service.endsWith("background-checks")));
    assert.equal(await agency.runOnce(), 0, "no new application to check");
    const services = await uses(personalCode);
    assert.ok(
      services.some((service) => service.endsWith("/background-checks")),
      `${services}`,
    );
    assert.ok(
      services.some((service) => service.endsWith("/e-residents")),
      `${services}`,
    );
    const { events } = await agency.office.application(number);
    const granted = events.find((e) => e.type === "granted")?.data.queries as { backgroundCheck?: string };
    const linked = events.find((e) => e.type === "check-attributed")?.data;
    assert.ok(granted.backgroundCheck, "the decision names the X-Road-Id of the check it rests on");
    assert.equal(linked?.query, granted.backgroundCheck);
    assert.ok(linked?.attributedBy && linked.attributedBy !== granted.backgroundCheck);
  });

  test("a person on the EU sanctions list is a hit shown to the official", async () => {
    const created = await call(
      "applications",
      "POST",
      "/applications",
      form({ givenName: "Borislav", surname: "Fiktivov", dateOfBirth: "1971-03-14", documentNumber: "XR2" }),
    );
    const { number, accessKey } = created.body();
    await call("applications", "POST", `/applications/${number}/payment`, { accessKey });
    assert.equal(await agency.runOnce(), 1);
    const seen = await agency.office.application(number);
    assert.equal(seen.check?.result, "hit");
    assert.deepEqual(
      seen.check?.findings.map((f) => f.source),
      ["sanctions"],
    );
  });
});

describe("e-Residency without X-Road", () => {
  test("a paid application stays in background-check: nobody is decided unchecked", async () => {
    const agency = await startEResidency({
      dataDir: temporaryDirectory(),
      port: await freePort(),
      host: "127.0.0.1",
      trustAnchors: [trust.services.root],
      officials: [official],
      intervalMs: 20,
    });
    try {
      const created = await agency.office.apply(form() as never);
      await agency.office.pay(created.number, created.accessKey);
      assert.equal(await agency.runOnce(), 0);
      const status = await agency.office.status(created.number, created.accessKey);
      assert.equal(status.status, "background-check");
      const refused = await fetch(`${agency.url}/staff/applications/${created.number}/decision`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          container: await signedDecision(JSON.stringify({ number: created.number, granted: true }), [official]),
        }),
      });
      assert.equal(refused.status, 409);
      assert.equal((await refused.json()).code, "APPLICATION_NOT_READY");
    } finally {
      await agency.close();
    }
  });
});
