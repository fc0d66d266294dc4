import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { authDescriptor } from "@riik/auth/descriptor";
import { type ComponentDescriptor, commandLine, privateDirectory, writeFileAtomic } from "@riik/core";
import { directoryDescriptor } from "@riik/directory/descriptor";
import { ledgerDescriptor, witnessDescriptor } from "@riik/ledger/descriptor";
import { pkiDescriptor } from "@riik/pki/descriptor";
import { centralDescriptor, securityServerDescriptor } from "@riik/xroad/descriptor";
import {
  AUTH_CLIENT,
  BENEFITS_OFFICIAL,
  BUSINESS_REGISTER,
  CLINIC_SYSTEM,
  DATATRACKER_CLIENT,
  E_NOTAR,
  E_RESIDENCY,
  E_RESIDENCY_OFFICIAL,
  HEALTH_INSURANCE,
  HEALTH_SYSTEM,
  HOST,
  INBOX,
  LAND_REGISTER,
  LAND_REGISTRARS,
  loopback,
  MEMBERS,
  MOTOR_INSURANCE,
  PERSONS_SERVICE,
  PHARMACY_SYSTEM,
  POLICE_APP,
  POPULATION_REGISTER,
  PORTAL_CLIENT,
  type PortLayout,
  PPA_SERVICE_DESK,
  REGISTER_EVENTS_OFFICIAL,
  REPRESENTATION_RIGHTS_SERVICE,
  RIA,
  SECURITY_SERVERS,
  SOCIAL_INSURANCE,
  TAX_BOARD,
  TAX_OFFICIAL,
  VEHICLES,
} from "../topology.ts";
import type { OptionalDescriptors } from "./components.ts";
import type { ServiceSpec } from "./supervisor.ts";

export const LEDGER_ORIGIN = "riik.localhost/ledger";
export const WITNESS_NAME = "riik.localhost/witness";
/** In the auth directory: the token it asks the trust services for app certificates with. */
export const RA_TOKEN_FILE = "ra-token";

/** The portal's client id at the auth service. */
export const PORTAL_AUTH_CLIENT = "portal";
/** Where `riik up` keeps the portal's client credentials (0600), made when it registers the portal. */
export const PORTAL_CLIENT_FILE = "auth-client.json";

/**
 * The portal as a relying party of the auth service (what `riik auth client add` registers):
 * the portal's callback, its return after logout and its back-channel logout endpoint (the
 * paths of apps/portal/src/server.ts CALLBACK_PATH, POST_LOGOUT_PATH, BACKCHANNEL_LOGOUT_PATH).
 */
export function portalClientRegistration(ports: PortLayout) {
  const origin = loopback(ports.portal);
  return {
    clientId: PORTAL_AUTH_CLIENT,
    redirectUris: [`${origin}/api/auth/callback`],
    postLogoutRedirectUris: [`${origin}/?logout=done`],
    backchannelLogoutUri: `${origin}/api/auth/backchannel-logout`,
    scopes: ["openid", "idcard", "app", "representee_list"],
    minimumAcr: "substantial" as const,
    authentication: { method: "client_secret_basic" as const },
  };
}

/** The portal's placement with its client secret from DIR/portal/auth-client.json, when registered. */
export function withPortalClient(placement: Placement, portalDir: string): Placement {
  const file = join(portalDir, PORTAL_CLIENT_FILE);
  if (placement.name !== "portal" || !existsSync(file)) return placement;
  const { clientSecret } = JSON.parse(readFileSync(file, "utf8")) as { clientSecret: string };
  const auth = placement.config.auth as Record<string, unknown>;
  return { ...placement, config: { ...placement.config, auth: { ...auth, clientSecret } } };
}

