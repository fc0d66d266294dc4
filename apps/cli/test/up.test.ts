import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, statSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { generatePersonalCode } from "@riik/core";
import { freePortRange, notOwnerOnly, RIIK_BIN, temporaryDirectory } from "@riik/core/testing";
import { parseVerifierKey } from "@riik/ledger";
import {
  BUSINESS_REGISTER,
  E_RESIDENCY,
  HEALTH_INSURANCE,
  INBOX,
  LAND_REGISTER,
  MOTOR_INSURANCE,
  PERSONS_SERVICE,
  POPULATION_REGISTER,
  PORT_COUNT,
  PORTAL_CLIENT,
  PPA_SERVICE_DESK,
  SIM,
  SOCIAL_INSURANCE,
  type StateFile,
  Supervisor,
  TAX_BOARD,
  VEHICLES,
} from "@riik/state";

const PERSONS = 300;
const run = promisify(execFile);

interface Up {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  printed: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  /** Resolves once it prints the `ready` line. */
  ready: () => Promise<void>;
}

/** Every `riik up` a test started, stopped with its services when the test ends however it ends. */
const started: Array<{ up: Up; dataDir: string }> = [];
after(async () => {
  for (const { up, dataDir } of started) {
    if (up.child.exitCode === null && up.child.signalCode === null) {
      up.child.kill("SIGINT");
      await up.exited;
    }
    // A riik up killed outright leaves its services; they are listed in DIR/pids.json.
    await Supervisor.stopLeftovers(join(dataDir, "pids.json"), `${dataDir}/`, () => {});
  }
});

