export { createLandRegisterService, type LandRegisterServiceOptions, landRegisterOpenApi } from "./api/server.ts";
export { DEED_FILE, type Deed, type MortgageDeed, parseDeed, requiredSigners, type TransferDeed } from "./deed/deed.ts";
export { deedOf, deedSigners } from "./deed/deed-signatures.ts";
export {
  APPLICATIONS_SERVICE_CODE,
  FILE_SERVICE_CODE,
  JOURNAL_SERVICE_CODE,
  LAND_REGISTER_SERVE,
  type LandRegisterServeConfig,
  landRegisterDescriptor,
  REGISTER_PARTS_SERVICE_CODE,
} from "./descriptor.ts";
export { LAND_REGISTER_ERRORS, LandRegisterError, type LandRegisterErrorCode } from "./errors.ts";
export { type EntryAnchor, type EntryRecord, ledgerAnchor, recordBytes } from "./journal/entry-record.ts";
export { type CadastralCode, parseCadastralCode } from "./model/cadastral-code.ts";
export {
  type CadastralUnit,
  type Composition,
  type Encumbrance,
  type Mortgage,
  type Owner,
  type Party,
  PURPOSES,
  type RegisterPartContent,
} from "./model/register-part.ts";
export { parseRegisterPartNumber } from "./model/register-part-number.ts";
export { assertWhole, formatShare, parseShare, type Share } from "./model/share.ts";
export { DEMO_APARTMENT, LAND_REGISTER_SUBSYSTEM, seedDemoApartment } from "./seed/demo.ts";
export { type LandRegisterServer, type LandRegisterServerOptions, startLandRegister } from "./serve.ts";
export {
  type Application,
  type BusinessBanCheck,
  type FiledApplication,
  LandRegister,
  type LandRegisterOptions,
  openLandRegister,
  type RegisterEntry,
  type RegisterPart,
} from "./storage/register.ts";
export { embassyRegistry, LAND_REGISTER_COMPONENT } from "./storage/schema.ts";