/** Directories of the components inside the data directory. */
export function stateDirs(dataDir: string) {
  return {
    pki: join(dataDir, "pki"),
    ledger: join(dataDir, "ledger"),
    witness: join(dataDir, "witness"),
    central: join(dataDir, "central"),
    ss: (name: string) => join(dataDir, name),
    registry: join(dataDir, "population-register"),
    police: join(dataDir, "police"),
    portal: join(dataDir, "portal"),
    cards: join(dataDir, "cards"),
    logs: join(dataDir, "logs"),
    embassy: join(dataDir, "embassy"),
    embassyHome: join(dataDir, "embassy-home"),
    auth: join(dataDir, "auth"),
    directory: join(dataDir, "directory"),
    business: join(dataDir, "business-register"),
    inbox: join(dataDir, "inbox"),
    mail: join(dataDir, "mail"),
    socialInsurance: join(dataDir, "social-insurance"),
    eResidency: join(dataDir, "e-residency"),
    vehicles: join(dataDir, "vehicles"),
    motorInsurance: join(dataDir, "motor-insurance"),
    health: join(dataDir, "health"),
    healthInsurance: join(dataDir, "health-insurance"),
    taxBoard: join(dataDir, "tax-board"),
    capsules: join(dataDir, "cdoc-capsules"),
    landRegister: join(dataDir, "land-register"),
    /** Operators' secrets: the bearer tokens of the components' operator routes (0600). */
    operator: join(dataDir, "operator"),
  };
}

/** The population register's events operator token (dead letters, redrive): made once by riik up. */
export const registerOperatorTokenFile = (dirs: StateDirs) => join(dirs.operator, "population-register.token");
export type StateDirs = ReturnType<typeof stateDirs>;

/** The subsystems of the members other than RIA: the agencies, which write to people's inboxes. */
const agencySubsystems = (): string[] =>
  MEMBERS.filter((member) => member.id !== RIA).flatMap((member) =>
    Object.keys(member.subsystems).map((code) => `${member.id}/${code}`),
  );

/** One component of the sandbox state: its descriptor and where `riik up` puts it. */
export interface Placement {
  /** Its process name (supervisor, logs, state.json). */
  name: string;
  descriptor: ComponentDescriptor;
  /** Its serve config: command-line options, or the contents of `file` for a file-configured component. */
  config: Record<string, unknown>;
  file?: string;
  /** Where it answers /healthz. */
  url: string;
  /** Its subsystem on the exchange layer and the URL its security server reaches it at. */
  at?: { subsystem: string; url: string };
  /** For a service that answers /healthz over TLS only: the root its certificate chains to. */
  healthCa?: string;
}

export interface TableContext {
  dataDir: string;
  dirs: StateDirs;
  ports: PortLayout;
  databaseUrl: string | undefined;
  installed: OptionalDescriptors;
}

/**
 * The sandbox state as a table: every component `riik up` runs, from its descriptor. Adding
 * an agency is adding its row (and its member in topology.ts).
 */
