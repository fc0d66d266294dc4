import type { Static, TSchema } from "typebox";
import { parseConfig } from "./config.ts";

// One descriptor per component (issue 11): what `riik up` and the component's own CLI verb
// both read, so the command line, the ports and the exchange registration cannot drift.

/** How the CLI reads an option's text (and `riik up` writes it). */
export type OptionKind = "text" | "port" | "count" | "list";

/** One option of a component's serve command, set from one field of its configuration. */
export interface CommandOption<Config> {
  flag: `--${string}`;
  field: keyof Config & string;
  description: string;
  /** `port` and `count` are integers; a `list` option is repeated once per element. */
  kind?: OptionKind;
  /** Other spellings the CLI still accepts (what an older release called it). */
  aliases?: readonly `--${string}`[];
}

/** The options of `servedFields`, spelt the same for every component. */
export const SERVED_OPTIONS = [
  { flag: "--port", field: "port", kind: "port", description: "TCP port" },
  { flag: "--host", field: "host", description: "address to listen on" },
  {
    flag: "--db",
    field: "databaseUrl",
    description: "PostgreSQL URL (postgres://…); default RIIK_DATABASE_URL, else SQLite in the directory",
  },
] as const satisfies readonly CommandOption<{ port?: number; host?: string; databaseUrl?: string }>[];

/** A service a component provides on its subsystem, as its security server publishes it. */
export interface ProvidedService {
  subsystem: string;
  code: string;
  /** Where the security server forwards requests to. */
  url: string;
  /** A personal-data service: the provider's security server records a Data Tracker use per person. */
  personalData?: boolean;
  /** Its OpenAPI description, for the X-Road REST metadata services. */
  openapi?: () => Promise<unknown>;
}

/** An access right a component's subsystem needs on another's service. */
export interface AccessRight {
  subject: string;
  service: string;
  method: string;
  paths: readonly string[];
}

/** How a component takes part in the exchange layer (X-Road identifiers, INSTANCE/CLASS/MEMBER/…). */
export interface ExchangeRegistration {
  /** Subsystems it acts as, with what each does; each a client of its security server. */
  subsystems: readonly { id: string; description: string }[];
  services?: readonly ProvidedService[];
  /** Rights it needs on other components' services. */
  access?: readonly AccessRight[];
  /** A subsystem of it that reads the Data Tracker uses at these providers (usage protocol v2 findUsage). */
  readsDataTracker?: { reader: string; providers: readonly string[] };
  /** A subsystem of it that may hide its uses at these providers for a while (police investigations). */
  hidesUses?: { consumer: string; providers: readonly string[] };
}

/**
 * A component of the state: its configuration (a TypeBox schema, checked, never hand-parsed),
 * the riik command that serves it, the ports it listens on, what must be running before it,
 * and how it registers with the exchange layer.
 */
export interface ComponentDescriptor<Schema extends TSchema = TSchema> {
  /** Its name in `riik up`, the state file and the logs. */
  name: string;
  description: string;
  config: Schema;
  /** `riik <command…>` serves it, e.g. ["ledger", "serve"]. */
  command: readonly string[];
  /**
   * The serve command's options, each from a config field; a component configured by a file
   * instead has `configFile` and is started with `--config FILE`.
   */
  options: readonly CommandOption<Static<Schema>>[];
  configFile?: boolean;
  ports(config: Static<Schema>): Record<string, number>;
  /** Components that must answer before this one starts. */
  dependsOn: readonly string[];
  /**
   * Its part in the exchange layer; `at` is where the deployment puts it (its subsystem and
   * the URL its security server reaches it at), the services and rights are its own.
   */
  exchange?(config: Static<Schema>, at: { subsystem: string; url: string }): ExchangeRegistration;
}

/** The config type of a descriptor. */
export type ConfigOf<D> = D extends ComponentDescriptor<infer S> ? Static<S> : never;

/**
 * The command line that serves CONFIG (`riik` left out): what `riik up` runs, and what the
 * CLI verb parses back with the same options. CONFIG is checked first; fields left out
 * (their defaults) stay out of the command line.
 */
export function commandLine<S extends TSchema>(
  descriptor: ComponentDescriptor<S>,
  config: Partial<Static<S>>,
  configFile?: string,
): string[] {
  if (descriptor.configFile) {
    if (configFile === undefined) throw new TypeError(`${descriptor.name} is configured by a file; name it`);
    return [...descriptor.command, "--config", configFile];
  }
  parseConfig(descriptor.config, config, (problems) => {
    const list = problems.map((p) => `${p.field} ${p.problem}`).join(", ");
    return new TypeError(`${descriptor.name}: a command line for a bad config (${list})`);
  });
  const args = [...descriptor.command];
  for (const option of descriptor.options) {
    const value = (config as Record<string, unknown>)[option.field];
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) args.push(option.flag, String(item));
  }
  return args;
}
