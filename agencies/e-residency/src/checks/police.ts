// The background check over X-Road: the police information system's `POST /background-checks`
// (criminal records, business bans and the EU sanctions list), asked through the agency's own
// security server. The applicant has no personal code yet; the agency itself is X-Road-UserId.
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
  check(person: CheckedPerson): Promise<BackgroundCheck>;
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

  async check(person: CheckedPerson): Promise<BackgroundCheck> {
    const { body } = await this.xroad.call({
      service: this.service,
      method: "POST",
      path: "/background-checks",
      body: person,
      answer: BACKGROUND_CHECK_ANSWER,
      issue: "e-Residency application: background check",
      userId: this.#userId,
    });
    return body;
  }
}
