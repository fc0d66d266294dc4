import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseVerifierKey, type VerifierKey } from "@riik/ledger";
import { EmbassyError } from "../errors.ts";
import { isRegistryName } from "../format/segment.ts";
import type { TlsMaterial } from "../node/server.ts";

export const SHIPPER_CONFIG_FORMAT = "riik-embassy-shipper/v1";

/** The shipper's configuration file (README "Shipper configuration"); paths are relative to the file. */
export interface ShipperConfigFile {
  format: typeof SHIPPER_CONFIG_FORMAT;
  /** Home directory: the shipper's own store (embassy_shipper.sqlite). */
  home: string;
  databaseUrl?: string;
  /** PostgreSQL: the shipper store's schema (default riik_embassy_shipper). */
  databaseSchema?: string;
  masterKey: string;
  tls: { cert: string; key: string; ca: string };
  ledger: { url: string; key: string };
  registries: Array<{ name: string; dataDir?: string; databaseUrl?: string; schema?: string; module?: string }>;
  embassies: Array<{ name: string; url: string }>;
  segments?: { maxChanges?: number; maxBytes?: number; maxDelayMs?: number };
  snapshots?: { intervalMs?: number; everyChanges?: number; partBytes?: number };
  keyRotationDays?: number;
  status?: { host?: string; port?: number };
  pollMs?: number;
  /** PostgreSQL: how long a hole in journal seqs may stay open before it counts as a rolled-back transaction. */
  gapTimeoutMs?: number;
}

export interface ShipperConfig {
  path: string;
  home: string;
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  masterKeyFile: string;
  tls: TlsMaterial;
  ledgerUrl: string;
  ledgerKey: VerifierKey;
  registries: Array<{ name: string; dataDir: string; databaseUrl?: string; schema?: string; module?: string }>;
  embassies: Array<{ name: string; url: string }>;
  segments: { maxChanges: number; maxBytes: number; maxDelayMs: number };
  snapshots: { intervalMs: number; everyChanges: number; partBytes: number };
  keyRotationDays: number;
  status: { host: string; port: number } | undefined;
  pollMs: number;
  gapTimeoutMs: number;
}

export function readShipperConfig(path: string): ShipperConfig {
  let raw: ShipperConfigFile;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new EmbassyError(
      "EMBASSY_CONFIG",
      `cannot read the shipper configuration ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  return resolveShipperConfig(raw, path);
}

export function resolveShipperConfig(raw: ShipperConfigFile, path: string): ShipperConfig {
  const base = dirname(resolve(path));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const problems: string[] = [];
  if (raw.format !== SHIPPER_CONFIG_FORMAT) problems.push("format");
  for (const field of ["home", "masterKey"] as const) if (typeof raw[field] !== "string") problems.push(field);
  if (!raw.tls || typeof raw.tls.cert !== "string" || typeof raw.tls.key !== "string" || typeof raw.tls.ca !== "string")
    problems.push("tls");
  if (!raw.ledger || typeof raw.ledger.url !== "string" || typeof raw.ledger.key !== "string") problems.push("ledger");
  if (!Array.isArray(raw.registries) || raw.registries.length === 0) problems.push("registries");
  else
    raw.registries.forEach((r, i) => {
      if (!isRegistryName(r.name)) problems.push(`registries[${i}].name`);
      if (typeof r.dataDir !== "string" && typeof r.databaseUrl !== "string") problems.push(`registries[${i}].dataDir`);
    });
  if (!Array.isArray(raw.embassies)) problems.push("embassies");
  else
    raw.embassies.forEach((e, i) => {
      if (typeof e.name !== "string" || !/^[a-z0-9-]{1,40}$/.test(e.name)) problems.push(`embassies[${i}].name`);
      if (typeof e.url !== "string" || !e.url.startsWith("https://")) problems.push(`embassies[${i}].url`);
    });
  if (problems.length > 0)
    throw new EmbassyError("EMBASSY_CONFIG", `${path}: bad or missing fields: ${problems.join(", ")}`, {
      details: { fields: problems },
    });
  const read = (p: string, what: string) => {
    try {
      return readFileSync(at(p), "utf8");
    } catch (cause) {
      throw new EmbassyError("EMBASSY_CONFIG", `${path}: cannot read ${what} ${at(p)}`, { cause });
    }
  };
  return {
    path: resolve(path),
    home: at(raw.home),
    databaseUrl: raw.databaseUrl,
    databaseSchema: raw.databaseSchema,
    masterKeyFile: at(raw.masterKey),
    tls: { cert: read(raw.tls.cert, "tls.cert"), key: read(raw.tls.key, "tls.key"), ca: read(raw.tls.ca, "tls.ca") },
    ledgerUrl: raw.ledger.url,
    ledgerKey: parseVerifierKey(read(raw.ledger.key, "ledger.key").trim()),
    registries: raw.registries.map((r) => ({
      name: r.name,
      dataDir: at(r.dataDir ?? "."),
      ...(r.databaseUrl ? { databaseUrl: r.databaseUrl } : {}),
      ...(r.schema ? { schema: r.schema } : {}),
      ...(r.module ? { module: r.module.startsWith(".") ? at(r.module) : r.module } : {}),
    })),
    embassies: raw.embassies,
    segments: {
      maxChanges: raw.segments?.maxChanges ?? 10_000,
      maxBytes: raw.segments?.maxBytes ?? 4 * 1024 * 1024,
      maxDelayMs: raw.segments?.maxDelayMs ?? 1000,
    },
    snapshots: {
      intervalMs: raw.snapshots?.intervalMs ?? 6 * 3600 * 1000,
      everyChanges: raw.snapshots?.everyChanges ?? 1_000_000,
      partBytes: raw.snapshots?.partBytes ?? 8 * 1024 * 1024,
    },
    keyRotationDays: raw.keyRotationDays ?? 30,
    status:
      raw.status?.port === undefined ? undefined : { host: raw.status.host ?? "127.0.0.1", port: raw.status.port },
    pollMs: raw.pollMs ?? 200,
    gapTimeoutMs: raw.gapTimeoutMs ?? 30_000,
  };
}
