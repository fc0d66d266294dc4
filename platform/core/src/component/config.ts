import { type Static, type TSchema, Type } from "typebox";
import { Value } from "typebox/value";
import { parseClientId, parseServiceId } from "../xroad/identifier.ts";

// A component's configuration is declared once, as a TypeBox schema: it types the config
// (Static), fills the defaults and is checked field by field, every bad field named.

const REFINEMENT = Symbol("riik.refinement");
const PROBLEM = "problem";

/** What a bad field must be, said to the person writing the file (`must be a TCP port, 0-65535`). */
export const problem = (text: string) => ({ [PROBLEM]: text });

/** A check JSON Schema cannot say (an origin, an X-Road id), run once the field's shape holds. */
export function refine<T extends TSchema>(schema: T, check: (value: Static<T>) => boolean, what: string): T {
  return { ...schema, [REFINEMENT]: check, [PROBLEM]: what };
}

export interface ConfigProblem {
  /** `port`, `securityServer.url`, `trustedCaFiles[0]`; `$` for the whole value. */
  field: string;
  problem: string;
}

type Node = TSchema & {
  type?: string;
  properties?: Record<string, TSchema>;
  required?: string[];
  items?: TSchema;
  additionalProperties?: boolean;
  dependentRequired?: Record<string, string[]>;
  [REFINEMENT]?: (value: unknown) => boolean;
  [PROBLEM]?: string;
};

const join = (path: string, key: string | number) =>
  typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;

/**
 * Every bad field of VALUE against SCHEMA, in the schema's order: unknown fields of an
 * object first, then its properties as declared; a field's own problem hides its parts'.
 */
export function configProblems(schema: TSchema, value: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const say = (node: Node, field: string, value: unknown) =>
    problems.push({
      field: field || "$",
      problem: node[PROBLEM] ?? [...Value.Errors(node, value)][0]?.message ?? "is not valid",
    });
  const walk = (node: Node, value: unknown, field: string): void => {
    if (node.type === "object" && node.properties && typeof value === "object" && value && !Array.isArray(value)) {
      const object = value as Record<string, unknown>;
      const start = problems.length;
      if (node.additionalProperties === false)
        for (const key of Object.keys(object))
          if (!(key in node.properties) && key !== "$comment")
            problems.push({ field: join(field, key), problem: "unknown field" });
      for (const [key, child] of Object.entries(node.properties)) {
        if (object[key] === undefined) {
          if (node.required?.includes(key)) say(child as Node, join(field, key), undefined);
        } else walk(child as Node, object[key], join(field, key));
      }
      // A field that needs a companion (clientCert and clientKey): the missing one is bad.
      for (const [key, companions] of Object.entries(node.dependentRequired ?? {}))
        if (object[key] !== undefined)
          for (const companion of companions)
            if (object[companion] === undefined)
              problems.push({ field: join(field, companion), problem: `goes together with ${key}` });
      if (problems.length === start) refined(node, value, field);
      return;
    }
    if (node.type === "array" && node.items && Array.isArray(value)) {
      const { items, ...array } = node;
      const start = problems.length;
      if (!Value.Check({ ...array, items: {} }, value)) say(node, field, value);
      else for (const [i, item] of value.entries()) walk(items as Node, item, join(field, i));
      if (problems.length === start) refined(node, value, field);
      return;
    }
    if (!Value.Check(node, value)) say(node, field, value);
    else refined(node, value, field);
  };
  // A refinement of a whole object or list (fields that must agree) is asked once its parts are valid.
  const refined = (node: Node, value: unknown, field: string) => {
    if (node[REFINEMENT] && !node[REFINEMENT](value)) say(node, field, value);
  };
  walk(schema as Node, value, "");
  return problems;
}

/**
 * A configuration value checked against its schema, defaults filled in (a copy; VALUE is
 * not changed). Throws what `fail` makes of the problems, so each component keeps its
 * own error code.
 */
export function parseConfig<S extends TSchema>(
  schema: S,
  value: unknown,
  fail: (problems: ConfigProblem[]) => Error,
): Static<S> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw fail([{ field: "$", problem: "must be a JSON object" }]);
  const withDefaults = Value.Default(schema, Value.Clone(value));
  const problems = configProblems(schema, withDefaults);
  if (problems.length > 0) throw fail(problems);
  return withDefaults as Static<S>;
}

/**
 * The fields every served component has: a port (its own default), the address, the database.
 * A field with a default is not Optional: the checked config always has it, and input may leave it out.
 */
export const TCP_PORT = Type.Integer({ minimum: 0, maximum: 65535, ...problem("must be a TCP port, 0-65535") });

export const servedFields = (defaultPort: number) => ({
  port: Type.Integer({ ...TCP_PORT, default: defaultPort }),
  host: Type.String({ minLength: 1, default: "127.0.0.1", ...problem("must be an address to listen on") }),
  /** PostgreSQL URL; default RIIK_DATABASE_URL, else SQLite in the component's directory. */
  databaseUrl: Type.Optional(Type.String({ minLength: 1, ...problem("must be a postgres:// URL") })),
});

/** An http(s) URL: a security server's client port, a service's origin. */
export const httpUrlField = () =>
  refine(
    Type.String({ minLength: 1 }),
    (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
    "must be an http(s) URL",
  );

/** An X-Road subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM: the client of a member's calls. */
export const subsystemIdField = () =>
  refine(
    Type.String({ minLength: 1 }),
    (value) => {
      try {
        return parseClientId(value).subsystemCode !== undefined;
      } catch {
        return false;
      }
    },
    "must be INSTANCE/CLASS/MEMBER/SUBSYSTEM",
  );

/** An X-Road service, INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
export const serviceIdField = () =>
  refine(
    Type.String({ minLength: 1 }),
    (value) => {
      try {
        parseServiceId(value);
        return true;
      } catch {
        return false;
      }
    },
    "must be INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE",
  );
