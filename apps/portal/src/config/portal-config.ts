import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { formatClientId, parseClientId, parseConfig, parseServiceId, problem, refine, TCP_PORT } from "@riik/core";
import { type Static, Type } from "typebox";
import { PortalError } from "../errors.ts";

/** Whether PARSE takes TEXT (the identifier parsers of core throw on bad input). */
const parses = (parse: (text: string) => unknown) => (text: string) => {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
};
const httpUrl = (text: string) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol);
const isSubsystem = (text: string) => parses(parseClientId)(text) && parseClientId(text).subsystemCode !== undefined;
const FILE = Type.String({ minLength: 1, ...problem("must be a file path") });
const SUBSYSTEM = refine(Type.String(), isSubsystem, "must be a subsystem id INSTANCE/CLASS/MEMBER/SUBSYSTEM");
const SERVICE = refine(
  Type.String(),
  parses(parseServiceId),
  "must be a service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE",
);
const service = (fallback: string) => ({ ...SERVICE, default: fallback });
const positive = (fallback: number) =>
  Type.Integer({ minimum: 1, default: fallback, ...problem("must be a positive integer") });
const MAX_UPLOAD_CEILING = 64 * 1024 * 1024;

/** Signing and checking containers (ASiC-E, XAdES B-LT); the pages are off without it. */
export const SIGNING_CONFIG = Type.Object(
  {
    tsaUrl: refine(
      Type.String({ description: "RFC 3161 time-stamping authority for the SignatureTimeStamp" }),
      httpUrl,
      "must be the http(s) URL of an RFC 3161 time-stamping authority",
    ),
    trustAnchorFiles: Type.Array(FILE, {
      minItems: 1,
      description: "PEM roots that signing certificates, time-stamps and OCSP responses must chain to",
      ...problem("must list at least one root certificate file (PEM)"),
    }),
    level: Type.Union([Type.Literal("LT"), Type.Literal("LTA")], {
      default: "LT",
      description: "LTA adds an archive time-stamp",
      ...problem('must be "LT" or "LTA"'),
    }),
    maxUploadBytes: Type.Integer({
      minimum: 1024,
      maximum: MAX_UPLOAD_CEILING,
      default: 10 * 1024 * 1024,
      description: "largest upload: the files to sign together, or a container to check",
      ...problem(`must be an integer from 1024 to ${MAX_UPLOAD_CEILING}`),
    }),
  },
  { additionalProperties: false, ...problem("must be an object with tsaUrl and trustAnchorFiles") },
);

/**
 * The e-Business Register's services (contract E of issue #14): "My companies", company pages
 * and founding an OÜ. The pages are off without it.
 */
export const BUSINESS_REGISTER_CONFIG = Type.Object(
  {
    /** `applications`: founding (create, sign, register), a person's applications and companies. */
    applicationsService: service("EE/GOV/70000310/ariregister/applications"),
    /** `companies` (names no person): GET /companies/{registryCode} and the name check GET /name-check. */
    companiesService: service("EE/GOV/70000310/ariregister/companies"),
    /** `company-persons`: GET /companies/{registryCode}/persons (the registry card's persons). */
    companyPersonsService: service("EE/GOV/70000310/ariregister/company-persons"),
    /** The state fee of founding an OÜ, paid (simulated) before registration. */
    stateFeeCents: Type.Integer({ minimum: 0, default: 26_500, ...problem("must be a whole number of cents") }),
  },
  { additionalProperties: false, ...problem("must be an object of business register service ids") },
);

/** The e-Residency agency's `applications` service (contract D): applying without a login. */
export const E_RESIDENCY_CONFIG = Type.Object(
  {
    applicationsService: service("EE/GOV/70008747/e-residency/applications"),
    /** At most this many new applications per client address an hour (a public form). */
    applicationsPerAddressPerHour: positive(10),
  },
  { additionalProperties: false, ...problem("must be an object with the e-Residency applications service id") },
);

/**
 * The state inbox (`@riik/inbox`): the person's messages through its `mailbox` service (list,
 * read one, mark read), always for the person logged in. The page is off without it.
 */
