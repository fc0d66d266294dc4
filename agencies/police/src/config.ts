import { readFileSync } from "node:fs";
import { parseClientId, parseConfig, parseServiceId, problem, refine, TCP_PORT } from "@riik/core";
import { type Static, Type } from "typebox";
import { PoliceError } from "./errors.ts";

/** Whether an X-Road identifier parser of core takes TEXT (they throw on anything else). */
const parses = (parse: (text: string) => unknown) => (text: string) => {
  try {
    parse(text);
    return true;
  } catch {
    return false;
  }
};

const SUBSYSTEM_ID = refine(
  Type.String(),
  (text) => parses(parseClientId)(text) && parseClientId(text).subsystemCode !== undefined,
  "must be a subsystem id INSTANCE/CLASS/MEMBER/SUBSYSTEM",
);

/** `riik police serve --config FILE` (police.json): the police information system's settings. */
export const POLICE_CONFIG = Type.Object(
  {
    port: TCP_PORT,
    host: Type.String({ minLength: 1, ...problem("must be an address to listen on") }),
    /** Its own subsystem, the X-Road-Client of every query (EE/GOV/70008747/police-app). */
    client: SUBSYSTEM_ID,
    /** The consumer security server's client port (ss-ppa); plain HTTP from an allowed address. */
    securityServer: Type.Object(
      {
        url: refine(
          Type.String(),
          (text) => URL.canParse(text) && new URL(text).protocol === "http:",
          "must be the http:// URL of the security server's client port",
        ),
      },
      { additionalProperties: false, ...problem("must be an object with url") },
    ),
    /** The population register's service id (EE/GOV/70000562/rr/persons). */
    personsService: refine(
      Type.String(),
      parses(parseServiceId),
      "must be a service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE",
    ),
    /** How long to wait for the exchange; default 10 s. */
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, ...problem("must be a positive integer") })),
    /**
     * The police's own records (criminal records, business bans) live here (SQLite police.sqlite,
     * or PostgreSQL with databaseUrl); with it the police provide background-checks and business-bans.
     */
    dir: Type.Optional(Type.String({ minLength: 1, ...problem("must be the police data directory") })),
    /** PostgreSQL URL (postgres://…); default RIIK_DATABASE_URL, else SQLite in dir. */
    databaseUrl: Type.Optional(Type.String({ minLength: 1, ...problem("must be a postgres:// URL") })),
    /** The EU consolidated financial sanctions list, CSV; default the package's sample (invented names). */
    sanctionsList: Type.Optional(Type.String({ minLength: 1, ...problem("must be the path of a CSV file") })),
    /** Who may call the services (subsystem ids); defaults in descriptor.ts (e-Residency, the business register). */
    consumers: Type.Optional(
      Type.Object(
        {
          backgroundChecks: Type.Optional(Type.Array(SUBSYSTEM_ID, { maxItems: 100 })),
          businessBans: Type.Optional(Type.Array(SUBSYSTEM_ID, { maxItems: 100 })),
        },
        { additionalProperties: false, ...problem("must be an object with backgroundChecks and businessBans lists") },
      ),
    ),
  },
  { additionalProperties: false },
);

export type PoliceConfig = Static<typeof POLICE_CONFIG>;

/**
 * Checks a configuration value against POLICE_CONFIG, naming every bad field at once
 * (POLICE_CONFIG with `details.fields`).
 */
export function parsePoliceConfig(value: unknown): PoliceConfig {
  const { $comment: _, ...config } = parseConfig(POLICE_CONFIG, value, (problems) => {
    const list = problems.map((p) => `${p.field} (${p.problem})`).join(", ");
    return new PoliceError("POLICE_CONFIG", `the police configuration has bad fields: ${list}`, {
      details: { fields: problems.map((p) => p.field) },
    });
  }) as PoliceConfig & { $comment?: unknown };
  return config;
}

export function readPoliceConfig(path: string): PoliceConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new PoliceError("POLICE_CONFIG", `cannot read the police configuration ${path}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PoliceError("POLICE_CONFIG", `the police configuration ${path} is not JSON`, { cause });
  }
  return parsePoliceConfig(value);
}
