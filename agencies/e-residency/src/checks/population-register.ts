// Is a personal code free? An e-resident's code must not be one a resident already holds, so
// before a code is granted the population register's persons service is asked over X-Road
// (`GET /persons/{code}`: 404 PERSON_NOT_FOUND is free). The official deciding is
// X-Road-UserId: the register's Data Tracker shows the query to whoever holds the code asked about.
import { XRoadClientError, type XRoadRestClient, xroadUserId } from "@riik/kit";
import { Type } from "typebox";
import { EResidencyError } from "../errors.ts";

/** What the agency asks the population register (and what a test puts in its place). */
export interface ResidentCodes {
  /**
   * Whether a resident holds CODE, and the X-Road-Id of the query; POPULATION_REGISTER_UNAVAILABLE
   * when the register does not say (never "free" on doubt).
   */
  held(code: string, asking: { official: string; number: string }): Promise<{ held: boolean; query: string }>;
}

/** The register's person; the agency reads nothing of it but that it exists. */
const ANY_PERSON = Type.Object({});

export class XRoadResidentCodes implements ResidentCodes {
  constructor(
    private readonly xroad: XRoadRestClient,
    /** The population register's persons service, INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
    private readonly service: string,
  ) {}

  async held(code: string, asking: { official: string; number: string }) {
    try {
      const answer = await this.xroad.call({
        service: this.service,
        path: `/persons/${code}`,
        answer: ANY_PERSON,
        userId: xroadUserId(asking.official),
        issue: `e-Residency application ${asking.number}: is personal code ${code} free`,
      });
      return { held: true, query: answer.id };
    } catch (cause) {
      const details = cause instanceof XRoadClientError ? cause.details : undefined;
      // Only the register's own "no such person" is free; a 404 of anything else is not an answer.
      if (
        cause instanceof XRoadClientError &&
        cause.code === "XROAD_PROVIDER" &&
        details?.status === 404 &&
        details.providerCode === "PERSON_NOT_FOUND"
      )
        return { held: false, query: String(details.xroadId) };
      throw new EResidencyError(
        "POPULATION_REGISTER_UNAVAILABLE",
        "the population register did not say whether the personal code is free; nothing was granted, send the decision again later",
        { cause },
      );
    }
  }
}
