export { createEResidencyService, eResidencyOpenApi } from "./api/server.ts";
export { type BackgroundChecks, XRoadBackgroundChecks } from "./checks/police.ts";
export { type ResidentCodes, XRoadResidentCodes } from "./checks/population-register.ts";
export {
  DECISION_DOCUMENT,
  DECISION_FILE,
  type DecisionDocument,
  decisionDocument,
  signDecision,
  verifyDecision,
} from "./decision/decision.ts";
export {
  APPLICATIONS_SERVICE_CODE,
  DECISIONS_SERVICE_CODE,
  E_RESIDENCY_SERVE,
  E_RESIDENTS_SERVICE_CODE,
  type EResidencyServeConfig,
  eResidencyDescriptor,
} from "./descriptor.ts";
export { E_RESIDENCY_ERRORS, EResidencyError, type EResidencyErrorCode } from "./errors.ts";
export {
  type ApplicationForm,
  ageOn,
  PHOTO_MAX_BYTES,
  PICKUP_LOCATIONS,
  photoBytes,
} from "./model/application.ts";
export { FEE_RULES, type Fee, type FeeRule, feeFor } from "./model/fee.ts";
export { assignPersonalCode } from "./model/personal-code.ts";
export {
  cardOrders,
  type EResidencyExchange,
  type EResidencyServer,
  type EResidencyServerOptions,
  runBackgroundChecks,
  runCheckAttributions,
  startEResidency,
} from "./serve.ts";
export {
  type ApplicationStatusView,
  type BackgroundCheck,
  type CardOrders,
  type CheckedPerson,
  EResidencyOffice,
  type EResident,
  HAND_OVER_LEASE_MS,
  type HandOver,
  openEResidencyOffice,
  type StaffApplication,
} from "./storage/office.ts";
