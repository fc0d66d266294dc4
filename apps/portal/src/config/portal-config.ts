import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { formatClientId, parseClientId, parseServiceId } from "@riik/core";
import { PortalError } from "../errors.ts";

/** The portal's configuration file (`riik portal serve --config FILE`); see the README. */
export interface PortalConfig {
  port: number;
  host: string;
  /** The origin browsers see, as `location.origin` writes it; the Web eID origin. */
  publicOrigin: string;
  securityServer: {
    /** The consumer security server's client port: http://… (allow-listed address) or https://… (TLS client certificate). */
    url: string;
    /** PEM files, absolute or relative to the configuration file. */
    clientCert?: string;
    clientKey?: string;
    ca?: string;
  };
  /** The portal's own subsystem, the X-Road-Client of register queries. */
  portalClient: string;
  /** The subsystem that asks Data Tracker services (`findUsage`). */
  dataTrackerClient: string;
  /** The population register's service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
  populationService: string;
  /** Subsystems whose `datatracker` service answers the Data Tracker usage protocol v2. */
  dataTrackerProviders: string[];
  /** PEM files of the identity-document CAs whose authentication certificates may log in. */
  trustedCaFiles: string[];
  /** A designated OCSP responder, instead of the certificate's AIA URL. */
  ocspUrl?: string;
  /** "required" (default) or "off" (offline sandboxes only). */
  ocsp?: "required" | "off";
  /** `riik up`'s state.json: the service URLs the operator view reads. */
  stateFile?: string;
  /** Bearer token for the operator view; without it the view answers loopback clients only. */
  operatorToken?: string;
  /** The purpose sent with register queries (X-Road-Issue); default "citizen self-service". */
  purpose?: string;
  /** A session ends after this long without a request; default 900 s. */
  sessionIdleSeconds?: number;
  /** How far back "Who used my data" looks; default 365 days. */
  usagePeriodDays?: number;
  /** Signing and checking containers (ASiC-E, XAdES B-LT); the pages are off without it. */
  signing?: SigningConfig;
}

export interface SigningConfig {
  /** RFC 3161 time-stamping authority for the SignatureTimeStamp. */
  tsaUrl: string;
  /** PEM roots that signing certificates, time-stamps and OCSP responses must chain to. */
  trustAnchorFiles: string[];
  /** "LT" (default) or "LTA" (an archive time-stamp as well). */
  level: "LT" | "LTA";
  /** Largest upload: the files to sign together, or a container to check; default 10 MiB. */
  maxUploadBytes: number;
}

const ALLOWED_KEYS = new Set([
  "port",
  "host",
  "publicOrigin",
  "securityServer",
  "portalClient",
  "dataTrackerClient",
  "populationService",
  "dataTrackerProviders",
  "trustedCaFiles",
  "ocspUrl",
  "ocsp",
  "stateFile",
  "operatorToken",
  "purpose",
  "sessionIdleSeconds",
  "usagePeriodDays",
  "signing",
  "$comment",
]);

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
 * Checks a configuration value and collects every bad field before throwing once
 * (PORTAL_CONFIG with `details.fields`). Defaults are filled in; paths are made absolute.
 */