/** Starts `riik up` (it inherits this process's umask). */
function startUp(dataDir: string, portBase?: number): Up {
  const args = [RIIK_BIN, "up", "--data", dataDir, "--persons", String(PERSONS)];
  if (portBase !== undefined) args.push("--port-base", String(portBase));
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RIIK_LOG_LEVEL: "info" },
  });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  /** Waits for a line on the output (an event, not a sleep); fails if riik up exits first or at the deadline. */
  const printed = (pattern: RegExp, timeoutMs = 600_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(output)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`riik up did not print ${pattern} within ${timeoutMs} ms: ${output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        child.stdout!.off("data", check);
        child.stderr!.off("data", check);
      };
      child.stdout!.on("data", check);
      child.stderr!.on("data", check);
      void exited.then(() => {
        done();
        if (pattern.test(output)) resolve();
        else reject(new Error(`riik up exited before printing ${pattern}: ${output}`));
      });
      check();
    });
  const up = { child, output: () => output, exited, printed, ready: () => printed(/^ready /m) };
  started.push({ up, dataDir });
  return up;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Whether `${url}/healthz` answers 200; an https URL is trusted by the state's root `ca` only. */
async function healthy(url: string, ca?: string): Promise<boolean> {
  if (!ca)
    try {
      return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok;
    } catch {
      return false;
    }
  return new Promise((resolve) => {
    const request = httpsGet(`${url}/healthz`, { ca: readFileSync(ca), timeout: 1000 }, (reply) => {
      reply.resume();
      resolve(reply.statusCode === 200);
    });
    request.once("timeout", () => request.destroy());
    request.once("error", () => resolve(false));
  });
}

/** The process id of a running component, from DIR/pids.json (kept by the supervisor). */
function pidOf(dataDir: string, name: string): number {
  return Number(JSON.parse(readFileSync(join(dataDir, "pids.json"), "utf8"))[name]);
}

/** Every URL a process of the state answers /healthz on, with the root a TLS-only one chains to. */
function healthUrls(state: StateFile): Array<[string, string?]> {
  const root = join(state.services.pki!.dir!, "ca", "root.crt");
  return Object.values(state.services).map((service) =>
    service.admin ? [service.admin] : service.url.startsWith("https:") ? [service.url, root] : [service.url],
  );
}

/** GET through a security server's client port, as an information system does (PR-REST r1). */
async function r1(
  securityServer: string,
  client: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const reply = await fetch(`${securityServer}/r1/${path}`, {
    headers: {
      "x-road-client": client,
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { method: "POST", body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await reply.text();
  return { status: reply.status, body: text ? JSON.parse(text) : undefined };
}

async function policeQuery(state: StateFile, personalCode: string, extra: Record<string, string> = {}) {
  const reply = await fetch(state.services.police!.queries!, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ personalCode, purpose: "Isikusamasuse tuvastamine", officer: "49403136526", ...extra }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: reply.status, body: (await reply.json()) as any };
}

describe("riik up (the main job)", () => {
  it("boots the whole state, survives crashes, drills the embassy, stops on SIGTERM and SIGINT, and resumes with its data", async (t) => {
    // #10: the usual umask 022 must not make the state's personal data and PINs readable to others.
    const umask = process.umask(0o022);
    t.after(() => process.umask(umask));
    const dataDir = temporaryDirectory("riik-up-");
    const portBase = await freePortRange(PORT_COUNT);

    // A first start interrupted half-way is carried on by the next one.
    const interrupted = startUp(dataDir, portBase);
    await until(
      "the trust services to be initialised",
      () => existsSync(join(dataDir, "init.json")) && /"pki":/.test(readFileSync(join(dataDir, "init.json"), "utf8")),
    );
    interrupted.child.kill("SIGINT");
    assert.equal(await interrupted.exited, 0, interrupted.output());
    assert.ok(!existsSync(join(dataDir, "state.json")), "an interrupted start is not a state");

    const first = startUp(dataDir, portBase);
    await first.ready();
    assert.match(first.output(), /first start, initialising/);
    const state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as StateFile;
    assert.equal(state.instance, "EE");
    for (const name of ["pki", "ledger", "witness", "central", "ss-ria", "ss-sim", "ss-ppa", "auth", "police"])
      assert.ok(state.services[name]?.url, `state.json lists ${name}`);
    assert.equal(state.services.pki!.url, `http://127.0.0.1:${portBase}`);
    assert.ok(existsSync(state.services.ledger!.vkey!));
    assert.deepEqual(
      state.members.map((m) => m.id),
      [
        "EE/GOV/70006317",
        "EE/GOV/70000562",
        "EE/GOV/70008747",
        "EE/GOV/70000310",
        "EE/GOV/70001975",
        "EE/GOV/70001490",
        "EE/COM/80072004",
        "EE/GOV/70009770",
        "EE/GOV/74000091",
        "EE/GOV/70000349",
        "EE/COM/10090010",
        "EE/COM/10090027",
      ],
    );
    for (const [url, ca] of healthUrls(state)) assert.ok(await healthy(url, ca), `${url}/healthz`);
    const rootBefore = readFileSync(join(dataDir, "pki", "ca", "root.crt"), "utf8");
    // #22: every component of this repository starts; a missing one fails here instead of
    // passing the checks that need it.
    for (const name of [
      "population-register",
      "portal",
      "embassy",
      "business-register",
      "directory",
      "vehicles",
      "motor-insurance",
      "health",
      "health-insurance",
      "tax-board",
      "cdoc-capsules",
      "e-residency",
      "land-register",
    ])
      assert.ok(state.services[name]?.url, `state.json lists ${name}: ${first.output()}`);
    assert.doesNotMatch(first.output(), /not started, not installed/);
    assert.match(first.output(), new RegExp(`^ready ${state.services.portal!.url}`, "m"));
    assert.deepEqual(notOwnerOnly(dataDir), [], "every file and directory of the state is owner-only");
    const demo = state.demoCards[0]!;
    assert.equal(state.demoCards.length, 3);
    assert.match(first.output(), new RegExp(`${demo.personalCode} .*PIN1 ${demo.pin1}\\s+PIN2 ${demo.pin2}`));
    assert.ok(existsSync(demo.file));
    // The police query a person through ss-ppa → ss-sim → the population register.
    const found = await policeQuery(state, demo.personalCode);
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.equal(found.body.person.personalCode, demo.personalCode);
    assert.ok(found.body.xroad.id);
    // A person the register does not have: its PERSON_NOT_FOUND through both security servers.
    const nobody = await policeQuery(state, generatePersonalCode("1850-01-01", "male", 999));
    assert.equal(nobody.status, 404, JSON.stringify(nobody.body));
    assert.equal(nobody.body.code, "POLICE_NOT_FOUND");
    // The portal's way: through ss-ria, as the person who logged in.
    const own = await r1(
      state.services["ss-ria"]!.url,
      PORTAL_CLIENT,
      `${PERSONS_SERVICE}/persons/${demo.personalCode}`,
      {
        "x-road-userid": `EE${demo.personalCode}`,
        "x-road-issue": "citizen self-service",
      },
    );
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.personalCode, demo.personalCode);
    // Who else may not: ss-sim grants the persons service to the portal and the police only.
    const stranger = await r1(
      state.services["ss-ria"]!.url,
      "EE/GOV/70006317/datatracker",
      `${PERSONS_SERVICE}/persons/${demo.personalCode}`,
      { "x-road-userid": `EE${demo.personalCode}`, "x-road-issue": "curiosity" },
    );
    assert.equal(stranger.status, 500);
    assert.equal(stranger.body.type, "Server.ServerProxy.AccessDenied");
    // The Data Tracker shows the person the police's query.
    const usage = await r1(
      state.services["ss-ria"]!.url,
      "EE/GOV/70006317/datatracker",
      `${POPULATION_REGISTER}/datatracker/v2/findUsage?userCode=EE${demo.personalCode}`,
      { "x-road-userid": `EE${demo.personalCode}` },
    );
    assert.equal(usage.status, 200, JSON.stringify(usage.body));
    assert.ok(
      usage.body.usages.some((u: { action: string }) => u.action === "Isikusamasuse tuvastamine"),
      JSON.stringify(usage.body),
    );

    // #13, once only: a birth registered through ss-sim reaches the Social Insurance Board as an
    // event over X-Road; the offer is in the mother's state inbox without an application, and
    // the portal's confirmation schedules the childbirth allowance, once.
    const mother = state.demoCards.find((c) => /^[46]/.test(c.personalCode)) ?? demo;
    const born = await r1(
      state.services["ss-sim"]!.url,
      `${SIM}/registrar`,
      `${POPULATION_REGISTER}/vital-events/vital-events/births`,
      { "x-road-userid": "EE47503122214", "x-road-issue": "sünni registreerimine" },
      {
        eventId: "up-test-birth-1",
        mother: mother.personalCode,
        child: {
          givenName: "Mari",
          surname: "Maasikas",
          sex: "female",
          dateOfBirth: "2026-11-20",
          placeOfBirth: "Tallinn, Harju maakond",
        },
      },
    );
    assert.equal(born.status, 201, JSON.stringify(born.body));
    const asMother = { "x-road-userid": `EE${mother.personalCode}`, "x-road-issue": "peretoetused" };
    const benefits = `${SOCIAL_INSURANCE}/family-benefits`;
    let offer: { id: string; child: string; lines: Array<{ benefit: string; amountCents: number }> } | undefined;
    await until("the Board's offer", async () => {
      const offers = await r1(
        state.services["ss-ria"]!.url,
        PORTAL_CLIENT,
        `${benefits}/persons/${mother.personalCode}/offers`,
        asMother,
      );
      offer = offers.body?.offers?.[0];
      return offer !== undefined;
    });
    assert.equal(offer!.child, born.body.personalCode);
    // The operator sees the events' subscriptions and dead letters with the token riik up made
    // (0600, named in state.json); without it the operator routes refuse.
    const register = state.services["population-register"]!;
    const operator = (token?: string) =>
      fetch(`${register.url}/pubsub-operator/subscriptions`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    assert.equal((await operator()).status, 401);
    assert.equal((await operator("not-the-token")).status, 401);
    const subscriptions = await operator(readFileSync(register.operatorTokenFile!, "utf8").trim());
    assert.equal(subscriptions.status, 200);
    const listed = (await subscriptions.json()) as Array<{ subscriber: string; deadLetters: number }>;
    assert.ok(
      listed.some((s) => s.subscriber === SOCIAL_INSURANCE && s.deadLetters === 0),
      JSON.stringify(listed),
    );
    assert.deepEqual(offer!.lines[0], { ...offer!.lines[0], benefit: "childbirth-allowance", amountCents: 320_00 });
    await until("the offer in the mother's state inbox", async () => {
      const inbox = await r1(
        state.services["ss-ria"]!.url,
        PORTAL_CLIENT,
        `${INBOX}/mailbox/persons/${mother.personalCode}/messages`,
        asMother,
      );
      return inbox.body?.messages?.some((m: { sender: { client: string } }) => m.sender.client === SOCIAL_INSURANCE);
    });
    const confirmation = { recipient: mother.personalCode, iban: "EE382200221020145685" };
    const confirm = () =>
      r1(
        state.services["ss-ria"]!.url,
        PORTAL_CLIENT,
        `${benefits}/offers/${offer!.id}/confirmation`,
        asMother,
        confirmation,
      );
    assert.equal((await confirm()).status, 200);
    assert.equal((await confirm()).body.code, "OFFER_ALREADY_CONFIRMED");

    // The agencies of rights, health and tax each answer the portal through their own security
    // server, with their own typed answers; the tax board has last year's return pre-filled.
    const asDemo = { "x-road-userid": `EE${demo.personalCode}`, "x-road-issue": "minu andmed" };
    const ask = (service: string) => r1(state.services["ss-ria"]!.url, PORTAL_CLIENT, service, asDemo);
    const year = new Date().getUTCFullYear() - 1;
    const taxReturn = await ask(`${TAX_BOARD}/income-tax-returns/returns/${Math.min(year, 2025)}/${demo.personalCode}`);
    assert.equal(taxReturn.status, 200, JSON.stringify(taxReturn.body));
    assert.equal(taxReturn.body.taxReturn.personalCode, demo.personalCode);
    assert.ok(taxReturn.body.taxReturn.lines.length > 0, "the return is pre-filled from declarations");
    const insured = await ask(`${HEALTH_INSURANCE}/insurance/persons/${demo.personalCode}/insurance`);
    assert.equal(insured.status, 200, JSON.stringify(insured.body));
    assert.equal(insured.body.insured, true, "a working-age resident is insured");
    // The demo persons drive: a B licence and a car at the vehicle register (riik up's demo seed).
    const right = await ask(`${VEHICLES}/driving-licences/persons/${demo.personalCode}/driving-right?category=B`);
    assert.equal(right.body.allowed, true, JSON.stringify(right.body));
    const cars = await ask(`${VEHICLES}/vehicles/persons/${demo.personalCode}/vehicles`);
    assert.equal(cars.body.vehicles?.[0]?.plate, "101DEM", JSON.stringify(cars.body));
    // The sandbox insurer's policy covers the demo car; a car no insurer ever covered is typed.
    const policy = await ask(`${MOTOR_INSURANCE}/motor-insurance/insurance?plate=101DEM`);
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    assert.equal(policy.body.insurer?.name, "Demokindlustus AS", JSON.stringify(policy.body));
    assert.equal(policy.body.policy?.holder?.personalCode, demo.personalCode);
    const unknown = await ask(`${MOTOR_INSURANCE}/motor-insurance/insurance?plate=123ABC`);
    assert.equal(unknown.body.code, "VEHICLE_UNKNOWN", JSON.stringify(unknown.body));
    // The first demo person owns an apartment: its register part at the land register (ss-rik),
    // its opening an entry anchored in the ledger.
    const owner = state.demoCards[0]!.personalCode;
    const parts = await r1(
      state.services["ss-ria"]!.url,
      PORTAL_CLIENT,
      `${LAND_REGISTER}/register-parts/persons/${owner}/register-parts`,
      { "x-road-userid": `EE${owner}`, "x-road-issue": "minu kinnisvara" },
    );
    assert.equal(parts.status, 200, JSON.stringify(parts.body));
    assert.equal(parts.body.registerParts?.length, 1, JSON.stringify(parts.body));

    // #14, e-Residency from anywhere: an applicant with no Estonian identity applies and pays
    // through the portal's client; the police check them over X-Road; the Board's official signs
    // the decision with her card (`riik e-residency decide`); the digital ID is handed over; the
    // business register then finds a valid e-resident.
    const applications = `${E_RESIDENCY}/applications`;
    const asPortal = (path: string, body: unknown) =>
      r1(state.services["ss-ria"]!.url, PORTAL_CLIENT, `${applications}${path}`, {}, body);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
    const applied = await asPortal("/applications", {
      givenName: "Ada",
      surname: "Lovelace",
      dateOfBirth: "1990-12-10",
      sex: "female",
      citizenship: "GB",
      documentNumber: "P1234567",
      documentExpires: "2031-01-01",
      email: "ada@example.org",
      photo: jpeg.toString("base64"),
      reason: "to found a company",
      pickupLocation: "tallinn",
    });
    assert.equal(applied.status, 201, JSON.stringify(applied.body));
    const { number, accessKey } = applied.body as { number: string; accessKey: string };
    assert.equal((await asPortal(`/applications/${number}/payment`, { accessKey })).status, 200);
    await until("the police's background check", async () => {
      const status = await asPortal(`/applications/${number}/status`, { accessKey });
      return status.body?.status === "awaiting-decision";
    });
    const official = state.officials.find((card) => /e-Residency/.test(card.role))!;
    const desk = `${state.services["ss-ppa"]!.url}/r1/${E_RESIDENCY}/decisions`;
    const decided = spawnSync(
      process.execPath,
      [
        RIIK_BIN,
        "e-residency",
        "decide",
        "--card",
        official.file,
        "--pin2",
        official.pin2,
        "--application",
        number,
        "--grant",
        "--url",
        desk,
        "--xroad-client",
        PPA_SERVICE_DESK,
      ],
      { encoding: "utf8" },
    );
    assert.equal(decided.status, 0, decided.stdout + decided.stderr);
    const handedOver = await r1(
      state.services["ss-ppa"]!.url,
      PPA_SERVICE_DESK,
      `${E_RESIDENCY}/decisions/staff/applications/${number}/hand-over`,
      { "x-road-userid": `EE${official.personalCode}`, "x-road-issue": "e-residendi kaardi väljastamine" },
      { documentNumber: "P1234567" },
    );
    assert.equal(handedOver.status, 200, JSON.stringify(handedOver.body));
    const eResident = handedOver.body.personalCode as string;
    assert.ok(existsSync(handedOver.body.cardFile), "the digital ID's card file");
    const registered = await r1(
      state.services["ss-rik"]!.url,
      BUSINESS_REGISTER,
      `${E_RESIDENCY}/e-residents/e-residents/${eResident}`,
      { "x-road-userid": "EE70000310", "x-road-issue": "asutaja kontroll" },
    );
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    assert.equal(registered.body.status, "valid");

    // The control API stops a service for good (no restart) and starts it again.
    assert.equal(state.control, `http://127.0.0.1:${portBase + 22}`);
    const police = state.services.police!.url;
    assert.equal((await fetch(`${state.control}/v1/services/police/stop`, { method: "POST" })).status, 200);
    assert.equal(await healthy(police), false);
    assert.equal((await fetch(`${state.control}/v1/services/police/start`, { method: "POST" })).status, 200);
    assert.ok(await healthy(police));
    assert.doesNotMatch(first.output(), /police exited/);
    assert.equal((await fetch(`${state.control}/v1/services/nobody/stop`, { method: "POST" })).status, 404);

    // The data embassy holds the register: the shipper's deliveries are acknowledged.
    const shipperStatus = state.services.embassy!.status!;
    await until("the embassy to acknowledge the register", async () => {
      const { deliveries } = (await (await fetch(`${shipperStatus}/v1/status`)).json()) as {
        deliveries: Array<{ ackedSeq: number; lagChanges: number }>;
      };
      return deliveries.length > 0 && deliveries.every((d) => d.ackedSeq > 0 && d.lagChanges === 0);
    });

    // #22.1, the continuity drill: `riik embassy drill` destroys the real population register,
    // restores it from the embassy alone (checked against the ledger's key), and X-Road answers
    // the same as before; the restored register then takes a change and ships it on the same chain.
    const readOwn = () =>
      r1(state.services["ss-ria"]!.url, PORTAL_CLIENT, `${PERSONS_SERVICE}/persons/${demo.personalCode}`, {
        "x-road-userid": `EE${demo.personalCode}`,
        "x-road-issue": "citizen self-service",
      });
    const beforeDrill = await readOwn();
    const registerFile = join(dataDir, "population-register", "population_register.sqlite");
    const inodeBefore = statSync(registerFile).ino;
    const drill = await run(process.execPath, [RIIK_BIN, "embassy", "drill", "--data", dataDir], {
      env: { ...process.env, RIIK_LOG_LEVEL: "warn" },
    });
    const report = JSON.parse(drill.stdout);
    assert.equal(report.ok, true, JSON.stringify(report.checks));
    assert.equal(report.registry, "population-register");
    assert.equal(report.recoveryPointChanges, 0);
    assert.equal(report.restore.lastSeq, report.homeSeq);
    assert.equal(
      report.trustAnchor.ledgerKey,
      parseVerifierKey(readFileSync(state.services.ledger!.vkey!, "utf8").trim()).name,
    );
    assert.match(drill.stderr, /^drill: destroying population_register /m);
    // Every probe riik up lists for the drill (X-Road, register, Data Tracker), registry and ledger health.
    assert.equal(report.checks.length, 1 + (state.drill?.checks.length ?? 0) + 1);
    assert.ok(
      report.checks.every((c: { ok: boolean; after: string }) => c.ok && c.after.startsWith("200 ")),
      JSON.stringify(report.checks),
    );
    assert.notEqual(statSync(registerFile).ino, inodeBefore, "the register's file was destroyed and rebuilt");
    assert.equal(statSync(registerFile).mode & 0o777, 0o600);
    assert.deepEqual((await readOwn()).body, beforeDrill.body);
    const moved = await fetch(`${state.services["population-register"]!.url}/persons/${demo.personalCode}/address`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        county: "Tartu maakond",
        municipality: "Tartu linn",
        settlement: "Tartu linn",
        street: "Ülikooli tn",
        house: "18",
        apartment: null,
        postalCode: "50090",
        ehakCode: "0793",
      }),
      signal: AbortSignal.timeout(15_000),
    });
    assert.equal(moved.status, 200, await moved.text());
    await until("the embassy to hold the change made after the restore", async () => {
      const { deliveries } = (await (await fetch(`${shipperStatus}/v1/status`)).json()) as {
        deliveries: Array<{ ackedSeq: number; lastError: string | null }>;
      };
      return deliveries.some((d) => d.ackedSeq > report.homeSeq && d.lastError === null);
    });
    // The land register is replicated too (issue 15): destroyed and restored from the embassy,
    // the first demo person's apartment reads the same.
    const landDrill = await run(
      process.execPath,
      [RIIK_BIN, "embassy", "drill", "--data", dataDir, "--registry", "land-register"],
      { env: { ...process.env, RIIK_LOG_LEVEL: "warn" } },
    );
    const landReport = JSON.parse(landDrill.stdout);
    assert.equal(landReport.ok, true, JSON.stringify(landReport.checks));
    assert.deepEqual([landReport.registry, landReport.recoveryPointChanges], ["land-register", 0]);
    assert.match(landDrill.stderr, /^drill: destroying land_register /m);
    const property = landReport.checks.find((c: { name: string }) => /land register/.test(c.name));
    assert.ok(property?.ok && property.after.includes('"registerParts":[{'), JSON.stringify(property));

    // Kill the population register's security server: the supervisor reports it and starts it again.
    const pid = pidOf(dataDir, "ss-sim");
    assert.ok(pid > 0);
    process.kill(pid, "SIGKILL");
    await first.printed(/ss-sim exited \(SIGKILL\); restarting/);
    await first.printed(/ss-sim is back/);
    assert.notEqual(pidOf(dataDir, "ss-sim"), pid);
    assert.equal((await policeQuery(state, demo.personalCode)).status, 200);

    // `riik up` killed outright leaves its services running; the next start stops them first,
    // then resumes: no initialisation, no seeding, the same keys and persons.
    first.child.kill("SIGKILL");
    await first.exited;
    assert.ok(await healthy(state.services.pki!.url), "the services outlive a killed riik up");
    const second = startUp(dataDir);
    await second.ready();
    assert.match(second.output(), /stopping pki \(pid \d+\), left running by a riik up that was killed/);
    assert.match(second.output(), /resuming the state/);
    assert.doesNotMatch(second.output(), /first start|seeding|seeded/);
    assert.equal(readFileSync(join(dataDir, "pki", "ca", "root.crt"), "utf8"), rootBefore, "the same trust services");
    const resumed = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as StateFile;
    assert.deepEqual(resumed.demoCards, state.demoCards, "the same demo cards and PINs");
    const again = await policeQuery(resumed, demo.personalCode);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(notOwnerOnly(dataDir), [], "every file and directory of the state is owner-only");
    // SIGTERM stops every service (SIGINT was the interrupted start's).
    second.child.kill("SIGTERM");
    assert.equal(await second.exited, 0);
    for (const [url, ca] of healthUrls(state)) assert.equal(await healthy(url, ca), false, `${url} is stopped`);
  });

  it("refuses another port base for an initialised data directory", async () => {
    const dataDir = temporaryDirectory("riik-up-ports-");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      join(dataDir, "init.json"),
      JSON.stringify({
        format: "riik-state-init/1",
        createdAt: new Date().toISOString(),
        portBase: 30000,
        persons: 300,
        database: "sqlite",
        steps: {},
        demoCards: [],
      }),
    );
    const up = startUp(dataDir, 30100);
    assert.equal(await up.exited, 1);
    assert.match(up.output(), /riik: STATE_DATA_DIR: .*--port-base 30000/);
  });

  it("answers --help on every verb", async () => {
    for (const verb of [
      [],
      ["up"],
      ["police"],
      ["police", "serve"],
      ["pki"],
      ["pki", "init"],
      ["pki", "serve"],
      ["id"],
      ["id", "issue"],
      ["id", "revoke"],
    ]) {
      const child = spawn(process.execPath, [RIIK_BIN, ...verb, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (c) => (out += c));
      const [code] = await once(child, "exit");
      assert.equal(code, 0, `riik ${verb.join(" ")} --help`);
      assert.match(out, /Usage: riik/);
    }
  });

  it("refuses bad input with a typed error and exit code 1", async () => {
    const child = spawn(
      process.execPath,
      [
        RIIK_BIN,
        "id",
        "issue",
        "--dir",
        temporaryDirectory(),
        "--code",
        "38001085719",
        "--given",
        "A",
        "--surname",
        "B",
        "--pin1",
        "1234",
        "--pin2",
        "12345",
        "--out",
        "/dev/null",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    child.stderr!.setEncoding("utf8").on("data", (c) => (err += c));
    const [code] = await once(child, "exit");
    assert.equal(code, 1);
    assert.match(err, /riik: PKI_NOT_INITIALISED: /);
  });
});
