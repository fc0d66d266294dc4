import { isValidPersonalCode, parsePersonalCode, xroadUserId } from "@riik/core";
import type { XRoadRestClient } from "@riik/kit";
import { Type } from "typebox";
import { MandateError } from "./errors.ts";
import type { RepresentationSource, RightToRepresent } from "./source.ts";

/** A board member acting for their company (business register, `AR` namespace as in Pääsuke). */
export const BOARD_ROLE = "AR:BOARD";

/** Why the auth service reads representation rights (X-Road-Issue and PR-PDU-REST purpose). */
export const BOARD_PURPOSE = "Esindusõiguse kontroll (juhatuse liige ettevõtte eest)";

/** The business register's `GET /persons/{code}/representation-rights` (its README), the part read here. */
const RIGHTS = Type.Object({
  personalCode: Type.String(),
  rights: Type.Array(
    Type.Object({
      registryCode: Type.String({ pattern: "^[0-9]{8}$" }),
      companyName: Type.String(),
      scope: Type.String(),
    }),
  ),
});

/**
 * Board members act for their companies: the rights come from the e-Business Register over
 * X-Road, asked as the person (X-Road-UserId), so the read is in their Data Tracker. A company
 * is `EE` + its registry code, a LEGAL_PERSON with its name (GovSSO Representee 4.1). A right
 * to act only jointly with another board member is still a right to represent, named so in
 * the role (`AR:BOARD-JOINT`): the e-service decides what it allows one member alone.
 */
export class CompanyBoardSource implements RepresentationSource {
  readonly name = "business-register";
  readonly #xroad: XRoadRestClient;
  readonly #service: string;

  constructor(options: { xroad: XRoadRestClient; representationRightsService: string }) {
    this.#xroad = options.xroad;
    this.#service = options.representationRightsService;
  }

  async rightsOf(subject: string): Promise<RightToRepresent[]> {
    if (!subject.startsWith("EE") || !isValidPersonalCode(subject.slice(2))) return [];
    const code = parsePersonalCode(subject).code;
    let rights: ReadonlyArray<{ registryCode: string; companyName: string; scope: string }>;
    try {
      const answer = await this.#xroad.call({
        service: this.#service,
        path: `/persons/${code}/representation-rights`,
        answer: RIGHTS,
        userId: xroadUserId(code),
        issue: BOARD_PURPOSE,
        headers: { "x-road-pdu-purpose": encodeURIComponent(BOARD_PURPOSE) },
      });
      rights = answer.body.rights;
    } catch (error) {
      throw new MandateError("MANDATE_SOURCE_UNAVAILABLE", "the business register could not be asked", {
        cause: error,
        details: { source: this.name },
      });
    }
    return rights.map((right) => ({
      representee: { type: "LEGAL_PERSON" as const, sub: `EE${right.registryCode}`, name: right.companyName },
      role: right.scope === "alone" ? BOARD_ROLE : `${BOARD_ROLE}-JOINT`,
      source: this.name,
    }));
  }
}
