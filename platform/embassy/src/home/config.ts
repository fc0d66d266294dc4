import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { type ConfigProblem, parseConfig, problem, refine, servedFields, TCP_PORT } from "@riik/core";
import { parseVerifierKey, type VerifierKey } from "@riik/ledger";
import { type Static, Type } from "typebox";
import { EmbassyError } from "../errors.ts";
import { REGISTRY_NAME_PATTERN } from "../format/segment.ts";
import type { TlsMaterial } from "../node/server.ts";

export const SHIPPER_CONFIG_FORMAT = "riik-embassy-shipper/v1";

const FILE = Type.String({ minLength: 1, ...problem("must be a file path") });
const DIRECTORY = Type.String({ minLength: 1, ...problem("must be a directory") });
/** As core's storage takes a PostgreSQL schema name. */
const SCHEMA_NAME = Type.String({
  pattern: "^[a-z_][a-z0-9_]{0,62}$",
  ...problem("must be a PostgreSQL schema name (a-z, 0-9, _; not a digit first)"),
});
const positive = (fallback: number) =>
  Type.Integer({ minimum: 1, default: fallback, ...problem("must be a positive integer") });
const urlOf = (protocols: readonly string[]) => (text: string) =>
  URL.canParse(text) && protocols.includes(new URL(text).protocol);

const REGISTRY = Type.Object(
  {
    name: Type.String({
      pattern: REGISTRY_NAME_PATTERN,
      ...problem("must be a registry name (a-z, 0-9, -; a letter first)"),
    }),
    /** Its SQLite directory; on PostgreSQL databaseUrl (and schema) instead. */
    dataDir: Type.Optional(DIRECTORY),
    databaseUrl: servedFields(0).databaseUrl,
    schema: Type.Optional(SCHEMA_NAME),
    /** A module exporting embassyRegistry, for a registry the runner does not know by name. */
    module: Type.Optional(Type.String({ minLength: 1, ...problem("must be a module name or path") })),
  },
  { additionalProperties: false, ...problem("must be an object {name, dataDir or databaseUrl}") },
);

const EMBASSY = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z0-9-]{1,40}$", ...problem("must be 1-40 characters of a-z, 0-9, -") }),
    url: refine(Type.String(), urlOf(["https:"]), "must be the embassy's https:// URL"),
  },
  { additionalProperties: false, ...problem("must be an object {name, url}") },
);

/**
 * The shipper's configuration file, `riik embassy ship --config FILE` (README "Shipper
 * configuration"); paths are relative to the file. `riik up` writes one.
 */
export const SHIPPER_CONFIG = Type.Object(
  {
    format: Type.Literal(SHIPPER_CONFIG_FORMAT, problem(`must be "${SHIPPER_CONFIG_FORMAT}"`)),
    /** Home directory: the shipper's own store (embassy_shipper.sqlite). */
    home: DIRECTORY,
    databaseUrl: servedFields(0).databaseUrl,
    /** PostgreSQL: the shipper store's schema (default riik_embassy_shipper). */
    databaseSchema: Type.Optional(SCHEMA_NAME),
    masterKey: FILE,
    tls: Type.Object(
      { cert: FILE, key: FILE, ca: FILE },
      { additionalProperties: false, ...problem("must be an object {cert, key, ca} of PEM files") },
    ),
    ledger: Type.Object(
      {
        url: refine(Type.String(), urlOf(["http:", "https:"]), "must be the ledger's http(s) URL"),
        /** Its verifier key: the trust anchor of every anchoring. */
        key: FILE,
      },
      { additionalProperties: false, ...problem("must be an object {url, key}") },
    ),
    registries: Type.Array(REGISTRY, { minItems: 1, ...problem("must list at least one registry") }),
    embassies: Type.Array(EMBASSY, problem("must be an array of embassies {name, url}")),
    /** Cut rules: a segment is cut at maxChanges, maxBytes, or when the oldest change is maxDelayMs old. */
    segments: Type.Object(
      { maxChanges: positive(10_000), maxBytes: positive(4 * 1024 * 1024), maxDelayMs: positive(1000) },
      { default: {}, additionalProperties: false, ...problem("must be an object {maxChanges, maxBytes, maxDelayMs}") },
    ),
    snapshots: Type.Object(
      {
        intervalMs: positive(6 * 3600 * 1000),
        everyChanges: positive(1_000_000),
        partBytes: positive(8 * 1024 * 1024),
      },
      {
        default: {},
        additionalProperties: false,
        ...problem("must be an object {intervalMs, everyChanges, partBytes}"),
      },
    ),
    keyRotationDays: positive(30),
    /** /healthz, /metrics and /v1/status; no status server without it. */
    status: Type.Optional(
      Type.Object(
        {
          host: Type.String({ minLength: 1, default: "127.0.0.1", ...problem("must be an address to listen on") }),
          port: TCP_PORT,
        },
        { additionalProperties: false, ...problem("must be an object {host, port}") },
      ),
    ),
    pollMs: positive(200),
    /** PostgreSQL: how long a hole in journal seqs may stay open before it counts as a rolled-back transaction. */
    gapTimeoutMs: positive(30_000),
  },
  { additionalProperties: false },
);

