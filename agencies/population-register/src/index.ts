export {
  addressView,
  createPopulationRegisterService,
  DATA_SUBJECTS_HEADER,
  type PopulationRegisterServer,
  type PopulationRegisterServerOptions,
  personView,
  populationRegisterOpenApi,
  startPopulationRegister,
} from "./api/server.ts";
export { POPULATION_REGISTER_ERRORS, PopulationRegisterError, type PopulationRegisterErrorCode } from "./errors.ts";
export { ADDRESS_FIELDS, type AddressInput, assertAddressInput } from "./model/address.ts";
export { type DemoPerson, demoPersons, livingPersonalCodes } from "./seed/demo.ts";
export { COUNTIES, type County, type Municipality, type Settlement } from "./seed/places.ts";
export {
  DEFAULT_REFERENCE_DATE,
  MAX_SEED_PERSONS,
  type SeedOptions,
  type SeedResult,
  seedPopulation,
} from "./seed/seed.ts";
export { applyChange } from "./storage/apply-change.ts";
export { populationRegisterMigrations } from "./storage/migrations.ts";
export {
  type Family,
  openPopulationRegister,
  POPULATION_REGISTER_COMPONENT,
  PopulationRegister,
  type PopulationRegisterLocation,
} from "./storage/register.ts";
export { embassyRegistry } from "./storage/registry-definition.ts";
export type {
  AddressRecord,
  PersonRecord,
  PopulationRegisterDb,
  RelationKind,
  RelationRecord,
} from "./storage/schema.ts";
export { POPULATION_REGISTER_TABLES } from "./storage/schema.ts";