export function parsePortalConfig(value: unknown, baseDir = process.cwd()): PortalConfig {
  const problems: Array<[string, string]> = [];
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new PortalError("PORTAL_CONFIG", "the portal configuration must be a JSON object", {
      details: { fields: ["$"] },
    });
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!ALLOWED_KEYS.has(key)) problems.push([key, "unknown field"]);
  const path = (file: string) => (isAbsolute(file) ? file : resolve(baseDir, file));
  const string = (name: string, optional = false): string | undefined => {
    const v = raw[name];
    if (v === undefined && optional) return undefined;
    if (typeof v !== "string" || v.length === 0) problems.push([name, "must be a non-empty string"]);
    return typeof v === "string" ? v : undefined;
  };
  const clientId = (name: string, fallback: string): string => {
    const v = raw[name] ?? fallback;
    try {
      const id = parseClientId(String(v));
      if (id.subsystemCode === undefined) throw new Error("no subsystem");
      return formatClientId(id);
    } catch {
      problems.push([name, "must be a subsystem id INSTANCE/CLASS/MEMBER/SUBSYSTEM"]);
      return String(v);
    }
  };

  const port = raw.port ?? 8890;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(["port", "must be a TCP port, 0-65535"]);
  const host = raw.host ?? "127.0.0.1";
  if (typeof host !== "string" || host.length === 0) problems.push(["host", "must be a host name or address"]);

  const publicOrigin = string("publicOrigin");
  if (publicOrigin !== undefined) {
    const ok = URL.canParse(publicOrigin) && new URL(publicOrigin).origin === publicOrigin;
    if (!ok || !/^https?:/.test(publicOrigin))
      problems.push([
        "publicOrigin",
        "must be a bare http(s) origin as location.origin writes it, e.g. https://portal.example",
      ]);
  }

  const ss = raw.securityServer as Record<string, unknown> | undefined;
  let securityServer: PortalConfig["securityServer"] = { url: "" };
  if (typeof ss !== "object" || ss === null || Array.isArray(ss)) {
    problems.push(["securityServer", "must be an object with url (and clientCert, clientKey, ca for https)"]);
  } else {
    const url = ss.url;
    if (typeof url !== "string" || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      problems.push(["securityServer.url", "must be an http(s) URL of the security server's client port"]);
    else securityServer = { url: url.replace(/\/+$/, "") };
    for (const key of ["clientCert", "clientKey", "ca"] as const) {
      const file = ss[key];
      if (file === undefined) continue;
      if (typeof file !== "string" || file.length === 0)
        problems.push([`securityServer.${key}`, "must be a file path"]);
      else securityServer[key] = path(file);
    }
    if ((securityServer.clientCert === undefined) !== (securityServer.clientKey === undefined))
      problems.push(["securityServer.clientKey", "clientCert and clientKey go together"]);
    for (const key of Object.keys(ss))
      if (!["url", "clientCert", "clientKey", "ca"].includes(key))
        problems.push([`securityServer.${key}`, "unknown field"]);
  }

  const portalClient = clientId("portalClient", "EE/GOV/70006317/portal");
  const dataTrackerClient = clientId("dataTrackerClient", "EE/GOV/70006317/datatracker");
  const populationService = String(raw.populationService ?? "EE/GOV/70000562/rr/persons");
  try {
    parseServiceId(populationService);
  } catch {
    problems.push(["populationService", "must be a service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE"]);
  }
  const providersRaw = raw.dataTrackerProviders ?? ["EE/GOV/70000562/rr"];
  const dataTrackerProviders: string[] = [];
  if (!Array.isArray(providersRaw)) problems.push(["dataTrackerProviders", "must be an array of subsystem ids"]);
  else
    providersRaw.forEach((provider, i) => {
      try {
        const id = parseClientId(String(provider));
        if (id.subsystemCode === undefined) throw new Error("no subsystem");
        dataTrackerProviders.push(formatClientId(id));
      } catch {
        problems.push([`dataTrackerProviders[${i}]`, "must be a subsystem id INSTANCE/CLASS/MEMBER/SUBSYSTEM"]);
      }
    });

  const trustedCaFiles: string[] = [];
  if (!Array.isArray(raw.trustedCaFiles) || raw.trustedCaFiles.length === 0)
    problems.push(["trustedCaFiles", "must list at least one CA certificate file (PEM)"]);
  else
    raw.trustedCaFiles.forEach((file, i) => {
      if (typeof file !== "string" || file.length === 0) problems.push([`trustedCaFiles[${i}]`, "must be a file path"]);
      else trustedCaFiles.push(path(file));
    });

  const ocspUrl = string("ocspUrl", true);
  if (ocspUrl !== undefined && !URL.canParse(ocspUrl)) problems.push(["ocspUrl", "must be a URL"]);
  const ocsp = raw.ocsp ?? "required";
  if (ocsp !== "required" && ocsp !== "off") problems.push(["ocsp", 'must be "required" or "off"']);
  const stateFile = string("stateFile", true);
  const operatorToken = string("operatorToken", true);
  if (operatorToken !== undefined && operatorToken.length < 16)
    problems.push(["operatorToken", "must be at least 16 characters"]);
  const purpose = string("purpose", true) ?? "citizen self-service";
  const positive = (name: string, fallback: number) => {
    const v = raw[name] ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) problems.push([name, "must be a positive integer"]);
    return Number(v);
  };
  const sessionIdleSeconds = positive("sessionIdleSeconds", 900);
  const usagePeriodDays = positive("usagePeriodDays", 365);
  const signing = signingConfig(raw.signing, path, problems);

  if (problems.length > 0)
    throw new PortalError(
      "PORTAL_CONFIG",
      `the portal configuration has bad fields: ${problems.map(([field, why]) => `${field} (${why})`).join(", ")}`,
      { details: { fields: problems.map(([field]) => field) } },
    );
  return {
    port: port as number,
    host: host as string,
    publicOrigin: publicOrigin as string,
    securityServer,
    portalClient,
    dataTrackerClient,
    populationService,
    dataTrackerProviders,
    trustedCaFiles,
    ...(ocspUrl === undefined ? {} : { ocspUrl }),
    ocsp: ocsp as "required" | "off",
    ...(stateFile === undefined ? {} : { stateFile: path(stateFile) }),
    ...(operatorToken === undefined ? {} : { operatorToken }),
    purpose,
    sessionIdleSeconds,
    usagePeriodDays,
    ...(signing ? { signing } : {}),
  };
}

