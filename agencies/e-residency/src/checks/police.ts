// The background check over X-Road: the police information system's `POST /background-checks`
// (criminal records, business bans and the EU sanctions list), asked through the agency's own
// security server. The applicant has no personal code yet; the agency itself is X-Road-UserId.
// Once a code is granted the check is asked again carrying it, so that the police's answer
// names the e-resident and the use stands in their Data Tracker (the first one named nobody).
import { parseClientId, type XRoadRestClient } from "@riik/kit";
import { Type } from "typebox";
import type { BackgroundCheck, CheckedPerson } from "../storage/office.ts";

const FINDING = Type.Object({
  source: Type.Union([Type.Literal("criminal-record"), Type.Literal("sanctions"), Type.Literal("business-ban")]),
  reference: Type.String(),
  reason: Type.String(),
});

/** The part of the police's answer the agency keeps (agencies/police provider.ts). */
const BACKGROUND_CHECK_ANSWER = Type.Object({
  checkedAt: Type.String(),
  result: Type.Union([Type.Literal("clear"), Type.Literal("hit")]),
  findings: Type.Array(FINDING),
});

export interface BackgroundChecks {
  /** ISSUE is X-Road-Issue (default: the first check of an application). */
  check(person: CheckedPerson, issue?: string): Promise<BackgroundCheck>;
}

export class XRoadBackgroundChecks implements BackgroundChecks {
  readonly #userId: string;

  constructor(
    private readonly xroad: XRoadRestClient,
    client: string,
    /** The police's background-checks service, INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
    private readonly service: string,
  ) {
    const id = parseClientId(client);
    this.#userId = `${id.instance}${id.memberCode}`;
  }

  async check(person: CheckedPerson, issue = "e-Residency application: background check"): Promise<BackgroundCheck> {
    const { body, id } = await this.xroad.call({
      service: this.service,
      method: "POST",
      path: "/background-checks",
      body: person,
      answer: BACKGROUND_CHECK_ANSWER,
      issue,
      userId: this.#userId,
    });
    return { ...body, query: id };
  }
}
