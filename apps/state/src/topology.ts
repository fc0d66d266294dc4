// The sandbox state's members, subsystems, security servers and loopback ports: one
// place that `riik up`, its tests and the benchmark agree on.

export const INSTANCE = "EE";

export const RIA = "EE/GOV/70006317";
export const SIM = "EE/GOV/70000562";
export const PPA = "EE/GOV/70008747";
/** Registrite ja Infosüsteemide Keskus: keeps the e-Business Register. */
export const RIK = "EE/GOV/70000310";
/** Sotsiaalkindlustusamet: the Social Insurance Board (family benefits). */
export const SKA = "EE/GOV/70001975";
export const SOCIAL_INSURANCE = `${SKA}/benefits`;
/** Transpordiamet: the Transport Administration (vehicles and driving licences). */
export const TRA = "EE/GOV/70001490";
export const VEHICLES = `${TRA}/vehicles`;
/** Eesti Liikluskindlustuse Fond: the motor insurers' bureau, a non-profit of the insurers (COM). */
export const LKF = "EE/COM/80072004";
export const MOTOR_INSURANCE = `${LKF}/lkf`;
/** Tervise ja Heaolu Infosüsteemide Keskus: the health information system and prescription centre. */
export const TEHIK = "EE/GOV/70009770";
export const HEALTH_SYSTEM = `${TEHIK}/tis`;
/** Tervisekassa: the health insurance fund. */
export const TK = "EE/GOV/74000091";
export const HEALTH_INSURANCE = `${TK}/ravikindlustus`;
/** A sandbox clinic (a company of the business register) whose hospital information system writes visits and prescriptions. */
export const CLINIC = "EE/COM/10090010";
export const CLINIC_SYSTEM = `${CLINIC}/his`;
/** A sandbox pharmacy (a company of the business register, licensed) whose system dispenses by personal code. */
export const PHARMACY = "EE/COM/10090027";
export const PHARMACY_SYSTEM = `${PHARMACY}/apteek`;
/** The sandbox's doctor at the clinic and pharmacist at the pharmacy (cards are issued for both). */
export const CLINIC_DOCTOR = { personalCode: "47804121002", givenName: "Mari", surname: "Arst" };
export const PHARMACIST = { personalCode: "37109231007", givenName: "Peeter", surname: "Proviisor" };
/** Maksu- ja Tolliamet: the Tax and Customs Board. */
export const EMTA = "EE/GOV/70000349";
export const TAX_BOARD = `${EMTA}/emta`;
/**
 * The officials accountable for automated calls (X-Road-UserId of deliveries a person did not
 * ask for): the register's vital-event pushes and the Board's reads of families.
 */
export const REGISTER_EVENTS_OFFICIAL = "47503122214";
export const BENEFITS_OFFICIAL = "38109302242";
/** The Tax and Customs Board official accountable for the Board's reads of residents and children. */
export const TAX_OFFICIAL = "48204112238";

export const PORTAL_CLIENT = `${RIA}/portal`;
export const DATATRACKER_CLIENT = `${RIA}/datatracker`;
/** The state inbox's subsystem (riigipost), RIA's like the portal. */
export const INBOX = `${RIA}/inbox`;
/** The national authentication service as an X-Road client: its mandates service reads family relations. */
export const AUTH_CLIENT = `${RIA}/auth`;
export const POPULATION_REGISTER = `${SIM}/rr`;
export const POLICE_APP = `${PPA}/police-app`;
/** The e-Residency agency's subsystem, and the Board's service desk that decides and hands over. */
export const E_RESIDENCY = `${PPA}/e-residency`;
export const PPA_SERVICE_DESK = `${PPA}/teenindus`;
/** The sandbox's Board official who decides e-Residency applications (a card is issued for them). */
export const E_RESIDENCY_OFFICIAL = { personalCode: "48607150255", givenName: "Piret", surname: "Ametnik" };
/** The population register's REST service (persons by personal code: GET /persons/{code}). */
export const PERSONS_SERVICE_CODE = "persons";
export const PERSONS_SERVICE = `${POPULATION_REGISTER}/${PERSONS_SERVICE_CODE}`;
export const BUSINESS_REGISTER = `${RIK}/ariregister`;
/** The business register's representation rights (GET /persons/{code}/representation-rights): companies a person may act for. */
export const REPRESENTATION_RIGHTS_SERVICE = `${BUSINESS_REGISTER}/representation-rights`;
/** The land register, its information system kept by RIK (the register itself by the courts' land registry department). */
export const LAND_REGISTER = `${RIK}/kinnistusraamat`;
/** The land registry department's registrars, who enter or refuse applications (the courts' system is RIK's too). */
export const LAND_REGISTRARS = `${RIK}/kinnistusosakond`;
/** e-Notar, the notaries' information system (run by RIK for the Chamber of Notaries): files deeds. */
export const E_NOTAR = `${RIK}/e-notar`;

