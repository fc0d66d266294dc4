import type { Command } from "commander";

type Register = (program: Command) => void;

/**
 * Every top-level `riik` command and the module that registers it. A command's module (and
 * the packages it pulls in: the security server, the signature stack, …) is loaded only when
 * that command runs, so `riik xroad verify-evidence` does not pay for loading `riik up`.
 * Commands sharing a module (`sign`, `verify`) name it twice; loading is once per module.
 */
export const COMMAND_MODULES: Readonly<Record<string, () => Promise<Register>>> = {
  up: async () => (await import("./commands/up.ts")).registerUpCommand,
  pki: async () => (await import("./commands/pki.ts")).registerPkiCommands,
  registry: async () => (await import("./commands/registry.ts")).registerRegistryCommands,
  id: async () => (await import("./commands/id.ts")).registerIdCommands,
  sign: async () => (await import("./commands/sign.ts")).registerSignCommands,
  verify: async () => (await import("./commands/sign.ts")).registerSignCommands,
  ledger: async () => (await import("./commands/ledger.ts")).registerLedgerCommands,
  embassy: async () => (await import("./commands/embassy.ts")).registerEmbassyCommands,
  central: async () => (await import("./commands/central.ts")).registerCentralCommands,
  ss: async () => (await import("./commands/ss.ts")).registerSsCommands,
  xroad: async () => (await import("./commands/xroad.ts")).registerXroadCommands,
  police: async () => (await import("./commands/police.ts")).registerPoliceCommands,
  business: async () => (await import("./commands/business.ts")).registerBusinessCommands,
  portal: async () => (await import("./commands/portal.ts")).registerPortalCommands,
  auth: async () => (await import("./commands/auth.ts")).registerAuthCommands,
  cdoc: async () => (await import("./commands/cdoc.ts")).registerCdocCommands,
  directory: async () => (await import("./commands/directory.ts")).registerDirectoryCommands,
  inbox: async () => (await import("./commands/inbox.ts")).registerInboxCommands,
  mail: async () => (await import("./commands/mail.ts")).registerMailCommands,
  vehicles: async () => (await import("./commands/vehicles.ts")).registerVehiclesCommands,
  "motor-insurance": async () => (await import("./commands/motor-insurance.ts")).registerMotorInsuranceCommands,
  "land-register": async () => (await import("./commands/land-register.ts")).registerLandRegisterCommands,
  health: async () => (await import("./commands/health.ts")).registerHealthCommands,
  "health-insurance": async () => (await import("./commands/health.ts")).registerHealthInsuranceCommands,
  election: async () => (await import("./commands/election.ts")).registerElectionCommands,
  "tax-board": async () => (await import("./commands/tax-board.ts")).registerTaxBoardCommands,
  registrar: async () => (await import("./commands/registrar.ts")).registerRegistrarCommands,
  "social-insurance": async () => (await import("./commands/social-insurance.ts")).registerSocialInsuranceCommands,
  "e-residency": async () => (await import("./commands/e-residency.ts")).registerEResidencyCommands,
};

/** The names of every top-level command, without loading any of them. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMAND_MODULES);
