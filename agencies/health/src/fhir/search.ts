// FHIR R4 search (search.html): the parameters a query string may carry, parsed once into a
// query the store runs. Untrusted text: every refusal names the parameter (SEARCH_INVALID with
// its name as the OperationOutcome expression). Property-tested in test/search.property.test.ts.
import { type TSchema, Type } from "typebox";
import { fieldError } from "../errors.ts";
import { type ResourceType, SEARCH_PARAMETERS } from "./resources.ts";

/** search.html#prefix: the prefixes riik supports on dates (ne, sa, eb, ap are not). */
export type DatePrefix = "eq" | "gt" | "lt" | "ge" | "le";
const DATE =
  /^(eq|gt|lt|ge|le)?([0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?)$/;
const REFERENCE = /^(?:([A-Z][A-Za-z]+)\/)?([A-Za-z0-9\-.]{1,64})$/;
export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 100;

export type Filter =
  | { param: string; kind: "token"; system: string | undefined; value: string }
  | { param: string; kind: "reference"; value: string }
  /** `param:identifier=system|value` (search.html#modifiers): the reference's target by its identifier. */
  | { param: string; kind: "reference-identifier"; system: string | undefined; value: string }
  | { param: string; kind: "date"; prefix: DatePrefix; value: string };

export interface SearchQuery {
  type: ResourceType;
  filters: Filter[];
  /** `_include=Type:param`: the reference parameters whose targets join the Bundle. */
  include: string[];
  count: number;
  offset: number;
}

const ONE_OR_MORE = Type.Union([
  Type.String({ maxLength: 256 }),
  Type.Array(Type.String({ maxLength: 256 }), { maxItems: 8 }),
]);

/** The query string schema of a type's search (its parameters, `:identifier` on references, _include, _count, _offset). */
export function searchQuerySchema(type: ResourceType): TSchema {
  const properties: Record<string, TSchema> = {};
  for (const [name, parameter] of Object.entries(SEARCH_PARAMETERS[type])) {
    properties[name] = Type.Optional(ONE_OR_MORE);
    if (parameter.kind === "reference") properties[`${name}:identifier`] = Type.Optional(ONE_OR_MORE);
  }
  return Type.Object(
    {
      ...properties,
      _include: Type.Optional(ONE_OR_MORE),
      _count: Type.Optional(Type.String({ maxLength: 8 })),
      _offset: Type.Optional(Type.String({ maxLength: 12 })),
    },
    { additionalProperties: false },
  );
}

const invalid = (param: string, message: string) => fieldError("SEARCH_INVALID", param, `${param}: ${message}`);

function token(param: string, text: string): { system: string | undefined; value: string } {
  const bar = text.indexOf("|");
  const system = bar < 0 ? undefined : text.slice(0, bar);
  const value = bar < 0 ? text : text.slice(bar + 1);
  if (value === "" || value.includes("|")) throw invalid(param, "must be [system|]code with a code");
  return { system, value };
}

function integer(param: string, text: string | undefined, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < min || Number(text) > max)
    throw invalid(param, `must be an integer from ${min} to ${max}`);
  return Number(text);
}

/** Parses a type's query string (as Fastify hands it over: a value or repeated values per name). */
export function parseSearch(
  type: ResourceType,
  query: Readonly<Record<string, string | string[] | undefined>>,
): SearchQuery {
  const parameters = SEARCH_PARAMETERS[type];
  const filters: Filter[] = [];
  const include: string[] = [];
  let count: string | undefined;
  let offset: string | undefined;
  for (const [name, raw] of Object.entries(query)) {
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    if (name === "_count" || name === "_offset") {
      if (values.length !== 1) throw invalid(name, "may be given once");
      if (name === "_count") count = values[0];
      else offset = values[0];
      continue;
    }
    for (const value of values) {
      if (name === "_include") {
        const [source, param, target, ...rest] = value.split(":");
        const parameter = param === undefined ? undefined : parameters[param];
        if (
          source !== type ||
          !param ||
          parameter?.kind !== "reference" ||
          rest.length > 0 ||
          (target !== undefined && !/^[A-Z][A-Za-z]+$/.test(target))
        )
          throw invalid("_include", `must be ${type}:<reference parameter>`);
        include.push(param);
        continue;
      }
      const [param, modifier, ...more] = name.split(":");
      const parameter = param === undefined ? undefined : parameters[param];
      if (!param || !parameter || more.length > 0) throw invalid(name, `is not a search parameter of ${type}`);
      if (modifier !== undefined) {
        if (modifier !== "identifier" || parameter.kind !== "reference")
          throw invalid(name, "the only modifier supported is :identifier on a reference");
        filters.push({ param, kind: "reference-identifier", ...token(name, value) });
        continue;
      }
      if (parameter.kind === "token") filters.push({ param, kind: "token", ...token(name, value) });
      else if (parameter.kind === "reference") {
        const match = REFERENCE.exec(value);
        if (!match) throw invalid(name, "must be a reference, [Type/]id");
        const target = match[1] ?? defaultTarget(param);
        if (!target) throw invalid(name, "must name the target type, Type/id");
        filters.push({ param, kind: "reference", value: `${target}/${match[2]}` });
      } else {
        const match = DATE.exec(value);
        if (!match) throw invalid(name, "must be [eq|gt|lt|ge|le]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]]");
        filters.push({ param, kind: "date", prefix: (match[1] ?? "eq") as DatePrefix, value: match[2]! });
      }
    }
  }
  return {
    type,
    filters,
    include: [...new Set(include)],
    count: integer("_count", count, 1, MAX_COUNT, DEFAULT_COUNT),
    offset: integer("_offset", offset, 0, 1_000_000, 0),
  };
}

/** The target type a bare id means for a parameter (`patient=123` is Patient/123). */
function defaultTarget(param: string): string | undefined {
  return (
    {
      patient: "Patient",
      subject: "Patient",
      practitioner: "Practitioner",
      organization: "Organization",
      encounter: "Encounter",
      prescription: "MedicationRequest",
      medication: "Medication",
    } as Record<string, string>
  )[param];
}

/**
 * Whether an indexed date matches a date filter at the filter's precision: `eq2026-01` is
 * all of January; `ge`/`gt`/`le`/`lt` compare against the start or end of that range
 * (search.html#date, simplified to ISO text comparison of same-zone values).
 */
export function dateMatches(indexed: string, prefix: DatePrefix, value: string): boolean {
  const starts = indexed.startsWith(value) || value.startsWith(indexed);
  switch (prefix) {
    case "eq":
      return starts;
    case "ge":
      return starts || indexed > value;
    case "gt":
      return !starts && indexed > value;
    case "le":
      return starts || indexed < value;
    case "lt":
      return !starts && indexed < value;
  }
}

/** The query string of a page of the same search (Bundle.link next/self). */
export function pageQuery(
  query: Readonly<Record<string, string | string[] | undefined>>,
  offset: number,
  count: number,
): string {
  const params = new URLSearchParams();
  for (const [name, raw] of Object.entries(query)) {
    if (raw === undefined || name === "_offset" || name === "_count") continue;
    for (const value of Array.isArray(raw) ? raw : [raw]) params.append(name, value);
  }
  params.set("_count", String(count));
  params.set("_offset", String(offset));
  return params.toString();
}
