import { randomBytes, randomInt } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { privateDirectory, writeFileAtomic } from "@riik/core";
import { loadOrCreateSigner, SIGNATURE_TYPE_COSIGNATURE_V1, SIGNATURE_TYPE_ED25519 } from "@riik/ledger";
import { initTrustServices, issueCard, openTrustServices, RegistrationAuthorities } from "@riik/pki";
import { initCentral, initSecurityServer } from "@riik/xroad";
import { StateError } from "../errors.ts";
import { seedInChildProcess } from "../seed/seed.ts";
import {
  BUSINESS_REGISTER,
  CLINIC,
  CLINIC_DOCTOR,
  DATATRACKER_CLIENT,
  E_RESIDENCY_OFFICIAL,
  HOST,
  INBOX,
  INSTANCE,
  loopback,
  MEMBERS,
  memberById,
  memberOfServer,
  PERSONS_SERVICE,
  PHARMACIST,
  PHARMACY,
  POLICE_APP,
  POPULATION_REGISTER,
  PORT_COUNT,
  PORTAL_CLIENT,
  type PortLayout,
  portLayout,
  SECURITY_SERVERS,
  SOCIAL_INSURANCE,
  securityServerId,
} from "../topology.ts";
import {
  type BusinessRegisterModule,
  type DemoPerson,
  type EmbassyModule,
  type HealthModule,
  type LandRegisterModule,
  loadBusinessRegister,
  loadEmbassy,
  loadHealth,
  loadLandRegister,
  loadMotorInsurance,
  loadOptionalDescriptors,
  loadPopulationRegister,
  loadTaxBoard,
  loadVehicles,
  type MotorInsuranceModule,
  type PopulationRegisterModule,
  type TaxBoardModule,
  type VehiclesModule,
} from "./components.ts";
import { startControlServer } from "./control.ts";
import { configureSecurityServers, registerAtCentral } from "./exchange.ts";
import {
  type DemoCard,
  type InitJournal,
  JOURNAL_FORMAT,
  type OfficialCard,
  readJournal,
  writeJournal,
} from "./journal.ts";
import { ProgressBar } from "./progress.ts";
import type { StateFile } from "./state-file.ts";
import { Supervisor } from "./supervisor.ts";
import {
  LEDGER_ORIGIN,
  type Placement,
  PORTAL_CLIENT_FILE,
  portalClientRegistration,
  RA_TOKEN_FILE,
  registerOperatorTokenFile,
  type StateDirs,
  sandboxTable,
  serviceSpec,
  stateDirs,
  WITNESS_NAME,
  withPortalClient,
  writeConfigFile,
} from "./table.ts";

export const DEFAULT_PERSONS = 10_000;
/** Agencies that need nothing of the others at their start: started together, after the registers. */
const AGENCIES_STARTED_TOGETHER = [
  "vehicles",
  "motor-insurance",
  "health",
  "health-insurance",
  "tax-board",
  "e-residency",
  "land-register",
];
export const DEFAULT_PORT_BASE = 8800;
const DEMO_CARDS = 3;

/** A member's company in the business register: its member code is its registry code. */
const companyOf = (id: string) => ({ registryCode: id.split("/")[2]!, name: memberById(id).name });
const CLINIC_COMPANY = companyOf(CLINIC);
const PHARMACY_COMPANY = companyOf(PHARMACY);
/** The companies that are members of the exchange layer: registered under their member codes. */
const MEMBER_COMPANIES = [
  { ...CLINIC_COMPANY, activity: "86211", board: CLINIC_DOCTOR },
  { ...PHARMACY_COMPANY, activity: "47731", board: PHARMACIST },
];

export interface BootOptions {
  dataDir: string;
  /** Persons to seed on the first start (default 10,000); a later start keeps what is there. */
  persons?: number;
  /** PostgreSQL URL for every component; default RIIK_DATABASE_URL, else SQLite files under dataDir. */
  databaseUrl?: string;
  /** First port; default the one the data directory was initialised with, else 8800. */
  portBase?: number;
  /** The `riik` command's entry script; every service runs as `node BIN <component> serve …`. */
  bin: string;
  /** The riik commands this installation has (e.g. "registry", "portal"); components without one are left out. */
  commands: readonly string[];
  /** Lines for the person at the terminal (default: standard output). */
  say?: (line: string) => void;
  /** Crash reports and progress (default: standard error). */
  report?: (line: string) => void;
  /** Aborts the start (Ctrl-C while booting); what is done so far stays done. */
  signal?: AbortSignal;
}

export interface RunningState {
  state: StateFile;
  firstStart: boolean;
  supervisor: Supervisor;
  /** Components not started because their package or command is not installed. */
  missing: string[];
  stop(): Promise<void>;
}