export type SecurityServerName =
  | "ss-ria"
  | "ss-sim"
  | "ss-ppa"
  | "ss-rik"
  | "ss-ska"
  | "ss-tra"
  | "ss-lkf"
  | "ss-tehik"
  | "ss-tk"
  | "ss-emta"
  | "ss-kliinik"
  | "ss-apteek";

export interface MemberSpec {
  /** INSTANCE/CLASS/MEMBER */
  id: string;
  name: string;
  /** Subsystems, with what each does. */
  subsystems: Record<string, string>;
  securityServer: SecurityServerName;
}

/** Who takes part: the authority that runs the portal, the register keeper and a consumer. */
export const MEMBERS: readonly MemberSpec[] = Object.freeze<MemberSpec[]>([
  {
    id: RIA,
    name: "Riigi Infosüsteemi Amet",
    subsystems: {
      portal: "state portal (eesti.ee)",
      datatracker: "Data Tracker reader",
      auth: "national authentication service (mandates)",
      inbox: "state inbox (riigipost)",
    },
    securityServer: "ss-ria",
  },
  {
    id: SIM,
    name: "Siseministeerium",
    subsystems: { rr: "population register", registrar: "vital statistics registrar" },
    securityServer: "ss-sim",
  },
  {
    id: PPA,
    name: "Politsei- ja Piirivalveamet",
    subsystems: {
      "police-app": "identity documents and person queries",
      "e-residency": "e-Residency applications, decisions and the register of e-residents",
      teenindus: "service desk: e-Residency decisions and hand-over of digital IDs",
    },
    securityServer: "ss-ppa",
  },
  {
    id: RIK,
    name: "Registrite ja Infosüsteemide Keskus",
    subsystems: {
      ariregister: "e-Business Register",
      kinnistusraamat: "land register",
      kinnistusosakond: "the courts' land registry department: registrars' entries",
      "e-notar": "e-Notar, the notaries' information system",
    },
    // Its own server: a security server signs with its owner's key (PR-MESS 2.4.2).
    securityServer: "ss-rik",
  },
  {
    id: SKA,
    name: "Sotsiaalkindlustusamet",
    subsystems: { benefits: "family benefits offered on a birth" },
    securityServer: "ss-ska",
  },
  {
    id: TRA,
    name: "Transpordiamet",
    subsystems: { vehicles: "vehicle register and driving licences" },
    securityServer: "ss-tra",
  },
  {
    id: LKF,
    name: "Eesti Liikluskindlustuse Fond",
    subsystems: { lkf: "motor insurance register and accident cases" },
    securityServer: "ss-lkf",
  },
  {
    id: TEHIK,
    name: "Tervise ja Heaolu Infosüsteemide Keskus",
    subsystems: { tis: "health information system and prescription centre (FHIR R4)" },
    securityServer: "ss-tehik",
  },
  {
    id: TK,
    name: "Tervisekassa",
    subsystems: { ravikindlustus: "health insurance register" },
    securityServer: "ss-tk",
  },
  {
    id: EMTA,
    name: "Maksu- ja Tolliamet",
    subsystems: { emta: "declarations and income tax returns" },
    securityServer: "ss-emta",
  },
  {
    id: CLINIC,
    name: "Demokliinik OÜ",
    subsystems: { his: "hospital information system: visits, summaries, prescriptions" },
    securityServer: "ss-kliinik",
  },
  {
    id: PHARMACY,
    name: "Demoapteek OÜ",
    subsystems: { apteek: "pharmacy system: prescriptions found by personal code, dispensed" },
    securityServer: "ss-apteek",
  },
]);

export const SECURITY_SERVERS: readonly SecurityServerName[] = MEMBERS.map((m) => m.securityServer);

