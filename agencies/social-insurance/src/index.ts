export { createSocialInsuranceService } from "./api/server.ts";
export {
  type Benefit,
  type BenefitLine,
  type Child,
  childbirthAllowance,
  monthlyEntitlement,
} from "./benefits/entitlement.ts";
export { RULE_SETS, type RuleSet, ruleSetOn } from "./benefits/rule-sets.ts";
export {
  FAMILY_BENEFITS_SERVICE_CODE,
  SOCIAL_INSURANCE_SERVE,
  type SocialInsuranceServeConfig,
  socialInsuranceDescriptor,
} from "./descriptor.ts";
export { SOCIAL_INSURANCE_ERRORS, SocialInsuranceError, type SocialInsuranceErrorCode } from "./errors.ts";
export { type SocialInsuranceServer, startSocialInsurance } from "./serve.ts";
export {
  type Birth,
  type Offer,
  openSocialInsuranceBoard,
  type Payment,
  SocialInsuranceBoard,
} from "./storage/board.ts";
