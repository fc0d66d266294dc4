import { RiikError } from "@riik/core";

export type SocialInsuranceErrorCode =
  /** A date, month or child that cannot be what it says. */
  | "BENEFIT_INPUT"
  /** No rule set was in force on that date (before the first one riik knows). */
  | "RULES_NOT_IN_FORCE";

export class SocialInsuranceError extends RiikError<SocialInsuranceErrorCode> {}