export const securityServerId = (name: SecurityServerName): string =>
  `${MEMBERS.find((m) => m.securityServer === name)!.id}/${name}`;

export const memberById = (id: string): MemberSpec => MEMBERS.find((m) => m.id === id)!;

export const memberOfServer = (name: SecurityServerName): MemberSpec => MEMBERS.find((m) => m.securityServer === name)!;

export interface SecurityServerPorts {
  client: number;
  clientTls: number;
  server: number;
  admin: number;
}

/**
 * Consecutive loopback ports from the base, in the order of the issue; a security
 * server takes four (information systems over HTTP and HTTPS, other servers, admin).
 */
export interface PortLayout {
  pki: number;
  ledger: number;
  witness: number;
  central: number;
  "ss-ria": SecurityServerPorts;
  "ss-sim": SecurityServerPorts;
  "ss-ppa": SecurityServerPorts;
  "ss-rik": SecurityServerPorts;
  "ss-ska": SecurityServerPorts;
  "population-register": number;
  police: number;
  portal: number;
  /** The data embassy: its mutual-TLS port and plain admin port, and the home shipper's status port. */
  embassy: { node: number; admin: number; shipper: number };
  /** The supervisor's control API (stop and start a service; embassy drills). */
  control: number;
  /** The national authentication service (OpenID Connect provider). */
  auth: number;
  /** Its listener for the security server only: the login record. */
  authExchange: number;
  /** The public certificate directory: slapd's LDAP port and its HTTP lookup. */
  directory: { ldap: number; http: number };
  "business-register": number;
  /** The e-Residency agency (applications, staff API, its X-Road services). */
  "e-residency": number;
  /** The state inbox (messages to a person from the agencies). */
  inbox: number;
  /** The sandbox's mail server, which keeps forwarded notifications: SMTP and an HTTP view. */
  mail: { smtp: number; http: number };
  /** The Social Insurance Board. */
  "social-insurance": number;
  "ss-tra": SecurityServerPorts;
  vehicles: number;
  "ss-lkf": SecurityServerPorts;
  "motor-insurance": number;
  "ss-tehik": SecurityServerPorts;
  health: number;
  "ss-tk": SecurityServerPorts;
  "health-insurance": number;
  "ss-emta": SecurityServerPorts;
  "tax-board": number;
  /** The CDOC2 key capsule server: senders' TLS port and recipients' mutual-TLS port. */
  capsules: { put: number; get: number };
  "ss-kliinik": SecurityServerPorts;
  "ss-apteek": SecurityServerPorts;
  "land-register": number;
}

export const PORT_COUNT = 77;

export function portLayout(base: number): PortLayout {
  const ss = (first: number): SecurityServerPorts => ({
    client: first,
    clientTls: first + 1,
    server: first + 2,
    admin: first + 3,
  });
  return {
    pki: base,
    ledger: base + 1,
    witness: base + 2,
    central: base + 3,
    "ss-ria": ss(base + 4),
    "ss-sim": ss(base + 8),
    "ss-ppa": ss(base + 12),
    "population-register": base + 16,
    police: base + 17,
    portal: base + 18,
    embassy: { node: base + 19, admin: base + 20, shipper: base + 21 },
    control: base + 22,
    auth: base + 23,
    authExchange: base + 24,
    directory: { ldap: base + 25, http: base + 26 },
    "business-register": base + 27,
    "ss-rik": ss(base + 28),
    "e-residency": base + 32,
    inbox: base + 33,
    mail: { smtp: base + 34, http: base + 35 },
    "ss-ska": ss(base + 36),
    "social-insurance": base + 40,
    "ss-tra": ss(base + 41),
    vehicles: base + 45,
    "ss-lkf": ss(base + 46),
    "motor-insurance": base + 50,
    "ss-tehik": ss(base + 51),
    health: base + 55,
    "ss-tk": ss(base + 56),
    "health-insurance": base + 60,
    "ss-emta": ss(base + 61),
    "tax-board": base + 65,
    capsules: { put: base + 66, get: base + 67 },
    "ss-kliinik": ss(base + 68),
    "ss-apteek": ss(base + 72),
    "land-register": base + 76,
  };
}

export const HOST = "127.0.0.1";
export const loopback = (port: number): string => `http://${HOST}:${port}`;