/**
 * `riik up`: boots the whole sandbox state as separate processes on loopback. The first
 * start initialises every component (recorded step by step in DIR/init.json, so an
 * interrupted start carries on where it stopped); later starts only start the processes.
 */
export async function bootState(options: BootOptions): Promise<RunningState> {
  const started = performance.now();
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = resolve(options.dataDir);
  privateDirectory(dataDir);
  const dirs = stateDirs(dataDir);
  const databaseUrl = options.databaseUrl ?? process.env.RIIK_DATABASE_URL;
  const journal = openJournal(dataDir, options, databaseUrl);
  const firstStart = !journal.completedAt;
  if (!firstStart && options.persons !== undefined && options.persons !== journal.persons)
    say(`riik up: ${dataDir} already holds its ${journal.persons} persons; --persons is ignored`);
  const ports = portLayout(journal.portBase);
  const pidFile = join(dataDir, "pids.json");
  await Supervisor.stopLeftovers(pidFile, `${dataDir}/`, report);
  await assertPortsFree(journal.portBase);

  const has = (command: string) => options.commands.includes(command);
  const installed = await loadOptionalDescriptors(has);
  const register = installed.registry ? await loadPopulationRegister() : undefined;
  const business = installed.business ? await loadBusinessRegister() : undefined;
  const taxes = installed.taxBoard && register ? await loadTaxBoard() : undefined;
  const health = installed.health && register ? await loadHealth() : undefined;
  const vehicles = installed.vehicles && register ? await loadVehicles() : undefined;
  const land = installed.landRegister && register ? await loadLandRegister() : undefined;
  const insurance = installed.motorInsurance && vehicles ? await loadMotorInsurance() : undefined;
  const missing: string[] = [];
  if (!register) missing.push("population-register (@riik/population-register, `riik registry serve`)");
  if (!installed.police) missing.push("police (@riik/police, `riik police serve`)");
  if (!installed.portal) missing.push("portal (@riik/portal, `riik portal serve`)");
  if (!installed.embassy) missing.push("data embassy (@riik/embassy, `riik embassy serve`)");
  if (!business) missing.push("business register (@riik/business-register, `riik business serve`)");

  const url = loopback;
  const ssConfig = (name: string) => join(dirs.ss(name), "ss.json");
  // The table of components, each from its descriptor; the steps below put them in order.
  const table = sandboxTable({ dataDir, dirs, ports, databaseUrl, installed });
  const placed = (name: string): Placement | undefined => table.find((p) => p.name === name);
  const embassy = placed("embassy") ? await loadEmbassy() : undefined;
  // Started last, once what they call is up. By name: a placement is replaced when the portal gets its client.
  const INFORMATION_SYSTEMS = ["police", "portal"];
  const informationSystems = () => table.filter((p) => INFORMATION_SYSTEMS.includes(p.name));

  const supervisor = new Supervisor({ bin: options.bin, logDir: dirs.logs, report, pidFile });
  const control = await startControlServer(supervisor, ports.control, HOST);
  const stopAll = async () => {
    await supervisor.stop();
    await new Promise((resolve) => control.close(resolve));
  };
  const seedAbort = new AbortController();
  // Interrupted mid-start: the services up so far are stopped at once and none starts after,
  // so an impatient caller's kill that follows leaves nothing running.
  const onAbort = () => {
    seedAbort.abort();
    supervisor.stop().catch((error: unknown) => report(`riik up: stopping after the interrupt: ${error}`));
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const checkAborted = () => {
    if (options.signal?.aborted) throw new StateError("STATE_INIT", "the start was interrupted");
  };
  const step = async (name: string, work: () => Promise<void>): Promise<void> => {
    if (journal.steps[name]) return;
    checkAborted();
    await work();
    journal.steps[name] = new Date().toISOString();
    writeJournal(dataDir, journal);
  };
  const start = async (name: string) => {
    const placement = placed(name);
    if (!placement) return;
    checkAborted();
    await supervisor.start(serviceSpec(placement));
  };

  const seedPopulation = () =>
    step("population", async () => {
      rmSync(dirs.registry, { recursive: true, force: true });
      privateDirectory(dirs.registry);
      const bar = new ProgressBar(`seeding ${journal.persons.toLocaleString("en-US")} persons`);
      const result = await seedInChildProcess(
        {
          dataDir: dirs.registry,
          ...(databaseUrl ? { url: databaseUrl } : {}),
          persons: journal.persons,
          onProgress: (done, total) => bar.update(done, total),
        },
        seedAbort.signal,
      );
      bar.update(journal.persons, journal.persons);
      say(
        `riik up: seeded ${journal.persons.toLocaleString("en-US")} persons in ${(result.ms / 1000).toFixed(1)} s (peak ${Math.round(result.maxRssBytes / 2 ** 20)} MiB)`,
      );
    });
  const demoCards = (module: PopulationRegisterModule) =>
    step("demo cards", async () => {
      journal.demoCards = await issueDemoCards(dirs, databaseUrl, module);
    });
  // The demo persons sit on the boards of demo companies, so they can act for a company too.
  const demoCompanies = (people: PopulationRegisterModule, companies: BusinessRegisterModule) =>
    step("demo companies", async () => {
      const at = (dataDir: string) => ({ dataDir, ...(databaseUrl ? { url: databaseUrl } : {}) });
      const persons = await people.demoPersons(at(dirs.registry), DEMO_CARDS);
      rmSync(dirs.business, { recursive: true, force: true });
      privateDirectory(dirs.business);
      await companies.seedDemoCompaniesIn(at(dirs.business), persons, MEMBER_COMPANIES);
    });

  // The demo persons drive: a car each and a B licence at the vehicle register.
  const demoVehicles = (module: VehiclesModule) =>
    step("demo vehicles", async () => {
      rmSync(dirs.vehicles, { recursive: true, force: true });
      privateDirectory(dirs.vehicles);
      const plates = await module.seedDemoVehicles(
        { dataDir: dirs.vehicles, ...(databaseUrl ? { url: databaseUrl } : {}) },
        journal.demoCards.map((card) => card.personalCode),
      );
      say(`riik up: the demo persons' cars ${plates.join(", ")} at the vehicle register`);
    });

  // The demo cars are insured: the sandbox insurer's compulsory policy on each, valid for a year.
  const demoInsurance = (module: MotorInsuranceModule, cars: VehiclesModule) =>
    step("demo insurance", async () => {
      // Not emptied first, unlike the other seeds: a state from before this step may hold cases.
      privateDirectory(dirs.motorInsurance);
      const insured = journal.demoCards.map((card, i) => ({
        vin: cars.demoVin(i),
        plate: cars.demoPlate(i),
        holder: { name: card.name, personalCode: card.personalCode },
      }));
      await module.seedDemoInsurance(
        { dataDir: dirs.motorInsurance, ...(databaseUrl ? { url: databaseUrl } : {}) },
        insured,
        module.ledgerAnchor(url(ports.ledger)),
      );
      say(`riik up: ${module.SANDBOX_INSURER.name} insures ${insured.map((car) => car.plate).join(", ")}`);
    });

  // The first demo person owns an apartment: a register part whose opening is anchored in the ledger.
  const demoApartment = (module: LandRegisterModule) =>
    step("demo apartment", async () => {
      rmSync(dirs.landRegister, { recursive: true, force: true });
      privateDirectory(dirs.landRegister);
      const owner = journal.demoCards[0]!.personalCode;
      await module.seedDemoApartment(
        { dataDir: dirs.landRegister, ...(databaseUrl ? { url: databaseUrl } : {}) },
        owner,
        module.ledgerAnchor(url(ports.ledger)),
      );
      say(`riik up: an apartment of ${owner} in the land register`);
    });

  // The e-Residency agency orders digital IDs as a registration authority (cards only), and the
  // Board's official who decides applications gets a card to sign the decisions with.
  const eResidencyOffice = () =>
    step("e-residency office", async () => {
      const services = await openTrustServices(dirs.pki, { databaseUrl });
      try {
        const { token } = await new RegistrationAuthorities(services.registry).add("e-residency", {
          allow: ["cards"],
        });
        privateDirectory(dirs.eResidency);
        writeFileAtomic(join(dirs.eResidency, RA_TOKEN_FILE), `${token}\n`);
        const card = await issueSandboxCard(services, dirs, E_RESIDENCY_OFFICIAL, "official");
        addOfficials([{ ...card, role: "decides e-Residency applications (PPA)" }]);
      } finally {
        await services.close();
      }
    });
  const addOfficials = (cards: OfficialCard[]) => {
    const codes = new Set(cards.map((card) => card.personalCode));
    journal.officials = [...(journal.officials ?? []).filter((card) => !codes.has(card.personalCode)), ...cards];
  };

  // The residents as the agencies that serve all of them know them on the first day: last year's
  // declarations by employers, banks and funds at the tax board (so every resident has a return),
  // and the health insurance fund's insured.
  const residentsAtAgencies = (people: PopulationRegisterModule, board?: TaxBoardModule, fund?: HealthModule) =>
    step("residents at agencies", async () => {
      const at = (dataDir: string) => ({ dataDir, ...(databaseUrl ? { url: databaseUrl } : {}) });
      const residents = await people.livingPersonalCodes(at(dirs.registry));
      if (board) {
        const latest = Math.max(...board.TAX_YEARS.map((rules) => rules.year));
        const year = Math.min(new Date().getUTCFullYear() - 1, latest);
        rmSync(dirs.taxBoard, { recursive: true, force: true });
        privateDirectory(dirs.taxBoard);
        const seeded = await board.seedTaxYear({ ...at(dirs.taxBoard), year, persons: residents });
        say(`riik up: declarations of ${year} for ${seeded.persons.toLocaleString("en-US")} persons at the tax board`);
      }
      if (fund) {
        rmSync(dirs.healthInsurance, { recursive: true, force: true });
        privateDirectory(dirs.healthInsurance);
        const insured = await fund.seedSandboxInsured(at(dirs.healthInsurance), residents);
        say(`riik up: ${insured.toLocaleString("en-US")} insured at the health insurance fund`);
      }
    });

  // The clinic's doctor and the pharmacy's pharmacist: a card each, their licences and roles at the
  // health information system, and the demo persons as its patients (their companies are seeded
  // with the demo companies).
  const healthProfessionals = (people: PopulationRegisterModule, module: HealthModule) =>
    step("health professionals", async () => {
      const services = await openTrustServices(dirs.pki, { databaseUrl });
      try {
        const doctor = await issueSandboxCard(services, dirs, CLINIC_DOCTOR, "doctor");
        const pharmacist = await issueSandboxCard(services, dirs, PHARMACIST, "pharmacist");
        addOfficials([
          { ...doctor, role: `doctor at ${CLINIC_COMPANY.name} (riik health visit|prescribe)` },
          { ...pharmacist, role: `pharmacist at ${PHARMACY_COMPANY.name} (riik health prescriptions|dispense)` },
        ]);
      } finally {
        await services.close();
      }
      privateDirectory(dirs.health);
      const at = (dataDir: string) => ({ dataDir, ...(databaseUrl ? { url: databaseUrl } : {}) });
      await module.seedSandboxProviders(at(dirs.health), {
        clinic: CLINIC_COMPANY,
        pharmacy: PHARMACY_COMPANY,
        doctor: CLINIC_DOCTOR,
        pharmacist: PHARMACIST,
        patients: await people.demoPersons(at(dirs.registry), DEMO_CARDS),
      });
    });

  const embassyHome = (module: EmbassyModule) =>
    step("embassy home", async () => {
      rmSync(dirs.embassyHome, { recursive: true, force: true });
      await module.initShipperHome({
        dir: dirs.embassyHome,
        pkiDir: dirs.pki,
        ledgerKey: join(dirs.embassy, "ledger.vkey"),
        ...(databaseUrl ? { databaseUrl } : {}),
      });
      writeConfigFile(placed("embassy-shipper")!);
    });
  const startEmbassy = async () => {
    await start("embassy");
    await start("embassy-shipper");
  };

  // The portal logs in through the auth service: registered there once as a relying party
  // (in the auth store, before the service runs), its client credentials kept 0600 in
  // DIR/portal and put into its placement, so its portal.json (0600) carries them.
  const registerPortalClient = async () => {
    const at = table.findIndex((p) => p.name === "portal");
    if (at < 0) return;
    await step("portal client", async () => {
      const { openAuthStore } = await import("@riik/auth");
      const store = await openAuthStore(dirs.auth, databaseUrl);
      try {
        const request = portalClientRegistration(ports);
        // An interrupted earlier try may have registered it without keeping the secret.
        if ((await store.clients.list()).some((c) => c.clientId === request.clientId))
          await store.clients.remove(request.clientId);
        const { clientId, clientSecret } = await store.clients.add(request);
        privateDirectory(dirs.portal);
        writeFileAtomic(join(dirs.portal, PORTAL_CLIENT_FILE), `${JSON.stringify({ clientId, clientSecret })}\n`);
      } finally {
        await store.close();
      }
    });
    table[at] = withPortalClient(table[at] as Placement, dirs.portal);
  };

  const startInformationSystems = async () => {
    for (const placement of informationSystems()) writeConfigFile(placement);
    await Promise.all(informationSystems().map((placement) => start(placement.name)));
  };

  try {
    if (firstStart) {
      say(
        `riik up: first start, initialising trust services, integrity ledger, exchange layer and registers in ${dataDir}`,
      );
      // The population is seeded in a process of its own while the rest is set up.
      const seeding = register ? seedPopulation() : Promise.resolve();
      // Settled either way, so a seeding failure never goes unhandled while we wait elsewhere.
      const seeded = seeding.then(
        () => undefined,
        (error: unknown) => error,
      );

      await Promise.all([
        step("pki", async () => {
          const services = await initTrustServices({ dir: dirs.pki, baseUrl: url(ports.pki), databaseUrl });
          try {
            // The authentication service asks for app certificates with a token, never the CA's keys.
            const { token } = await new RegistrationAuthorities(services.registry).add("auth");
            privateDirectory(dirs.auth);
            writeFileAtomic(join(dirs.auth, RA_TOKEN_FILE), `${token}\n`);
          } finally {
            await services.close();
          }
        }),
        step("ledger-keys", async () => {
          loadOrCreateSigner(
            join(dirs.ledger, "ledger.key"),
            join(dirs.ledger, "ledger.vkey"),
            LEDGER_ORIGIN,
            SIGNATURE_TYPE_ED25519,
          );
          loadOrCreateSigner(
            join(dirs.witness, "witness.key"),
            join(dirs.witness, "witness.vkey"),
            WITNESS_NAME,
            SIGNATURE_TYPE_COSIGNATURE_V1,
          );
        }),
      ]);
      copyLedgerKey(dirs);
      operatorTokens(dirs);
      await registerPortalClient();
      const trustUp = background(Promise.all([start("pki"), start("ledger"), start("witness")]));
      const embassyReady = background(embassy ? embassyHome(embassy) : Promise.resolve());
      await step("central", async () => {
        if (!existsSync(join(dirs.central, "central.json"))) rmSync(dirs.central, { recursive: true, force: true });
        if (!existsSync(join(dirs.central, "central.json")))
          await initCentral({ dir: dirs.central, instance: INSTANCE, address: url(ports.central), pkiDir: dirs.pki });
      });
      const centralUp = background(start("central"));
      // Security servers get their certificates straight from the trust-services directory.
      for (const name of SECURITY_SERVERS)
        await step(`init ${name}`, async () => {
          const dir = dirs.ss(name);
          if (!existsSync(ssConfig(name))) {
            rmSync(dir, { recursive: true, force: true });
            await initSecurityServer({
              dir,
              pkiDir: dirs.pki,
              anchorFile: join(dirs.central, "anchor.json"),
              serverId: securityServerId(name),
              ownerName: memberOfServer(name).name,
              host: HOST,
              ports: ports[name],
              ...(databaseUrl ? { databaseUrl } : {}),
            });
          }
          // Each server its own PostgreSQL schema; refresh the configuration often in a sandbox.
          const settings = JSON.parse(readFileSync(ssConfig(name), "utf8"));
          settings.databaseSchema = `riik_${name.replace("-", "_")}`;
          settings.globalConfRefreshSeconds = 5;
          delete settings.databaseUrl;
          writeFileAtomic(ssConfig(name), `${JSON.stringify(settings, null, 2)}\n`);
        });
      await Promise.all([trustUp, centralUp]);
      await step("central registry", () => registerAtCentral(dirs, ports));
      await Promise.all(SECURITY_SERVERS.map((name) => start(name)));
      await step("security server configuration", () => configureSecurityServers(dirs, ports, table));

      const seedError = await seeded;
      if (seedError) throw seedError;
      if (register) {
        const registryUp = background(start("population-register"));
        await demoCards(register);
        await registryUp;
        if (business) {
          await demoCompanies(register, business);
          await start("business-register");
        }
        await residentsAtAgencies(register, taxes, health);
        if (vehicles) await demoVehicles(vehicles);
        if (vehicles && insurance) await demoInsurance(insurance, vehicles);
        if (land) await demoApartment(land);
      }
      if (placed("e-residency")) await eResidencyOffice();
      if (register && health) await healthProfessionals(register, health);
      await embassyReady;
      if (embassy) await startEmbassy();
      await start("auth");
      await start("directory");
      await start("cdoc-capsules");
      // Notices of new inbox messages go to the mail server; the Board writes to the inbox.
      for (const name of ["mail", "inbox", "social-insurance"]) if (placed(name)) await start(name);
      await Promise.all(AGENCIES_STARTED_TOGETHER.map((name) => start(name)));
    } else {
      say(`riik up: resuming the state in ${dataDir}`);
      if (register && !(journal.steps.population && journal.steps["demo cards"])) {
        // Initialised before the population register was installed: seed it now.
        await seedPopulation();
        await demoCards(register);
        writeJournal(dataDir, journal);
      }
      // Initialised before those agencies were installed: their residents now.
      if (register) await residentsAtAgencies(register, taxes, health);
      if (register && vehicles) await demoVehicles(vehicles);
      if (register && vehicles && insurance) await demoInsurance(insurance, vehicles);
      // Its first entry is anchored: the ledger runs before the others start.
      if (land && !journal.steps["demo apartment"]) {
        await start("ledger");
        await demoApartment(land);
      }
      if (placed("e-residency")) await eResidencyOffice();
      if (register && health) await healthProfessionals(register, health);
      copyLedgerKey(dirs);
      operatorTokens(dirs);
      if (embassy) await embassyHome(embassy);
      await registerPortalClient();
      // Everything at once: security servers start from their stored configuration copy,
      // and the start is bound by the processes' module loading, not by their order.
      await Promise.all([
        ...table
          .filter((p) => p.name !== "embassy-shipper" && !INFORMATION_SYSTEMS.includes(p.name))
          .filter((p) => !(p.name in supervisor.pids()))
          .map((p) => start(p.name)),
        startInformationSystems(),
      ]);
      // The shipper once the register, the ledger and the embassy answer.
      await start("embassy-shipper");
    }
    if (firstStart) {
      await startInformationSystems();
      journal.completedAt = new Date().toISOString();
      writeJournal(dataDir, journal);
    }
  } catch (error) {
    seedAbort.abort();
    await stopAll();
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }

  const state = stateFile(dataDir, dirs, ports, journal, table);
  writeFileAtomic(join(dataDir, "state.json"), `${JSON.stringify(state, null, 2)}\n`);
  say(
    `riik up: ${firstStart ? "initialised and started" : "started"} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return { state, firstStart, supervisor, missing, stop: stopAll };
}

/** Marks a promise awaited later as handled, so a failure meanwhile is not an unhandled rejection. */
function background<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

function openJournal(dataDir: string, options: BootOptions, databaseUrl: string | undefined): InitJournal {
  const existing = readJournal(dataDir);
  const database = databaseUrl ? "postgres" : "sqlite";
  if (!existing) {
    // A directory from before the journal (trust services only): keep its ports.
    const pkiJson = join(dataDir, "pki", "pki.json");
    const legacyBase = existsSync(pkiJson)
      ? Number(new URL(JSON.parse(readFileSync(pkiJson, "utf8")).baseUrl).port)
      : undefined;
    if (legacyBase && options.portBase !== undefined && options.portBase !== legacyBase)
      throw new StateError(
        "STATE_DATA_DIR",
        `${dataDir} was initialised with --port-base ${legacyBase}; its certificates name those ports`,
      );
    const journal: InitJournal = {
      format: JOURNAL_FORMAT,
      createdAt: new Date().toISOString(),
      portBase: legacyBase ?? options.portBase ?? DEFAULT_PORT_BASE,
      persons: options.persons ?? DEFAULT_PERSONS,
      database,
      steps: legacyBase ? { pki: new Date().toISOString() } : {},
      demoCards: [],
    };
    if (!Number.isInteger(journal.persons) || journal.persons < DEMO_CARDS)
      throw new StateError("STATE_ARGUMENT", `--persons must be an integer of at least ${DEMO_CARDS}`);
    if (journal.portBase + PORT_COUNT - 1 > 65535)
      throw new StateError("STATE_ARGUMENT", `--port-base leaves no room for ${PORT_COUNT} ports`);
    writeJournal(dataDir, journal);
    return journal;
  }
  if (options.portBase !== undefined && options.portBase !== existing.portBase)
    throw new StateError(
      "STATE_DATA_DIR",
      `${dataDir} was initialised with --port-base ${existing.portBase}; its certificates and global configuration name those ports (leave out --port-base, or use another --data)`,
    );
  if (existing.database !== database)
    throw new StateError(
      "STATE_DATA_DIR",
      existing.database === "postgres"
        ? `${dataDir} keeps its data in PostgreSQL: give the same --db (or RIIK_DATABASE_URL)`
        : `${dataDir} keeps its data in SQLite files: leave out --db, or use another --data`,
    );
  if (!existing.completedAt && options.persons !== undefined && options.persons !== existing.persons) {
    existing.persons = options.persons;
    delete existing.steps.population;
    delete existing.steps["demo cards"];
  }
  return existing;
}

/**
 * Refuses to start when one of the ports is taken (another `riik up`, say), naming it;
 * a port held by a process that is just exiting gets a few seconds to be released.
 */
async function assertPortsFree(base: number): Promise<void> {
  const tryListen = (port: number) =>
    new Promise<NodeJS.ErrnoException | undefined>((done) => {
      const server = createServer();
      server.once("error", (error: NodeJS.ErrnoException) => done(error));
      server.listen(port, HOST, () => server.close(() => done(undefined)));
    });
  for (let port = base; port < base + PORT_COUNT; port++) {
    const deadline = Date.now() + 3000;
    let failure = await tryListen(port);
    while (failure?.code === "EADDRINUSE" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      failure = await tryListen(port);
    }
    if (failure)
      throw new StateError(
        "STATE_ARGUMENT",
        `port ${port} on ${HOST} is in use (${failure.code}); riik up needs ${base}-${base + PORT_COUNT - 1} (is another riik up running?)`,
        { cause: failure },
      );
  }
}

async function issueDemoCards(
  dirs: StateDirs,
  databaseUrl: string | undefined,
  register: PopulationRegisterModule,
): Promise<DemoCard[]> {
  const persons = await register.demoPersons(
    { dataDir: dirs.registry, ...(databaseUrl ? { url: databaseUrl } : {}) },
    DEMO_CARDS,
  );
  const services = await openTrustServices(dirs.pki, { databaseUrl });
  try {
    const cards: DemoCard[] = [];
    for (const person of persons) cards.push(await issueSandboxCard(services, dirs, person, "demo card"));
    return cards;
  } finally {
    await services.close();
  }
}

/** An ID card for a person of the sandbox, its file in DIR/cards (0600) and its PINs for the banner. */
async function issueSandboxCard(
  services: Awaited<ReturnType<typeof openTrustServices>>,
  dirs: StateDirs,
  person: DemoPerson,
  what: string,
): Promise<DemoCard> {
  privateDirectory(dirs.cards);
  const pin1 = String(randomInt(0, 10_000)).padStart(4, "0");
  const pin2 = String(randomInt(0, 100_000)).padStart(5, "0");
  const card = await issueCard(services, {
    personalCode: person.personalCode,
    givenName: person.givenName,
    surname: person.surname,
    pin1,
    pin2,
    actor: `riik up (${what})`,
  });
  const file = join(dirs.cards, `${person.personalCode}.json`);
  writeFileAtomic(file, `${JSON.stringify(card, null, 2)}\n`);
  return { personalCode: person.personalCode, name: `${person.givenName} ${person.surname}`, file, pin1, pin2 };
}

function stateFile(
  dataDir: string,
  dirs: StateDirs,
  ports: PortLayout,
  journal: InitJournal,
  table: readonly Placement[],
): StateFile {
  const url = loopback;
  // What this state runs: its table, after the placements the installation lacks were left out.
  const has = (name: string) => table.some((p) => p.name === name);
  const services: StateFile["services"] = {
    pki: {
      url: url(ports.pki),
      ocsp: `${url(ports.pki)}/ocsp`,
      tsa: `${url(ports.pki)}/tsa`,
      rootCertificate: `${url(ports.pki)}/ca/root.crt`,
      dir: dirs.pki,
    },
    ledger: {
      url: url(ports.ledger),
      vkey: join(dirs.ledger, "ledger.vkey"),
      checkpoint: `${url(ports.ledger)}/checkpoint`,
    },
    witness: { url: url(ports.witness), vkey: join(dirs.witness, "witness.vkey") },
    central: {
      url: url(ports.central),
      globalconf: `${url(ports.central)}/globalconf`,
      anchor: join(dirs.central, "anchor.json"),
    },
    auth: {
      url: url(ports.auth),
      discovery: `${url(ports.auth)}/.well-known/openid-configuration`,
      app: `${url(ports.auth)}/app`,
    },
  };
  for (const name of SECURITY_SERVERS) {
    const p = ports[name];
    services[name] = {
      url: url(p.client),
      id: securityServerId(name),
      clientTls: `https://${HOST}:${p.clientTls}`,
      server: `https://${HOST}:${p.server}`,
      admin: url(p.admin),
      config: join(dirs.ss(name), "ss.json"),
    };
  }
  if (has("population-register"))
    services["population-register"] = {
      url: url(ports["population-register"]),
      service: PERSONS_SERVICE,
      // Bearer token of its events' operator routes (`/pubsub-operator`: subscriptions, dead letters).
      operatorTokenFile: registerOperatorTokenFile(dirs),
    };
  if (has("police"))
    services.police = { url: url(ports.police), queries: `${url(ports.police)}/queries`, client: POLICE_APP };
  if (has("portal")) services.portal = { url: url(ports.portal) };
  if (has("business-register"))
    services["business-register"] = {
      url: url(ports["business-register"]),
      service: `${BUSINESS_REGISTER}/companies`,
      openData: `${url(ports["business-register"])}/open-data/companies.json`,
    };
  services.directory = { url: url(ports.directory.http), ldap: `ldap://${HOST}:${ports.directory.ldap}` };
  if (has("cdoc-capsules"))
    services["cdoc-capsules"] = {
      url: `https://${HOST}:${ports.capsules.put}`,
      get: `https://${HOST}:${ports.capsules.get}`,
      // What `riik cdoc encrypt --server` and `decrypt --server` take.
      keyServer: join(dirs.capsules, "key-server.json"),
    };
  if (has("inbox")) {
    services.inbox = { url: url(ports.inbox), service: `${INBOX}/messages` };
    // The sandbox's mail server keeps every notice: its HTTP view lists them.
    services.mail = {
      url: url(ports.mail.http),
      smtp: `smtp://${HOST}:${ports.mail.smtp}`,
      messages: `${url(ports.mail.http)}/messages`,
    };
  }
  if (has("social-insurance"))
    services["social-insurance"] = {
      url: url(ports["social-insurance"]),
      service: `${SOCIAL_INSURANCE}/family-benefits`,
    };
  // The agencies on the exchange layer: where they answer and the subsystem they serve as.
  for (const name of AGENCIES_STARTED_TOGETHER) {
    const placement = table.find((p) => p.name === name);
    if (placement?.at) services[name] = { url: placement.url, subsystem: placement.at.subsystem };
  }
  if (has("embassy"))
    services.embassy = {
      url: `https://${HOST}:${ports.embassy.node}`,
      admin: url(ports.embassy.admin),
      status: url(ports.embassy.shipper),
      home: dirs.embassyHome,
      config: join(dirs.embassyHome, "shipper.json"),
    };
  const demo = journal.demoCards[0];
  return {
    startedAt: new Date().toISOString(),
    dataDir,
    instance: INSTANCE,
    control: url(ports.control),
    services,
    // What a continuity drill (riik embassy drill) checks before and after a restore.
    ...(has("population-register") && demo
      ? {
          drill: {
            checks: [
              {
                name: "a person through X-Road (portal → ss-ria → ss-sim → register)",
                url: `${url(ports["ss-ria"].client)}/r1/${PERSONS_SERVICE}/persons/${demo.personalCode}`,
                headers: {
                  "X-Road-Client": PORTAL_CLIENT,
                  "X-Road-UserId": `EE${demo.personalCode}`,
                  "X-Road-Issue": "continuity drill",
                },
              },
              {
                name: "a person from the register directly",
                url: `${url(ports["population-register"])}/persons/${demo.personalCode}`,
              },
              // Another person than above, whose uses the drill's own queries do not change.
              ...dataTrackerProbe(url(ports["ss-ria"].client), journal.demoCards[1]),
              // The land register, replicated too (issue 15): the first demo person's apartment.
              ...(has("land-register")
                ? [
                    {
                      name: "a person's property from the land register directly",
                      url: `${url(ports["land-register"])}/persons/EE${demo.personalCode}/register-parts`,
                    },
                  ]
                : []),
            ],
          },
        }
      : {}),
    members: MEMBERS.map((m) => ({
      id: m.id,
      name: m.name,
      securityServer: securityServerId(m.securityServer),
      subsystems: Object.entries(m.subsystems).map(([code, description]) => ({ id: `${m.id}/${code}`, description })),
    })),
    demoCards: journal.demoCards,
    officials: journal.officials ?? [],
  };
}

