import { parseConfig, problem } from "@riik/core";
import { type Static, Type } from "typebox";
import { XRoadError } from "../errors.ts";

/**
 * How the security server speaks to information systems where X-Road releases differ: the
 * `wire` object of the security server's configuration file (ss.json), every field
 * defaulted, so a file without it keeps X-Road 7.7's behaviour.
 */
export const WireSettingsSchema = Type.Object(
  {
    /**
     * The spelling of error types in `X-Road-Error` and the error body (PR-REST 4.6):
     * "7.7" `Server.ServerProxy.AccessDenied`, "7.8" `server.serverproxy.access_denied`.
     */
    errorTypes: Type.Union([Type.Literal("7.7"), Type.Literal("7.8")], {
      default: "7.7",
      ...problem('must be "7.7" or "7.8"'),
    }),
  },
  { additionalProperties: false },
);
export type WireSettings = Static<typeof WireSettingsSchema>;

/** The `wire` settings of a read ss.json (absent: the defaults); a bad field is XROAD_CONFIG, naming it. */
export function readWireSettings(config: object): WireSettings {
  const wire = (config as { wire?: unknown }).wire ?? {};
  return parseConfig(
    WireSettingsSchema,
    wire,
    (problems) =>
      new XRoadError(
        "XROAD_CONFIG",
        `ss.json: ${problems.map((p) => `wire${p.field === "$" ? "" : `.${p.field}`} ${p.problem}`).join("; ")}`,
      ),
  );
}