export const INBOX_CONFIG = Type.Object(
  {
    /** GET /persons/{EE…}/messages[/{id}], POST /persons/{EE…}/messages/{id}/read. */
    mailboxService: service("EE/GOV/70006317/inbox/mailbox"),
    /** POST /messages: a message from the person logged in (encrypted documents, issue #20). */
    messagesService: service("EE/GOV/70006317/inbox/messages"),
  },
  {
    additionalProperties: false,
    ...problem("must be an object with the inbox's mailboxService and messagesService ids"),
  },
);

/** The Social Insurance Board's `family-benefits` service (issue #13): offers, confirmation, payments. */
export const BENEFITS_CONFIG = Type.Object(
  {
    /** GET /persons/{EE…}/offers, POST /offers/{id}/confirmation, GET /persons/{EE…}/payments. */
    familyBenefitsService: service("EE/GOV/70001975/benefits/family-benefits"),
  },
  { additionalProperties: false, ...problem("must be an object with the Board's familyBenefitsService id") },
);

/** The Tax and Customs Board's `income-tax-returns` service (issue #13): the pre-filled return. */
export const TAX_RETURN_CONFIG = Type.Object(
  {
    /** GET /returns/{year}/{code}, PUT /returns/{year}/{code}/lines/{line}, POST /returns/{year}/{code}/confirmation. */
    returnsService: service("EE/GOV/70000349/emta/income-tax-returns"),
  },
  { additionalProperties: false, ...problem("must be an object with the Board's returnsService id") },
);

/**
 * "My health" (issue #16): the health information system's FHIR R4 service (the patient's
 * documents, visits, prescriptions, closures, declarations of intent, who read them) and the
 * health insurance fund's `insurance` service. The section is off without it.
 */
export const HEALTH_CONFIG = Type.Object(
  {
    /** GET on its resources, POST /Consent, PUT /Consent/{id} (base `/fhir`). */
    fhirService: service("EE/GOV/70009770/tis/fhir"),
    /** GET /persons/{code}/insurance. */
    insuranceService: service("EE/GOV/74000091/ravikindlustus/insurance"),
    /** Closures, declarations and mandates one person may write in an hour (429 PORTAL_RATE_LIMITED), across restarts. */
    writesPerPersonPerHour: positive(60),
  },
  { additionalProperties: false, ...problem("must be an object with fhirService and insuranceService ids") },
);

/**
 * "My property" (issue #15): the land register's `register-parts` service (the register parts a
 * person owns) and the vehicle register's `vehicles` and `driving-licences` services. The page
 * is off without it.
 */
export const PROPERTY_CONFIG = Type.Object(
  {
    /** GET /persons/EE{code}/register-parts. */
    registerPartsService: service("EE/GOV/70000310/kinnistusraamat/register-parts"),
    /** GET /persons/{code}/vehicles. */
    vehiclesService: service("EE/GOV/70001490/vehicles/vehicles"),
    /** GET /persons/{code}/licence. */
    licencesService: service("EE/GOV/70001490/vehicles/driving-licences"),
  },
  {
    additionalProperties: false,
    ...problem("must be an object with registerPartsService, vehiclesService and licencesService ids"),
  },
);

/**
 * Encrypted documents (issue #20): the certificate directory's HTTP lookup, where "Encrypt for
 * a person" finds the recipients' authentication certificates. The pages are off without it.
 */
export const ENCRYPTION_CONFIG = Type.Object(
  {
    directoryUrl: refine(
      Type.String({ description: "the certificate directory's HTTP lookup (GET /certificates?code=…)" }),
      httpUrl,
      "must be the http(s) URL of the certificate directory's lookup",
    ),
    /** Recipients one person may look up in an hour (counted in the portal's store). */
    lookupsPerPersonPerHour: positive(200),
    /** Sends of an encrypted container to inboxes one person may make in an hour (each up to 10 recipients). */
    sendsPerPersonPerHour: positive(20),
  },
  { additionalProperties: false, ...problem("must be an object with directoryUrl") },
);