const MAX_UPLOAD_CEILING = 64 * 1024 * 1024;

function signingConfig(
  value: unknown,
  path: (file: string) => string,
  problems: Array<[string, string]>,
): SigningConfig | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(["signing", "must be an object with tsaUrl and trustAnchorFiles"]);
    return undefined;
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw))
    if (!["tsaUrl", "trustAnchorFiles", "level", "maxUploadBytes"].includes(key))
      problems.push([`signing.${key}`, "unknown field"]);
  const tsaUrl = raw.tsaUrl;
  if (typeof tsaUrl !== "string" || !URL.canParse(tsaUrl) || !/^https?:$/.test(new URL(tsaUrl).protocol))
    problems.push(["signing.tsaUrl", "must be the http(s) URL of an RFC 3161 time-stamping authority"]);
  const trustAnchorFiles: string[] = [];
  if (!Array.isArray(raw.trustAnchorFiles) || raw.trustAnchorFiles.length === 0)
    problems.push(["signing.trustAnchorFiles", "must list at least one root certificate file (PEM)"]);
  else
    raw.trustAnchorFiles.forEach((file, i) => {
      if (typeof file !== "string" || file.length === 0)
        problems.push([`signing.trustAnchorFiles[${i}]`, "must be a file path"]);
      else trustAnchorFiles.push(path(file));
    });
  const level = raw.level ?? "LT";
  if (level !== "LT" && level !== "LTA") problems.push(["signing.level", 'must be "LT" or "LTA"']);
  const maxUploadBytes = raw.maxUploadBytes ?? 10 * 1024 * 1024;
  if (
    typeof maxUploadBytes !== "number" ||
    !Number.isInteger(maxUploadBytes) ||
    maxUploadBytes < 1024 ||
    maxUploadBytes > MAX_UPLOAD_CEILING
  )
    problems.push(["signing.maxUploadBytes", `must be an integer from 1024 to ${MAX_UPLOAD_CEILING}`]);
  return {
    tsaUrl: String(tsaUrl),
    trustAnchorFiles,
    level: level as "LT" | "LTA",
    maxUploadBytes: Number(maxUploadBytes),
  };
}
