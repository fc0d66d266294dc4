export {
  type Benefit,
  type BenefitLine,
  type Child,
  childbirthAllowance,
  monthlyEntitlement,
} from "./benefits/entitlement.ts";
export { RULE_SETS, type RuleSet, ruleSetOn } from "./benefits/rule-sets.ts";
export { SocialInsuranceError, type SocialInsuranceErrorCode } from "./errors.ts";