/** The portal's configuration file (`riik portal serve --config FILE`); see the README. */
export const PORTAL_CONFIG = Type.Object(
  {
    port: Type.Integer({ ...TCP_PORT, default: 8890 }),
    /** The portal's own store (portal.sqlite): what must outlive a restart, e.g. abuse bounds. */
    dataDir: Type.String({ minLength: 1, default: ".", ...problem("must be a directory path") }),
    /** postgres://… for the portal's store instead of SQLite in dataDir (several portals share it). */
    databaseUrl: Type.Optional(
      refine(Type.String(), (text) => /^postgres(ql)?:\/\//.test(text), "must be a postgres:// URL"),
    ),
    host: Type.String({ minLength: 1, default: "127.0.0.1", ...problem("must be a host name or address") }),
    publicOrigin: refine(
      Type.String({ description: "the origin browsers see, as location.origin writes it; the Web eID origin" }),
      (text) => httpUrl(text) && new URL(text).origin === text,
      "must be a bare http(s) origin as location.origin writes it, e.g. https://portal.example",
    ),
    securityServer: Type.Object(
      {
        url: refine(
          Type.String({ description: "the consumer security server's client port: http (allow-listed) or https" }),
          httpUrl,
          "must be an http(s) URL of the security server's client port",
        ),
        /** PEM files, absolute or relative to the configuration file. */
        clientCert: Type.Optional(FILE),
        clientKey: Type.Optional(FILE),
        ca: Type.Optional(FILE),
      },
      {
        additionalProperties: false,
        dependentRequired: { clientCert: ["clientKey"], clientKey: ["clientCert"] },
        ...problem("must be an object with url (and clientCert, clientKey, ca for https)"),
      },
    ),
    /** The portal's own subsystem, the X-Road-Client of register queries. */
    portalClient: { ...SUBSYSTEM, default: "EE/GOV/70006317/portal" },
    /** The subsystem that asks Data Tracker services (`findUsage`). */
    dataTrackerClient: { ...SUBSYSTEM, default: "EE/GOV/70006317/datatracker" },
    populationService: refine(
      Type.String({ default: "EE/GOV/70000562/rr/persons" }),
      parses(parseServiceId),
      "must be a service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE",
    ),
    /** The authentication service's login record (`GET /authentications/{EE…}`); "My logins" when set. */
    authenticationsService: Type.Optional(
      refine(Type.String(), parses(parseServiceId), "must be a service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE"),
    ),
    /** Subsystems whose `datatracker` service answers the Data Tracker usage protocol v2. */
    dataTrackerProviders: Type.Array(SUBSYSTEM, {
      default: ["EE/GOV/70000562/rr"],
      ...problem("must be an array of subsystem ids"),
    }),
    /** The portal's registration at the state's authentication service (OpenID Connect). */
    auth: Type.Object(
      {
        issuer: refine(
          Type.String({
            description: "the provider's issuer URL; discovery at ISSUER/.well-known/openid-configuration",
          }),
          (text) => httpUrl(text) && !new URL(text).search && !new URL(text).hash,
          "must be the http(s) issuer URL of the authentication service",
        ),
        clientId: Type.String({ minLength: 1, maxLength: 64, ...problem("must be the portal's client id") }),
        clientSecret: Type.String({ minLength: 32, ...problem("must be the client secret (riik auth client add)") }),
        scope: refine(
          Type.String({ default: "openid idcard app representee_list" }),
          (text) => text.split(" ").includes("openid"),
          "must be space-separated scopes including openid",
        ),
      },
      { additionalProperties: false, ...problem("must be an object with issuer, clientId and clientSecret") },
    ),
    /** PEM files of the identity-document CAs whose signing certificates may sign in the portal. */
    trustedCaFiles: Type.Array(FILE, {
      minItems: 1,
      ...problem("must list at least one CA certificate file (PEM)"),
    }),
    /** A designated OCSP responder, instead of the certificate's AIA URL. */
    ocspUrl: Type.Optional(refine(Type.String(), URL.canParse, "must be a URL")),
    /** `riik up`'s state.json: the service URLs the operator view reads. */
    stateFile: Type.Optional(FILE),
    /** Bearer token for the operator view; without it the view answers loopback clients only. */
    operatorToken: Type.Optional(Type.String({ minLength: 16, ...problem("must be at least 16 characters") })),
    /** The purpose sent with register queries (X-Road-Issue). */
    purpose: Type.String({ minLength: 1, default: "citizen self-service", ...problem("must be a non-empty string") }),
    /** A session ends after this long without a request. */
    sessionIdleSeconds: positive(900),
    /** How far back "Who used my data" looks. */
    usagePeriodDays: positive(365),
    signing: Type.Optional(SIGNING_CONFIG),
    businessRegister: Type.Optional(BUSINESS_REGISTER_CONFIG),
    eResidency: Type.Optional(E_RESIDENCY_CONFIG),
    inbox: Type.Optional(INBOX_CONFIG),
    benefits: Type.Optional(BENEFITS_CONFIG),
    taxReturn: Type.Optional(TAX_RETURN_CONFIG),
    health: Type.Optional(HEALTH_CONFIG),
    property: Type.Optional(PROPERTY_CONFIG),
    encryption: Type.Optional(ENCRYPTION_CONFIG),
  },
  { additionalProperties: false },
);

/** The configuration as the portal runs with it: defaults filled in, paths absolute. */
export type PortalConfig = Static<typeof PORTAL_CONFIG>;
export type SigningConfig = Static<typeof SIGNING_CONFIG>;
export type BusinessRegisterConfig = Static<typeof BUSINESS_REGISTER_CONFIG>;
export type EResidencyConfig = Static<typeof E_RESIDENCY_CONFIG>;
export type InboxConfig = Static<typeof INBOX_CONFIG>;
export type BenefitsConfig = Static<typeof BENEFITS_CONFIG>;
export type TaxReturnConfig = Static<typeof TAX_RETURN_CONFIG>;
export type HealthConfig = Static<typeof HEALTH_CONFIG>;
export type PropertyConfig = Static<typeof PROPERTY_CONFIG>;
export type EncryptionConfig = Static<typeof ENCRYPTION_CONFIG>;

/** Reads and checks FILE; relative file paths in it are taken relative to FILE's directory. */
export function readPortalConfig(path: string): PortalConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new PortalError("PORTAL_CONFIG", `cannot read the portal configuration ${path}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PortalError("PORTAL_CONFIG", `the portal configuration ${path} is not JSON`, { cause });
  }
  return parsePortalConfig(value, dirname(resolve(path)));
}

/**
 * Checks a configuration value against PORTAL_CONFIG and names every bad field at once
 * (PORTAL_CONFIG with `details.fields`). Defaults are filled in; ids are written in their
 * canonical form; paths are made absolute.
 */
export function parsePortalConfig(value: unknown, baseDir = process.cwd()): PortalConfig {
  const { $comment: _, ...config } = parseConfig(PORTAL_CONFIG, value, (problems) =>
    problems[0]?.field === "$"
      ? new PortalError("PORTAL_CONFIG", "the portal configuration must be a JSON object", {
          details: { fields: ["$"] },
        })
      : new PortalError(
          "PORTAL_CONFIG",
          `the portal configuration has bad fields: ${problems.map((p) => `${p.field} (${p.problem})`).join(", ")}`,
          { details: { fields: problems.map((p) => p.field) } },
        ),
  ) as PortalConfig & { $comment?: unknown };
  const path = (file: string) => (isAbsolute(file) ? file : resolve(baseDir, file));
  const subsystem = (id: string) => formatClientId(parseClientId(id));
  const { url, clientCert, clientKey, ca } = config.securityServer;
  return {
    ...config,
    dataDir: path(config.dataDir),
    securityServer: {
      url: url.replace(/\/+$/, ""),
      ...(clientCert === undefined ? {} : { clientCert: path(clientCert) }),
      ...(clientKey === undefined ? {} : { clientKey: path(clientKey) }),
      ...(ca === undefined ? {} : { ca: path(ca) }),
    },
    portalClient: subsystem(config.portalClient),
    dataTrackerClient: subsystem(config.dataTrackerClient),
    dataTrackerProviders: config.dataTrackerProviders.map(subsystem),
    trustedCaFiles: config.trustedCaFiles.map(path),
    ...(config.stateFile === undefined ? {} : { stateFile: path(config.stateFile) }),
    ...(config.signing === undefined
      ? {}
      : { signing: { ...config.signing, trustAnchorFiles: config.signing.trustAnchorFiles.map(path) } }),
  };
}
