export { type Caller, callerOf, EMERGENCY_HEADER } from "./access/caller.ts";
export { closuresOf, isClosure } from "./access/read-guard.ts";
export { type MandateState, mandateOf } from "./access/representation.ts";
export { type ActiveRole, activeRole, periodCovers, pharmacyLicensed } from "./access/role.ts";
export { FHIR_JSON } from "./api/fhir-routes.ts";
export { createHealthService, healthOpenApi } from "./api/server.ts";
export {
  FHIR_SERVICE_CODE,
  HEALTH_INSURANCE_SERVE,
  HEALTH_SERVE,
  type HealthInsuranceServeConfig,
  type HealthServeConfig,
  healthDescriptor,
  healthInsuranceDescriptor,
  INSURANCE_SERVICE_CODE,
} from "./descriptor.ts";
export {
  type SandboxOrganization,
  type SandboxPerson,
  type SandboxProfessional,
  type SandboxProviders,
  type SandboxProvidersResult,
  seedSandboxProviders,
} from "./directory/sandbox-providers.ts";
export { HEALTH_ERRORS, HealthError, type HealthErrorCode } from "./errors.ts";
export { capabilityStatement } from "./fhir/capability.ts";
export * from "./fhir/identifiers.ts";
export { fhirPath, outcome } from "./fhir/operation-outcome.ts";
export { PATIENT_DATA, RESOURCE_TYPES, type ResourceType, SCHEMAS, SEARCH_PARAMETERS } from "./fhir/resources.ts";
export { dateMatches, parseSearch, type SearchQuery } from "./fhir/search.ts";
export { type HealthSystem, openHealthSystem } from "./health-system.ts";
export {
  INSURANCE_BASES,
  INSURANCE_ERRORS,
  type InsuranceAnswer,
  type InsuranceBasis,
  InsuranceError,
  type InsuranceErrorCode,
  type InsurancePeriod,
  InsuranceRegister,
  openInsuranceRegister,
} from "./insurance/insurance-register.ts";
export { createInsuranceService } from "./insurance/insurance-service.ts";
export { sandboxInsurancePeriod, seedSandboxInsured } from "./insurance/sandbox-insured.ts";
export { PrescriptionCentre } from "./prescriptions/centre.ts";
export { type InsuranceCheck, XRoadInsuranceCheck } from "./prescriptions/insurance-check.ts";
export {
  FIXED_SHARE_CENTS,
  type Medicine,
  REIMBURSEMENT_RATES,
  type ReimbursementRate,
  SAMPLE_MEDICINES,
  sharesOf,
  VALIDITY_DAYS,
} from "./prescriptions/medicines.ts";
export { buyerExtension, kindExtensions, type PrescriptionKind } from "./prescriptions/prescription-type.ts";
export {
  type HealthInsuranceServer,
  type HealthServer,
  type HealthServerOptions,
  startHealth,
  startHealthInsurance,
} from "./serve.ts";
export { ASIC_E, signedDocument, signedFileName } from "./signatures/author-signature.ts";
export { HealthStore, openHealthStore, type StoredRow } from "./storage/health-store.ts";
