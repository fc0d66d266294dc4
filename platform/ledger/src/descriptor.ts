import { type ComponentDescriptor, problem, SERVED_OPTIONS, servedFields } from "@riik/core";
import { Type } from "typebox";

const LEDGER_PORT = 8440;
const WITNESS_PORT = 8441;
const DIR = Type.String({ minLength: 1, ...problem("must be a data directory") });
const atLeast = (minimum: number, fallback: number) =>
  Type.Integer({ minimum, default: fallback, ...problem(`must be an integer of at least ${minimum}`) });
// `--database-url` was the ledger's own spelling; every other component says `--db`.
const [PORT, HOST, DB] = SERVED_OPTIONS;
const DATABASE_URL = { ...DB, aliases: ["--database-url"] } as const;

/** `riik ledger serve`: the aggregator and calendar, signed checkpoints (C2SP tlog-checkpoint). */
export const LEDGER_SERVE = Type.Object(
  {
    dir: DIR,
    ...servedFields(LEDGER_PORT),
    roundMs: atLeast(10, 1000),
    /** Witness submission prefixes (C2SP tlog-witness). */
    witnesses: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    origin: Type.String({ minLength: 1, default: "riik.localhost/ledger" }),
    publicationIntervalMs: atLeast(10, 86_400_000),
  },
  { additionalProperties: false },
);

export const ledgerDescriptor: ComponentDescriptor<typeof LEDGER_SERVE> = {
  name: "ledger",
  description: "run the aggregator and calendar; writes the checkpoint verifier key to DIR/ledger.vkey",
  config: LEDGER_SERVE,
  command: ["ledger", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (keys, SQLite database)" },
    PORT,
    HOST,
    { flag: "--round-ms", field: "roundMs", kind: "count", description: "aggregation round length in milliseconds" },
    {
      flag: "--witness",
      field: "witnesses",
      kind: "list",
      description: "witness submission prefix (C2SP tlog-witness); repeatable",
    },
    { flag: "--origin", field: "origin", description: "checkpoint origin and key name" },
    {
      flag: "--publication-interval-ms",
      field: "publicationIntervalMs",
      kind: "count",
      description: "interval between publications",
    },
    DATABASE_URL,
  ],
  ports: (config) => ({ http: config.port ?? LEDGER_PORT }),
  dependsOn: [],
};

/** `riik ledger witness serve`: cosigns checkpoints of the logs it trusts (C2SP tlog-witness). */
export const WITNESS_SERVE = Type.Object(
  {
    dir: DIR,
    /** Verifier key files of the logs it witnesses. */
    logs: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, ...problem("must name a log's verifier key") }),
    ...servedFields(WITNESS_PORT),
    name: Type.String({ minLength: 1, default: "riik.localhost/witness" }),
  },
  { additionalProperties: false },
);

export const witnessDescriptor: ComponentDescriptor<typeof WITNESS_SERVE> = {
  name: "witness",
  description: "run a witness; writes its cosigner verifier key to DIR/witness.vkey",
  config: WITNESS_SERVE,
  command: ["ledger", "witness", "serve"],
  options: [
    { flag: "--dir", field: "dir", description: "data directory (key, SQLite database)" },
    { flag: "--log", field: "logs", kind: "list", description: "verifier key file of a log to witness; repeatable" },
    PORT,
    HOST,
    { flag: "--name", field: "name", description: "witness key name" },
    DATABASE_URL,
  ],
  ports: (config) => ({ http: config.port ?? WITNESS_PORT }),
  dependsOn: [],
};