export function sandboxTable(context: TableContext): Placement[] {
  const { dataDir, dirs, ports, databaseUrl, installed } = context;
  const url = loopback;
  const db = { databaseUrl };
  const table: Placement[] = [
    {
      name: "pki",
      descriptor: pkiDescriptor,
      config: { dir: dirs.pki, port: ports.pki, host: HOST, ...db },
      url: url(ports.pki),
    },
    {
      name: "ledger",
      descriptor: ledgerDescriptor,
      config: {
        dir: dirs.ledger,
        port: ports.ledger,
        host: HOST,
        origin: LEDGER_ORIGIN,
        witnesses: [url(ports.witness)],
        ...db,
      },
      url: url(ports.ledger),
    },
    {
      name: "witness",
      descriptor: witnessDescriptor,
      config: {
        dir: dirs.witness,
        logs: [join(dirs.witness, "ledger.vkey")],
        port: ports.witness,
        host: HOST,
        name: WITNESS_NAME,
        ...db,
      },
      url: url(ports.witness),
    },
    {
      name: "central",
      descriptor: centralDescriptor,
      config: { dir: dirs.central, port: ports.central, host: HOST, ...db },
      url: url(ports.central),
    },
    ...SECURITY_SERVERS.map((name) => ({
      name,
      descriptor: securityServerDescriptor,
      config: { config: join(dirs.ss(name), "ss.json"), ...db },
      url: url(ports[name].admin),
    })),
    {
      name: "auth",
      descriptor: authDescriptor,
      config: {
        dir: dirs.auth,
        port: ports.auth,
        host: HOST,
        trustedCaFiles: [join(dirs.pki, "ca", "esteid.crt")],
        ocspUrl: `${url(ports.pki)}/ocsp`,
        // The app login: app certificates asked of the trust services as a registration authority.
        pkiUrl: url(ports.pki),
        raTokenFile: join(dirs.auth, RA_TOKEN_FILE),
        // The sandbox's relying parties run on loopback and receive back-channel logout there.
        relyingPartyNetwork: "private",
        // The mandates service: parents' minor children from the register, over ss-ria.
        ...(installed.registry
          ? {
              xroadSecurityServer: url(ports["ss-ria"].client),
              xroadClient: AUTH_CLIENT,
              personsService: PERSONS_SERVICE,
              // Board members act for their companies: the business register's rights, over X-Road too.
              ...(installed.business ? { representationRightsService: REPRESENTATION_RIGHTS_SERVICE } : {}),
            }
          : {}),
        // The login record, served to ss-ria only (the portal reads it over X-Road).
        exchangePort: ports.authExchange,
        ...db,
      },
      url: url(ports.auth),
      at: { subsystem: AUTH_CLIENT, url: url(ports.authExchange) },
    },
    {
      name: "directory",
      descriptor: directoryDescriptor,
      config: {
        dir: dirs.directory,
        port: ports.directory.ldap,
        httpPort: ports.directory.http,
        pkiDir: dirs.pki,
        ...db,
      },
      url: url(ports.directory.http),
    },
  ];
  if (installed.capsules)
    table.push({
      name: "cdoc-capsules",
      descriptor: installed.capsules,
      // Its TLS certificate from the server CA; the ID cards' CA for recipients (issue #20).
      config: {
        dir: dirs.capsules,
        pkiDir: dirs.pki,
        ...(databaseUrl ? { pkiDatabaseUrl: databaseUrl } : {}),
        port: ports.capsules.put,
        getPort: ports.capsules.get,
        host: HOST,
        ...db,
      },
      url: `https://${HOST}:${ports.capsules.put}`,
      healthCa: join(dirs.pki, "ca", "root.crt"),
    });
  if (installed.registry)
    table.push({
      name: "population-register",
      descriptor: installed.registry,
      config: {
        dir: dirs.registry,
        port: ports["population-register"],
        host: HOST,
        // Vital events pushed to subscribers (the Social Insurance Board) through ss-sim.
        xroadSecurityServer: url(ports["ss-sim"].client),
        xroadClient: POPULATION_REGISTER,
        officialCode: REGISTER_EVENTS_OFFICIAL,
        // The operator reads subscriptions and dead letters with this token (curl, see the README).
        operatorTokenFile: registerOperatorTokenFile(dirs),
        ...db,
      },
      url: url(ports["population-register"]),
      at: { subsystem: POPULATION_REGISTER, url: url(ports["population-register"]) },
    });
  if (installed.business)
    table.push({
      name: "business-register",
      descriptor: installed.business,
      config: {
        dir: dirs.business,
        // Founders sign their application with cards of the sandbox's trust services.
        trust: join(dirs.pki, "ca", "root.crt"),
        port: ports["business-register"],
        host: HOST,
        // Founding checks over X-Road through ss-rik (persons; e-residents and business bans are
        // added by businessChecks() when this state provides them); the portal founds for people.
        ...(installed.registry
          ? {
              xroadSecurityServer: url(ports["ss-rik"].client),
              xroadClient: BUSINESS_REGISTER,
              personsService: PERSONS_SERVICE,
            }
          : {}),
        ...(installed.portal ? { applicationsClients: [PORTAL_CLIENT] } : {}),
        ...db,
      },
      url: url(ports["business-register"]),
      at: { subsystem: BUSINESS_REGISTER, url: url(ports["business-register"]) },
    });
  if (installed.police)
    table.push({
      name: "police",
      descriptor: installed.police,
      file: join(dirs.police, "police.json"),
      config: {
        port: ports.police,
        host: HOST,
        client: POLICE_APP,
        securityServer: { url: url(ports["ss-ppa"].client) },
        personsService: PERSONS_SERVICE,
        // Its records (criminal records, business bans): background-checks for e-Residency and
        // business-bans for the business register; sanctions from the package's sample list.
        dir: dirs.police,
        ...db,
      },
      url: url(ports.police),
      at: { subsystem: POLICE_APP, url: url(ports.police) },
    });
  if (installed.portal)
    table.push({
      name: "portal",
      descriptor: installed.portal,
      file: join(dirs.portal, "portal.json"),
      config: {
        port: ports.portal,
        host: HOST,
        publicOrigin: url(ports.portal),
        securityServer: { url: url(ports["ss-ria"].client) },
        portalClient: PORTAL_CLIENT,
        dataTrackerClient: DATATRACKER_CLIENT,
        populationService: PERSONS_SERVICE,
        authenticationsService: `${AUTH_CLIENT}/authentications`,
        dataTrackerProviders: [POPULATION_REGISTER],
        trustedCaFiles: [join(dirs.pki, "ca", "esteid.crt")],
        ocspUrl: `${url(ports.pki)}/ocsp`,
        stateFile: join(dataDir, "state.json"),
        // Sign documents and Check a container: the sandbox's TSA, and its root as the trust anchor.
        signing: { tsaUrl: `${url(ports.pki)}/tsa`, trustAnchorFiles: [join(dirs.pki, "ca", "root.crt")] },
        // Login at the auth service; the secret is filled in from portal/auth-client.json (withPortalClient).
        auth: { issuer: url(ports.auth), clientId: PORTAL_AUTH_CLIENT },
        // My companies, company pages and founding an OÜ (issue #14): the register's services over ss-ria.
        ...(installed.business
          ? {
              businessRegister: {
                applicationsService: `${BUSINESS_REGISTER}/applications`,
                companiesService: `${BUSINESS_REGISTER}/companies`,
                companyPersonsService: `${BUSINESS_REGISTER}/company-persons`,
              },
            }
          : {}),
        // The person's state inbox and the Board's family benefits (issue #13), over ss-ria too.
        ...(installed.inbox
          ? { inbox: { mailboxService: `${INBOX}/mailbox`, messagesService: `${INBOX}/messages` } }
          : {}),
        ...(installed.socialInsurance && installed.registry && installed.inbox
          ? { benefits: { familyBenefitsService: `${SOCIAL_INSURANCE}/family-benefits` } }
          : {}),
        // Applying for e-Residency without an Estonian identity (issue #14), over ss-ria.
        ...(installed.eResidency && installed.police
          ? { eResidency: { applicationsService: `${E_RESIDENCY}/applications` } }
          : {}),
        // The pre-filled income tax return (issue #13), from the Tax and Customs Board over ss-ria.
        ...(installed.taxBoard && installed.registry
          ? { taxReturn: { returnsService: `${TAX_BOARD}/income-tax-returns` } }
          : {}),
        // Encrypted documents (issue #20): recipients' ID card keys from the certificate directory.
        encryption: { directoryUrl: url(ports.directory.http) },
        // The patient's own health record and insurance (issue #16), over ss-ria.
        ...(installed.health
          ? {
              health: {
                fhirService: `${HEALTH_SYSTEM}/fhir`,
                insuranceService: `${HEALTH_INSURANCE}/insurance`,
              },
            }
          : {}),
        // The person's register parts, vehicles and driving licence (issue #15), over ss-ria.
        ...(installed.landRegister && installed.vehicles
          ? {
              property: {
                registerPartsService: `${LAND_REGISTER}/register-parts`,
                vehiclesService: `${VEHICLES}/vehicles`,
                licencesService: `${VEHICLES}/driving-licences`,
              },
            }
          : {}),
      },
      url: url(ports.portal),
      at: { subsystem: PORTAL_CLIENT, url: url(ports.portal) },
    });
  if (installed.inbox)
    table.push(
      {
        name: "mail",
        descriptor: installed.inbox.mail,
        config: { dir: dirs.mail, smtpPort: ports.mail.smtp, httpPort: ports.mail.http, host: HOST },
        url: url(ports.mail.http),
      },
      {
        name: "inbox",
        descriptor: installed.inbox.service,
        config: {
          dir: dirs.inbox,
          port: ports.inbox,
          host: HOST,
          // Notices go to the sandbox's mail server, which keeps them (riik mail serve).
          smtpUrl: `smtp://${HOST}:${ports.mail.smtp}`,
          portalUrl: url(ports.portal),
          // Every agency's subsystem may deliver, and the portal for the person logged in.
          messagesClients: [PORTAL_CLIENT, ...agencySubsystems()],
          mailboxClients: [PORTAL_CLIENT],
          personSenderClients: [PORTAL_CLIENT],
          ...db,
        },
        url: url(ports.inbox),
        at: { subsystem: INBOX, url: url(ports.inbox) },
      },
    );
  // The Social Insurance Board lives on the register's births and writes to people's inboxes.
  if (installed.socialInsurance && installed.registry && installed.inbox)
    table.push({
      name: "social-insurance",
      descriptor: installed.socialInsurance,
      config: {
        dir: dirs.socialInsurance,
        port: ports["social-insurance"],
        host: HOST,
        xroadSecurityServer: url(ports["ss-ska"].client),
        xroadClient: SOCIAL_INSURANCE,
        eventsService: `${POPULATION_REGISTER}/events`,
        personsService: PERSONS_SERVICE,
        inboxService: `${INBOX}/messages`,
        officialCode: BENEFITS_OFFICIAL,
        benefitsClients: [PORTAL_CLIENT],
        ...db,
      },
      url: url(ports["social-insurance"]),
      at: { subsystem: SOCIAL_INSURANCE, url: url(ports["social-insurance"]) },
    });
  table.push(...registersOfRights(context), ...welfareAndTax(context));
  // e-Residency: the police check the applicants, the trust services issue their digital IDs.
  if (installed.eResidency && installed.police)
    table.push({
      name: "e-residency",
      descriptor: installed.eResidency,
      config: {
        dir: dirs.eResidency,
        trust: join(dirs.pki, "ca", "root.crt"),
        port: ports["e-residency"],
        host: HOST,
        xroadSecurityServer: url(ports["ss-ppa"].client),
        xroadClient: E_RESIDENCY,
        backgroundChecksService: `${POLICE_APP}/background-checks`,
        // An e-resident's code is granted only once the population register says no resident holds it.
        populationRegisterService: PERSONS_SERVICE,
        pkiUrl: url(ports.pki),
        raTokenFile: join(dirs.eResidency, RA_TOKEN_FILE),
        officials: [E_RESIDENCY_OFFICIAL.personalCode],
        applicationsClients: installed.portal ? [PORTAL_CLIENT] : [],
        eResidentsClients: installed.business ? [BUSINESS_REGISTER] : [],
        decisionsClients: [PPA_SERVICE_DESK],
        ...db,
      },
      url: url(ports["e-residency"]),
      at: { subsystem: E_RESIDENCY, url: url(ports["e-residency"]) },
    });
  // The embassy replicates the population register, so it comes only with one.
  if (installed.embassy && installed.registry)
    table.push(
      {
        name: "embassy",
        descriptor: installed.embassy.node,
        config: {
          dir: dirs.embassy,
          port: ports.embassy.node,
          adminPort: ports.embassy.admin,
          host: HOST,
          pki: dirs.pki,
          ledgerKey: join(dirs.embassy, "ledger.vkey"),
          ...db,
        },
        url: url(ports.embassy.admin),
      },
      {
        name: "embassy-shipper",
        descriptor: installed.embassy.shipper,
        file: join(dirs.embassyHome, "shipper.json"),
        // platform/embassy README, "What riik up runs": the population register (and the land
        // register) replicated to one embassy, segments anchored in the ledger. On PostgreSQL the register is read from its
        // schema, so this file then holds the URL (0600).
        config: {
          format: "riik-embassy-shipper/v1",
          home: ".",
          masterKey: "master.key",
          tls: { cert: "tls/client.crt", key: "tls/client.key", ca: "tls/ca.pem" },
          ledger: { url: url(ports.ledger), key: "ledger.vkey" },
          registries: [
            databaseUrl
              ? { name: "population-register", databaseUrl, schema: "riik_population_register" }
              : { name: "population-register", dataDir: dirs.registry },
            // Issue 15: the land register too, when the state has one.
            ...(installed.landRegister
              ? [
                  databaseUrl
                    ? { name: "land-register", databaseUrl, schema: "riik_land_register" }
                    : { name: "land-register", dataDir: dirs.landRegister },
                ]
              : []),
          ],
          embassies: [{ name: "lux", url: `https://${HOST}:${ports.embassy.node}` }],
          segments: { maxDelayMs: 500 },
          status: { host: HOST, port: ports.embassy.shipper },
        },
        url: url(ports.embassy.shipper),
      },
    );
  return businessChecks(table);
}

