// Before the fund pays its part of a dispensing, the prescription centre asks the health
// insurance fund over X-Road whether the patient is insured that day (Health Insurance Act § 5;
// the ID card is the insurance card): an uninsured patient pays the full price. The pharmacist
// is X-Road-UserId and the prescription the X-Road-Issue, so the patient's Data Tracker says who
// asked and why. No answer, no dispensing: the pharmacist is told to try again.
import { XRoadClientError, type XRoadRestClient } from "@riik/kit";
import { HealthError } from "../errors.ts";
import { INSURANCE_ANSWER } from "../insurance/insurance-service.ts";

export interface InsuranceCheck {
  /** Whether PATIENT is insured on DAY (YYYY-MM-DD), asked by PHARMACIST for PRESCRIPTION. */
  insured(patient: string, day: string, asked: { pharmacist: string; prescription: string }): Promise<boolean>;
}

export class XRoadInsuranceCheck implements InsuranceCheck {
  constructor(
    private readonly xroad: XRoadRestClient,
    /** The fund's `insurance` service, INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
    private readonly service: string,
  ) {}

  async insured(patient: string, day: string, asked: { pharmacist: string; prescription: string }): Promise<boolean> {
    try {
      const { body } = await this.xroad.call({
        service: this.service,
        path: `/persons/EE${patient}/insurance?on=${day}`,
        answer: INSURANCE_ANSWER,
        userId: `EE${asked.pharmacist}`,
        issue: `dispensing ${asked.prescription}`,
      });
      return body.insured;
    } catch (cause) {
      if (!(cause instanceof XRoadClientError)) throw cause;
      throw new HealthError(
        "INSURANCE_UNAVAILABLE",
        `the health insurance fund did not answer whether the patient is insured (${cause.message}); nothing was dispensed, try again`,
        { cause },
      );
    }
  }
}
