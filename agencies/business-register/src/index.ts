export {
  type BusinessRegisterServer,
  type BusinessRegisterServerOptions,
  businessRegisterOpenApi,
  createBusinessRegisterService,
  startBusinessRegister,
} from "./api/server.ts";
export { BUSINESS_REGISTER_ERRORS, BusinessRegisterError, type BusinessRegisterErrorCode } from "./errors.ts";
export {
  APPLICATION,
  APPLICATION_FILE,
  type Application,
  applicationDocument,
  checkApplication,
} from "./founding/application.ts";
export {
  actorOf,
  CHECK_PURPOSE,
  type FoundingChecks,
  NO_EXTERNAL_CHECKS,
  XRoadFoundingChecks,
  type XRoadFoundingChecksOptions,
} from "./founding/checks.ts";
export { founderSignatures } from "./founding/founder-signature.ts";
export { checkCompanyName, LEGAL_FORMS, type LegalForm, nameKey, similarKeys } from "./model/company-name.ts";
export { OPEN_DATA_SETS, type OpenDataSet, openData, toCsv } from "./open-data.ts";
export {
  type DemoBoardMember,
  type MemberCompany,
  seedDemoCompanies,
  seedDemoCompaniesIn,
} from "./seed/demo-companies.ts";
export {
  type AnnualReport,
  BusinessRegister,
  type BusinessRegisterLocation,
  type BusinessRegisterOptions,
  type Company,
  openBusinessRegister,
  type RelatedPerson,
  type RepresentationRight,
  type WriteContext,
} from "./storage/register.ts";
export {
  BUSINESS_REGISTER_COMPONENT,
  type BusinessRegisterDb,
  businessRegisterMigrations,
  embassyRegistry,
} from "./storage/schema.ts";