/**
 * The Transport Administration's vehicle register and the motor insurers' bureau (issue #15):
 * the portal and the police read them, the bureau anchors every step of a case in the ledger
 * and checks insurers against the business register.
 */
function registersOfRights({ dirs, ports, databaseUrl, installed }: TableContext): Placement[] {
  const url = loopback;
  const db = { databaseUrl };
  const trust = join(dirs.pki, "ca", "root.crt");
  const rows: Placement[] = [];
  if (installed.vehicles)
    rows.push({
      name: "vehicles",
      descriptor: installed.vehicles,
      config: {
        dir: dirs.vehicles,
        trust,
        port: ports.vehicles,
        host: HOST,
        vehiclesClients: [PORTAL_CLIENT, POLICE_APP, MOTOR_INSURANCE],
        licencesClients: [PORTAL_CLIENT, POLICE_APP],
        transfersClients: [PORTAL_CLIENT],
        ...db,
      },
      url: url(ports.vehicles),
      at: { subsystem: VEHICLES, url: url(ports.vehicles) },
    });
  if (installed.landRegister)
    rows.push({
      name: "land-register",
      descriptor: installed.landRegister,
      config: {
        dir: dirs.landRegister,
        trust,
        ledgerUrl: url(ports.ledger),
        port: ports["land-register"],
        host: HOST,
        registrarClients: [LAND_REGISTRARS],
        notaryClients: [E_NOTAR],
        portalClients: [PORTAL_CLIENT],
        ...db,
      },
      url: url(ports["land-register"]),
      at: { subsystem: LAND_REGISTER, url: url(ports["land-register"]) },
    });
  if (installed.motorInsurance)
    rows.push({
      name: "motor-insurance",
      descriptor: installed.motorInsurance,
      config: {
        dir: dirs.motorInsurance,
        trust,
        ledgerUrl: url(ports.ledger),
        port: ports["motor-insurance"],
        host: HOST,
        ...(installed.business
          ? {
              xroadSecurityServer: url(ports["ss-lkf"].client),
              xroadClient: MOTOR_INSURANCE,
              companiesService: `${BUSINESS_REGISTER}/companies`,
            }
          : {}),
        insuranceClients: [PORTAL_CLIENT, POLICE_APP, VEHICLES],
        casesClients: [PORTAL_CLIENT],
        policeClients: [POLICE_APP],
        adminClients: [MOTOR_INSURANCE],
        ...db,
      },
      url: url(ports["motor-insurance"]),
      at: { subsystem: MOTOR_INSURANCE, url: url(ports["motor-insurance"]) },
    });
  return rows;
}

