// npm run bench -- health [PRESCRIPTIONS] [CONCURRENCY]
// E-prescriptions dispensed per second end to end through X-Road: the pharmacy's information
// system → its security server (ss1) → the health system's (ss2, mTLS 1.3, signed and fully
// logged both sides, Data Tracker uses recorded) → the FHIR API, which finds the patient's
// active prescriptions by personal code (GET /MedicationRequest?patient:identifier=…&status=active)
// and takes a MedicationDispense (POST); against the prescription centre's direct rate, the
// same dispenses called in-process on the centre (no HTTP, no X-Road), in the same run; and, to
// tell the exchange's share from the API's, the same two calls over plain HTTP to the API.
// The prescriptions (one per patient, each signed by the doctor's card: ASiC-E B-LT with a
// time-stamp and OCSP, validated by the centre) are prepared once and the database copied, so
// every phase dispenses exactly the same prescriptions. Last line: X-Road rate ÷ direct rate.
process.env.RIIK_LOG_LEVEL ??= "warn";
// The load generator shares this process (and the machine) with the health API: shedding on
// event-loop delay (issue #18) would refuse the very load being measured. The in-flight bound stays.
process.env.RIIK_MAX_EVENT_LOOP_DELAY_MS ??= "0";

import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePersonalCode, parseConfig } from "@riik/core";
import { freePort } from "@riik/core/testing";
import { XRoadRestClient } from "@riik/kit";
import { initTrustServices, startTrustServicesServer } from "@riik/pki";
import { cardFileSigner, createContainer, signContainer, writeContainer } from "@riik/signature";
import { ProgressBar } from "@riik/state";
import { type Static, Type } from "typebox";
import { Agent, request } from "undici";
import {
  buyerExtension,
  type Caller,
  createHealthService,
  HEALTH_SERVE,
  healthDescriptor,
  LICENCE_SYSTEM,
  openHealthSystem,
  PERSONAL_CODE_SYSTEM,
  PHARMACY_LICENCE_SYSTEM,
  REGISTRY_CODE_SYSTEM,
  ROLE_SYSTEM,
  SAMPLE_MEDICINES,
  signedDocument,
  signedFileName,
} from "../agencies/health/src/index.ts";
import { CLINIC, PIN2, startWorld } from "../agencies/health/test/fixture.ts";
import { json, PROVIDER_SUBSYSTEM, SS1, startSandbox } from "../platform/xroad/test/fixtures/sandbox.ts";

