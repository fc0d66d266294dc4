export { StateError, type StateErrorCode } from "./errors.ts";
export { type SeedResult, seedInChildProcess } from "./seed/seed.ts";
export * from "./topology.ts";
export {
  type BootOptions,
  bootState,
  DEFAULT_PERSONS,
  DEFAULT_PORT_BASE,
  type RunningState,
} from "./up/boot.ts";
export { type DemoPerson, loadPopulationRegister, type PopulationRegisterModule } from "./up/components.ts";
export type { DemoCard, InitJournal, OfficialCard } from "./up/journal.ts";
export { ProgressBar } from "./up/progress.ts";
export { readStateFile, type StateFile, securityServerOf } from "./up/state-file.ts";
export {
  restartDelay,
  type ServiceSpec,
  Supervisor,
  type SupervisorClock,
  type SupervisorOptions,
  waitHealthy,
} from "./up/supervisor.ts";
export { type Placement, registerOperatorTokenFile, sandboxTable, stateDirs } from "./up/table.ts";
