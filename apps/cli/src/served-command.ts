import { type CommandOption, type ComponentDescriptor, parseConfig } from "@riik/core";
import { type Command, Option } from "commander";
import type { Static, TSchema } from "typebox";
import { parsePort, parsePositiveInteger } from "./options.ts";

// A component's serve verb is made from its descriptor, so `riik up` (which builds the same
// command line with commandLine()) and the person typing it use one set of options.

const collect = (value: string, previous: string[] = []) => [...previous, value];
const PARSERS = { text: undefined, port: parsePort, count: parsePositiveInteger, list: collect } as const;

type Schema = TSchema & { properties?: Record<string, { default?: unknown }>; required?: string[] };

function option<C>(described: CommandOption<C>, flag: string, schema: Schema, hidden: boolean): Option {
  const kind = described.kind ?? "text";
  const placeholder = kind === "port" ? "port" : kind === "count" ? "n" : described.field;
  const made = new Option(`${flag} <${placeholder}>`, described.description);
  const parse = PARSERS[kind];
  if (parse) made.argParser(parse as (value: string, previous: unknown) => unknown);
  const fallback = schema.properties?.[described.field]?.default;
  if (!hidden && fallback !== undefined && !(Array.isArray(fallback) && fallback.length === 0)) made.default(fallback);
  if (!hidden && fallback === undefined && schema.required?.includes(described.field)) made.makeOptionMandatory();
  return hidden ? made.hideHelp() : made;
}

/** `riik … serve` of DESCRIPTOR under PARENT (its last command word), its options from the descriptor. */
export function servedCommand<S extends TSchema>(
  parent: Command,
  descriptor: ComponentDescriptor<S>,
  run: (config: Static<S>) => Promise<void>,
): Command {
  const command = parent.command(descriptor.command.at(-1)!).description(descriptor.description);
  const schema = descriptor.config as Schema;
  for (const described of descriptor.options) {
    command.addOption(option(described, described.flag, schema, false));
    for (const alias of described.aliases ?? []) command.addOption(option(described, alias, schema, true));
  }
  return command.action(async (_options, self: Command) => {
    const given = self.opts();
    const value: Record<string, unknown> = {};
    for (const described of descriptor.options) {
      const names = [described.flag, ...(described.aliases ?? [])].map((flag) =>
        new Option(`${flag} <v>`).attributeName(),
      );
      const found = names
        .map((name) => given[name])
        .find((v) => v !== undefined && !(Array.isArray(v) && v.length === 0));
      if (found !== undefined) value[described.field] = found;
    }
    const config = parseConfig(descriptor.config, value, (problems) => {
      const flagOf = (field: string) =>
        descriptor.options.find((o) => field === o.field || field.startsWith(`${o.field}[`))?.flag ?? field;
      return self.error(`error: ${problems.map((p) => `${flagOf(p.field)} ${p.problem}`).join("; ")}`);
    });
    await run(config);
  });
}