const [prescriptionsArg, concurrencyArg] = process.argv.slice(2);
const PRESCRIPTIONS = Number(prescriptionsArg ?? 300);
const CONCURRENCY = Number(concurrencyArg ?? 8);
for (const [name, value] of [
  ["PRESCRIPTIONS", PRESCRIPTIONS],
  ["CONCURRENCY", CONCURRENCY],
] as const)
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${value}`);

/**
 * The X-Road sandbox's security servers each sign for their one owner member, so the pharmacy
 * is a subsystem of ss1's member (70000001, its registry code in the health directory too) and
 * the health system is the provider subsystem on ss2.
 */
const PHARMACY_MEMBER = "70000001";
const PHARMACY_CLIENT = `EE/GOV/${PHARMACY_MEMBER}/apteek`;
const HEALTH_SUBSYSTEM = PROVIDER_SUBSYSTEM;
const FHIR_SERVICE = `${HEALTH_SUBSYSTEM}/fhir`;
const PURPOSE = "Retsepti väljastamine";
/** Non-narcotic medicines (a narcotic's prescription is valid 30 days, which changes nothing here). */
const MEDICINES = SAMPLE_MEDICINES.filter((m) => !m.narcotic);

/** A patient's personal code: one birth day each from 1950 (serials 700+, clear of the fixture's). */
const codeOf = (i: number) =>
  generatePersonalCode(
    new Date(Date.UTC(1950, 0, 1 + (i % 25_000))).toISOString().slice(0, 10),
    i % 2 ? "female" : "male",
    700 + Math.floor(i / 25_000),
  );
const n = (x: number) => Math.round(x).toLocaleString("en-US");
const row = (label: string, figure: string) => console.log(label.padEnd(60), figure);

/** WORK(i) for i in 0..count-1, CONCURRENCY at a time; answers the seconds taken. */
async function inParallel(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<unknown>,
  bar?: ProgressBar,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        await work(next++);
        bar?.update(++done, count);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), "riik-bench-health-"));
const trustPort = await freePort();
const services = await initTrustServices({ dir: join(dir, "pki"), baseUrl: `http://127.0.0.1:${trustPort}` });
const trustServer = await startTrustServicesServer({ services, port: trustPort });
const trust = { dir: join(dir, "pki"), services, url: trustServer.url, app: trustServer.app };
const cleanups: Array<() => Promise<unknown>> = [
  async () => rmSync(dir, { recursive: true, force: true }),
  () => services.close(),
  () => trustServer.close(),
];
try {
  // 1. The directory (the fixture's clinic and doctor with an ID card; a pharmacy and pharmacist), the
  // patients, and one signed prescription each.
  const prepared = join(dir, "health-xroad");
  const world = await startWorld({ dataDir: prepared }, trust);
  const operator = world.as(undefined);
  const create = async (resource: { resourceType: string } & Record<string, unknown>) =>
    (await operator.create({ resourceType: resource.resourceType, body: resource as never })) as unknown as {
      id: string;
    };
  // The pharmacy under ss1's member code, licensed, and its pharmacist.
  const pharmacyOrganization = await create({
    resourceType: "Organization",
    name: "Raekoja Apteek",
    identifier: [
      { system: REGISTRY_CODE_SYSTEM, value: PHARMACY_MEMBER },
      { system: PHARMACY_LICENCE_SYSTEM, value: "L-BENCH", period: { start: "2020-01-01", end: "2030-12-31" } },
    ],
  });
  const pharmacistCode = generatePersonalCode("1988-05-06", "female", 700);
  const practitioner = await create({
    resourceType: "Practitioner",
    identifier: [{ system: PERSONAL_CODE_SYSTEM, value: pharmacistCode }],
    name: [{ given: ["Kati"], family: "Proviisor" }],
  });
  await create({
    resourceType: "PractitionerRole",
    active: true,
    identifier: [{ system: LICENCE_SYSTEM, value: "P-BENCH" }],
    period: { start: "2015-01-01", end: "2030-12-31" },
    practitioner: { reference: `Practitioner/${practitioner.id}` },
    organization: { reference: `Organization/${pharmacyOrganization.id}` },
    code: [{ coding: [{ system: ROLE_SYSTEM, code: "pharmacist" }] }],
  });
  const doctor: Caller = { organization: CLINIC, person: world.doctor.code, purpose: undefined, emergency: false };
  const pharmacist: Caller = {
    organization: PHARMACY_MEMBER,
    person: pharmacistCode,
    purpose: PURPOSE,
    emergency: false,
  };
  const signer = await cardFileSigner(world.doctor.card!, PIN2);
  const tsaUrl = `${trust.url}/tsa`;
  // The first WARM_UP of them warm each phase up (connections, TLS sessions, OCSP caches, JIT), untimed.
  const WARM_UP = CONCURRENCY;
  const total = WARM_UP + PRESCRIPTIONS;
  const patients: string[] = [];
  const ids: string[] = [];
  const quantities: number[] = [];
  const prepareSeconds = await inParallel(
    total,
    4,
    async (i) => {
      const code = codeOf(i);
      const patient = await create({
        resourceType: "Patient",
        identifier: [{ system: PERSONAL_CODE_SYSTEM, value: code }],
        name: [{ given: ["Patsient"], family: `Võrdlus${i}` }],
      });
      const medicine = MEDICINES[i % MEDICINES.length]!;
      const packages = 1 + (i % 3);
      const draft = await world.system.centre.prescribe(doctor, {
        resourceType: "MedicationRequest",
        intent: "order",
        medicationReference: { reference: `Medication/${medicine.code}` },
        subject: { reference: `Patient/${patient.id}` },
        dosageInstruction: [{ text: "1 tablet a day" }],
        dispenseRequest: { quantity: { value: packages, unit: "package" }, numberOfRepeatsAllowed: 0 },
      });
      const container = createContainer([
        {
          name: signedFileName(draft.id),
          mediaType: "application/fhir+json",
          data: new TextEncoder().encode(signedDocument(draft)),
        },
      ]);
      const signed = await signContainer(container, signer, { tsaUrl });
      await world.system.centre.sign(doctor, draft.id, writeContainer(signed.container));
      patients[i] = code;
      ids[i] = draft.id;
      quantities[i] = packages;
    },
    new ProgressBar(`preparing ${n(total)} signed prescriptions`),
  );
  row(
    "prepared: patient, prescription, signed (B-LT) and validated",
    `${(total / prepareSeconds).toFixed(2).padStart(9)} /s  (${n(total)} in ${prepareSeconds.toFixed(1)} s)`,
  );
  await world.close();
  // Every phase dispenses the same prescriptions: the closed database, copied.
  const copied = join(dir, "health-direct");
  const overHttp = join(dir, "health-http");
  cpSync(prepared, copied, { recursive: true });
  cpSync(prepared, overHttp, { recursive: true });

  // 2. Direct: the centre's dispense, in-process.
  const direct = await openHealthSystem({ dataDir: copied }, { trustAnchors: [services.root] });
  cleanups.unshift(() => direct.close());
  const dispenseBody = (i: number) => ({
    resourceType: "MedicationDispense",
    authorizingPrescription: [{ reference: `MedicationRequest/${ids[i]}` }],
    quantity: { value: quantities[i]! },
    extension: [buyerExtension(patients[i]!)],
  });
  const dispenseDirectly = (i: number) => direct.centre.dispense(pharmacist, dispenseBody(i));
  await inParallel(WARM_UP, CONCURRENCY, dispenseDirectly);
  const directSeconds = await inParallel(PRESCRIPTIONS, CONCURRENCY, (i) => dispenseDirectly(WARM_UP + i));
  const directRate = PRESCRIPTIONS / directSeconds;
  row(
    `direct: centre.dispense in-process (concurrency ${CONCURRENCY})`,
    `${directRate.toFixed(1).padStart(9)} /s  (${n(PRESCRIPTIONS)} in ${directSeconds.toFixed(2)} s)`,
  );

  // The pharmacy's two calls, over a transport: find the patient's active prescriptions by
  // personal code (there must be exactly the one prepared), then dispense it in full.
  type Call = (path: string, method: "GET" | "POST", body?: unknown) => Promise<unknown>;
  const BUNDLE = Type.Object({
    resourceType: Type.Literal("Bundle"),
    entry: Type.Optional(Type.Array(Type.Object({ resource: Type.Object({ id: Type.String() }) }))),
  });
  const DISPENSE = Type.Object({ resourceType: Type.Literal("MedicationDispense"), id: Type.String() });
  const dispenseVia = (call: Call) => async (i: number) => {
    const query = new URLSearchParams({
      "patient:identifier": `${PERSONAL_CODE_SYSTEM}|${patients[i]}`,
      status: "active",
    });
    const found = (await call(`/MedicationRequest?${query}`, "GET")) as Static<typeof BUNDLE>;
    if (found.entry?.length !== 1 || found.entry[0]!.resource.id !== ids[i])
      throw new Error(`patient ${i}: expected prescription ${ids[i]}, found ${JSON.stringify(found.entry)}`);
    await call("/MedicationDispense", "POST", dispenseBody(i));
  };
  // CPU seconds of this process (the API and the load generator); a phase adds its servers'.
  const ownCpu = async () => {
    const { user, system } = process.cpuUsage();
    return [(user + system) / 1e6];
  };
  /** The timed phase after the warm-up: its rate, and CPU ms per dispense of what `cpu` measures. */
  const timed = async (
    label: string,
    dispense: (i: number) => Promise<void>,
    cpu: () => Promise<number[]> = ownCpu,
  ) => {
    await inParallel(WARM_UP, CONCURRENCY, dispense);
    const before = await cpu();
    const seconds = await inParallel(
      PRESCRIPTIONS,
      CONCURRENCY,
      (i) => dispense(WARM_UP + i),
      new ProgressBar(`dispensing ${n(PRESCRIPTIONS)} ${label}`),
    );
    const cpuMs = (await cpu()).map((after, i) => ((after - before[i]!) * 1000) / PRESCRIPTIONS);
    return { seconds, rate: PRESCRIPTIONS / seconds, cpuMs };
  };

  // 3. The same calls over plain HTTP to the FHIR API, with the headers ss2 would set: what the
  // API costs without the exchange layer.
  const httpSystem = await openHealthSystem({ dataDir: overHttp }, { trustAnchors: [services.root] });
  const httpService = createHealthService(httpSystem.store, httpSystem.centre);
  cleanups.unshift(async () => {
    await httpService.close();
    await httpSystem.close();
  });
  const httpBase = `${await httpService.listen({ port: 0 })}/fhir`;
  const agent = new Agent({ connections: CONCURRENCY });
  cleanups.unshift(() => agent.close());
  const asSecurityServer = {
    "x-road-client": PHARMACY_CLIENT,
    "x-road-userid": `EE${pharmacistCode}`,
    "x-road-issue": encodeURIComponent(PURPOSE),
  };
  const http = await timed(
    "over HTTP",
    dispenseVia(async (path, method, body) => {
      const reply = await request(`${httpBase}${path}`, {
        method,
        headers: { ...asSecurityServer, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        dispatcher: agent,
      });
      const answer = await reply.body.json();
      if (reply.statusCode >= 300) throw new Error(`${method} ${path}: ${reply.statusCode} ${JSON.stringify(answer)}`);
      return answer;
    }),
  );
  row(
    `http: find by personal code + dispense (concurrency ${CONCURRENCY})`,
    `${http.rate.toFixed(1).padStart(9)} /s  (${n(PRESCRIPTIONS)} in ${http.seconds.toFixed(1)} s)`,
  );
  row("  CPU per dispense: API + load generator", `${http.cpuMs[0]!.toFixed(1)} ms`);

  // 4. Through X-Road: the sandbox's trust services, central server and two security servers
  // (processes); the pharmacy on ss1, TEHIK's health system on ss2, as the descriptor registers it.
  const sb = await startSandbox({ dir: join(dir, "xroad") });
  cleanups.unshift(() => sb.stop());
  const central = (path: string, method = "GET", body?: unknown) =>
    json(`${sb.centralUrl}${path}`, {
      method,
      token: sb.centralToken,
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const admin = (ss: typeof sb.ss1, path: string, method = "GET", body?: unknown) =>
    json(`${ss.admin}${path}`, { method, token: ss.token, ...(body ? { body: JSON.stringify(body) } : {}) });
  await central("/api/v1/subsystems", "POST", { id: PHARMACY_CLIENT, name: "apteek" });
  await central(`/api/v1/security-servers/${encodeURIComponent(SS1)}/clients`, "POST", { client: PHARMACY_CLIENT });
  await admin(sb.ss1, "/api/v1/clients", "POST", {
    id: PHARMACY_CLIENT,
    connection: "http",
    allowedAddresses: ["127.0.0.1"],
    loggingMode: "full",
  });

  const system = await openHealthSystem({ dataDir: prepared }, { trustAnchors: [services.root] });
  const service = createHealthService(system.store, system.centre);
  cleanups.unshift(async () => {
    await service.close();
    await system.close();
  });
  const url = await service.listen({ port: 0 });
  // As riik up applies a descriptor (apps/state/src/up/exchange.ts): its service, then the rights.
  const config = parseConfig(
    HEALTH_SERVE,
    { dir: prepared, trust: "root.crt", pharmacyClients: [PHARMACY_CLIENT] },
    (problems) => new Error(JSON.stringify(problems)),
  );
  const registration = healthDescriptor.exchange!(config, { subsystem: HEALTH_SUBSYSTEM, url });
  const at = encodeURIComponent(HEALTH_SUBSYSTEM);
  for (const s of registration.services ?? [])
    await admin(sb.ss2, `/api/v1/clients/${at}/services`, "POST", {
      serviceCode: s.code,
      url: s.url,
      timeoutSeconds: 30,
      personalData: s.personalData ?? false,
      ...(s.openapi ? { openapi: JSON.stringify(await s.openapi()) } : {}),
    });
  for (const right of registration.access ?? [])
    for (const path of right.paths)
      await admin(sb.ss2, `/api/v1/clients/${at}/services/${right.service.split("/").at(-1)}/access`, "POST", {
        subject: right.subject,
        method: right.method,
        path,
      });
  for (const ss of [sb.ss1, sb.ss2]) await admin(ss, "/api/v1/refresh", "POST");

  const pharmacy = new XRoadRestClient({ securityServer: sb.ss1.client, client: PHARMACY_CLIENT, timeoutMs: 60_000 });
  cleanups.unshift(() => pharmacy.close());
  const person = { userId: `EE${pharmacistCode}`, issue: PURPOSE };
  const xroad = await timed(
    "through X-Road",
    dispenseVia(
      async (path, method, body) =>
        (
          await pharmacy.call({
            service: FHIR_SERVICE,
            path,
            method,
            body,
            answer: method === "GET" ? BUNDLE : DISPENSE,
            ...person,
          })
        ).body,
    ),
    // prom-client's process counter on each security server's admin port, as bench/xroad.ts reads it.
    async () => [
      ...(await ownCpu()),
      ...(await Promise.all(
        [sb.ss1, sb.ss2].map(async (ss) => {
          const text = await (await fetch(`${ss.admin}/metrics`)).text();
          return Number(/^process_cpu_seconds_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
        }),
      )),
    ],
  );
  const xroadRate = xroad.rate;
  const xroadSeconds = xroad.seconds;

  // Both stores must end the same: every prescription completed, one dispense each.
  for (const [name, store] of [
    ["direct", direct.store],
    ["http", httpSystem.store],
    ["x-road", system.store],
  ] as const) {
    const left = await store.db
      .selectFrom("prescription")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("status", "!=", "completed")
      .executeTakeFirstOrThrow();
    if (Number(left.n) !== 0) throw new Error(`${name}: ${left.n} prescriptions not dispensed in full`);
  }
  const logged = await admin(sb.ss1, "/api/v1/messagelog/verify");
  row(
    `x-road: find by personal code + dispense (concurrency ${CONCURRENCY})`,
    `${xroadRate.toFixed(1).padStart(9)} /s  (${n(PRESCRIPTIONS)} in ${xroadSeconds.toFixed(1)} s)`,
  );
  const [own, ss1, ss2] = xroad.cpuMs;
  row(
    "  CPU per dispense: API + client, ss1, ss2",
    `${own!.toFixed(1)} ms, ${ss1!.toFixed(1)} ms, ${ss2!.toFixed(1)} ms`,
  );
  row(
    "ss1 message log",
    `${logged.records} records in ${logged.batches} anchored batches, ${logged.problems.length} problems`,
  );
  console.log(`ratio (x-road dispenses/s ÷ direct dispenses/s): ${(xroadRate / directRate).toFixed(3)}`);
} finally {
  for (const cleanup of cleanups) await cleanup().catch((error) => console.error(error));
}