/**
 * The health information system, the health insurance fund and the Tax and Customs Board
 * (issues #16 and #13): the portal shows a person their own records, insurance and return.
 */
function welfareAndTax({ dirs, ports, databaseUrl, installed }: TableContext): Placement[] {
  const url = loopback;
  const db = { databaseUrl };
  const rows: Placement[] = [];
  if (installed.health)
    rows.push(
      {
        name: "health",
        descriptor: installed.health.system,
        config: {
          dir: dirs.health,
          trust: join(dirs.pki, "ca", "root.crt"),
          port: ports.health,
          host: HOST,
          // The sandbox clinic and pharmacy (seeded with their professionals on first start).
          providerClients: [CLINIC_SYSTEM],
          pharmacyClients: [PHARMACY_SYSTEM],
          portalClients: [PORTAL_CLIENT],
          // The prescription centre asks the fund through ss-tehik before each dispensing.
          xroadSecurityServer: url(ports["ss-tehik"].client),
          xroadClient: HEALTH_SYSTEM,
          insuranceService: `${HEALTH_INSURANCE}/insurance`,
          ...db,
        },
        url: url(ports.health),
        at: { subsystem: HEALTH_SYSTEM, url: url(ports.health) },
      },
      {
        name: "health-insurance",
        descriptor: installed.health.insurance,
        config: {
          dir: dirs.healthInsurance,
          port: ports["health-insurance"],
          host: HOST,
          insuranceClients: [PORTAL_CLIENT, HEALTH_SYSTEM, CLINIC_SYSTEM, PHARMACY_SYSTEM],
          reportingClients: [TAX_BOARD, SOCIAL_INSURANCE],
          ...db,
        },
        url: url(ports["health-insurance"]),
        at: { subsystem: HEALTH_INSURANCE, url: url(ports["health-insurance"]) },
      },
    );
  if (installed.taxBoard)
    rows.push({
      name: "tax-board",
      descriptor: installed.taxBoard,
      config: {
        dir: dirs.taxBoard,
        port: ports["tax-board"],
        host: HOST,
        // Residents and their children from the population register, read through ss-emta.
        ...(installed.registry
          ? {
              xroadSecurityServer: url(ports["ss-emta"].client),
              xroadClient: TAX_BOARD,
              personsService: PERSONS_SERVICE,
              officialCode: TAX_OFFICIAL,
            }
          : {}),
        returnsClients: [PORTAL_CLIENT],
        ...db,
      },
      url: url(ports["tax-board"]),
      at: { subsystem: TAX_BOARD, url: url(ports["tax-board"]) },
    });
  return rows;
}

