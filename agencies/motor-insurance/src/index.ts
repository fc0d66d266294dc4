export { createMotorInsuranceService, motorInsuranceOpenApi } from "./api/server.ts";
export { STATEMENT_FILE } from "./case/statement-signature.ts";
export {
  CASE_STEPS,
  type CaseStep,
  ledgerAnchor,
  type TimelineAnchor,
  type TimelineRecord,
} from "./case/timeline.ts";
export {
  ACCIDENT_CASES_SERVICE_CODE,
  INSURANCE_SERVICE_CODE,
  INSURERS_SERVICE_CODE,
  MOTOR_INSURANCE_SERVE,
  type MotorInsuranceServeConfig,
  motorInsuranceDescriptor,
} from "./descriptor.ts";
export { MOTOR_INSURANCE_ERRORS, MotorInsuranceError, type MotorInsuranceErrorCode } from "./errors.ts";
export {
  CIRCUMSTANCES,
  type CommonPart,
  type DriverPart,
  parseStatementDocument,
  type Statement,
  statementDocument,
} from "./model/statement.ts";
export { type InsuredCar, SANDBOX_INSURER, seedDemoInsurance } from "./seed/demo.ts";
export { type MotorInsuranceServer, startMotorInsurance } from "./serve.ts";
export {
  type AccidentCase,
  type CompanyLookup,
  type Insurance,
  type Insurer,
  MotorInsuranceBureau,
  openMotorInsuranceBureau,
  type Policy,
} from "./storage/bureau.ts";