/** The configuration file as checked: defaults filled in, paths as written. */
export type ShipperConfigFile = Static<typeof SHIPPER_CONFIG>;

/** The configuration as the shipper runs with it: paths absolute, the keys and certificates read. */
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
  segments: ShipperConfigFile["segments"];
  snapshots: ShipperConfigFile["snapshots"];
  keyRotationDays: number;
  status: { host: string; port: number } | undefined;
  pollMs: number;
  gapTimeoutMs: number;
}

export function readShipperConfig(path: string): ShipperConfig {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new EmbassyError(
      "EMBASSY_CONFIG",
      `cannot read the shipper configuration ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  return resolveShipperConfig(value, path);
}

/**
 * Checks VALUE (the contents of the file at PATH) against SHIPPER_CONFIG, naming every bad
 * field at once (EMBASSY_CONFIG with `details.fields`), and reads what it points to.
 */
export function resolveShipperConfig(value: unknown, path: string): ShipperConfig {
  const fail = (problems: ConfigProblem[]) =>
    new EmbassyError(
      "EMBASSY_CONFIG",
      `${path}: bad fields: ${problems.map((p) => `${p.field} (${p.problem})`).join(", ")}`,
      { details: { fields: problems.map((p) => p.field) } },
    );
  const raw = parseConfig(SHIPPER_CONFIG, value, fail);
  // What JSON Schema's object walk cannot say: a registry is read from a directory or a database.
  const sourceless = raw.registries.flatMap((r, i) =>
    r.dataDir === undefined && r.databaseUrl === undefined
      ? [{ field: `registries[${i}].dataDir`, problem: "or databaseUrl is required" }]
      : [],
  );
  if (sourceless.length > 0) throw fail(sourceless);
  const base = dirname(resolve(path));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const read = (p: string, what: string) => {
    try {
      return readFileSync(at(p), "utf8");
    } catch (cause) {
      throw new EmbassyError("EMBASSY_CONFIG", `${path}: cannot read ${what} ${at(p)}`, { cause });
    }
  };
  const ledgerKey = (() => {
    try {
      return parseVerifierKey(read(raw.ledger.key, "ledger.key").trim());
    } catch (cause) {
      if (cause instanceof EmbassyError) throw cause;
      throw new EmbassyError("EMBASSY_CONFIG", `${path}: ledger.key ${at(raw.ledger.key)} is not a verifier key`, {
        cause,
      });
    }
  })();
  return {
    path: resolve(path),
    home: at(raw.home),
    databaseUrl: raw.databaseUrl,
    databaseSchema: raw.databaseSchema,
    masterKeyFile: at(raw.masterKey),
    tls: { cert: read(raw.tls.cert, "tls.cert"), key: read(raw.tls.key, "tls.key"), ca: read(raw.tls.ca, "tls.ca") },
    ledgerUrl: raw.ledger.url,
    ledgerKey,
    registries: raw.registries.map((r) => ({
      name: r.name,
      dataDir: at(r.dataDir ?? "."),
      ...(r.databaseUrl ? { databaseUrl: r.databaseUrl } : {}),
      ...(r.schema ? { schema: r.schema } : {}),
      ...(r.module ? { module: r.module.startsWith(".") ? at(r.module) : r.module } : {}),
    })),
    embassies: raw.embassies,
    segments: raw.segments,
    snapshots: raw.snapshots,
    keyRotationDays: raw.keyRotationDays,
    status: raw.status,
    pollMs: raw.pollMs,
    gapTimeoutMs: raw.gapTimeoutMs,
  };
}