/**
 * The business register asks the e-Residency agency's e-residents and the police's business
 * bans only where this state runs them (a check it cannot ask fails closed: no registration).
 */
function businessChecks(table: Placement[]): Placement[] {
  const business = table.find((p) => p.name === "business-register");
  if (!business?.config.personsService) return table;
  const eResidency = table.find((p) => p.name === "e-residency");
  const police = table.find((p) => p.name === "police");
  business.config = {
    ...business.config,
    ...(eResidency?.at ? { eResidentsService: `${eResidency.at.subsystem}/e-residents` } : {}),
    // The police serve business bans from their own store, which they have with a directory.
    ...(police?.at && police.config.dir ? { businessBansService: `${police.at.subsystem}/business-bans` } : {}),
  };
  return table;
}

/** What the supervisor runs for a placement: `riik` with the descriptor's command line. */
export function serviceSpec(placement: Placement): ServiceSpec {
  return {
    name: placement.name,
    args: commandLine(placement.descriptor, placement.config, placement.file),
    url: placement.url,
    ...(placement.healthCa ? { healthCa: placement.healthCa } : {}),
  };
}

/** Writes a file-configured placement's configuration (owner-only: it may hold a database URL). */
export function writeConfigFile(placement: Placement): void {
  if (!placement.file) return;
  privateDirectory(dirname(placement.file));
  writeFileAtomic(placement.file, `${JSON.stringify(placement.config, null, 2)}\n`);
}