/** The Data Tracker through X-Road as the portal's reader sees it (usage protocol v2 findUsage). */
function dataTrackerProbe(ssRia: string, person: { personalCode: string } | undefined) {
  if (!person) return [];
  const userId = `EE${person.personalCode}`;
  return [
    {
      name: "a person's data uses through the Data Tracker (ss-ria → ss-sim findUsage)",
      url: `${ssRia}/r1/${POPULATION_REGISTER}/datatracker/v2/findUsage?userCode=${userId}`,
      headers: { "X-Road-Client": DATATRACKER_CLIENT, "X-Road-UserId": userId },
    },
  ];
}

/** The operators' bearer tokens, made once (random, 0600): the register's events operator routes. */
function operatorTokens(dirs: StateDirs): void {
  const file = registerOperatorTokenFile(dirs);
  if (existsSync(file)) return;
  privateDirectory(dirs.operator);
  writeFileAtomic(file, `${randomBytes(32).toString("base64url")}\n`);
}

/**
 * The witness and the embassy each keep their own copy of the ledger's verifier key, as
 * parties that trust the log would: `riik ledger serve` rewrites its ledger.vkey on every
 * start, and a reader starting at that moment could find it empty.
 */
function copyLedgerKey(dirs: StateDirs): void {
  for (const dir of [dirs.witness, dirs.embassy]) {
    const copy = join(dir, "ledger.vkey");
    if (existsSync(copy)) continue;
    privateDirectory(dir);
    writeFileAtomic(copy, readFileSync(join(dirs.ledger, "ledger.vkey"), "utf8"));
  }
}
