import { RiikError } from "@riik/core";

export type StateErrorCode =
  /** A command-line argument or configuration value is wrong. */
  | "STATE_ARGUMENT"
  /** The data directory cannot be used (another version, another port layout, half-written files). */
  | "STATE_DATA_DIR"
  /** A step of the first start failed; re-running `riik up` redoes it. */
  | "STATE_INIT";

export class StateError extends RiikError<StateErrorCode> {}
