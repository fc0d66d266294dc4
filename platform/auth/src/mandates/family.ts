import { isValidPersonalCode, parsePersonalCode, xroadUserId } from "@riik/core";
import { XRoadClientError, type XRoadRestClient } from "@riik/kit";
import { Type } from "typebox";
import { MandateError } from "./errors.ts";
import { isMinor } from "./minor.ts";
import type { RepresentationSource, RightToRepresent } from "./source.ts";

/** The role of a parent acting for their minor child (population register, `RR` namespace). */
export const PARENT_ROLE = "RR:PARENT";

/** Why the auth service reads family relations (X-Road-Issue and PR-PDU-REST purpose). */
export const FAMILY_PURPOSE = "Esindusõiguse kontroll (vanem alaealise lapse eest)";

const PERSON_REF = Type.Object({
  personalCode: Type.String(),
  givenName: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  surname: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

/** The register's answer to `GET /persons/{code}/family` (population-register README), the part read here. */
const FAMILY = Type.Object({
  personalCode: Type.String(),
  children: Type.Array(PERSON_REF),
});

export interface PopulationFamilyOptions {
  /** The X-Road REST client of the auth service's own subsystem (its security server). */
  xroad: XRoadRestClient;
  /** The register's persons service, INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
  personsService: string;
}

/**
 * Parents act for their minor children: the children come from the population register's
 * family relations, read over X-Road as the parent (X-Road-UserId, so the read shows in the
 * parent's Data Tracker); a child is a minor until the day they turn 18, by the birth date
 * in their personal code. A person the register does not know (404 PERSON_NOT_FOUND: an
 * e-resident) has no children there; any other failure is MANDATE_SOURCE_UNAVAILABLE.
 */
export class PopulationFamilySource implements RepresentationSource {
  readonly name = "population-register";
  readonly #options: PopulationFamilyOptions;

  constructor(options: PopulationFamilyOptions) {
    this.#options = options;
  }

  async rightsOf(subject: string, at: Date): Promise<RightToRepresent[]> {
    if (!subject.startsWith("EE") || !isValidPersonalCode(subject.slice(2))) return [];
    const code = parsePersonalCode(subject).code;
    let children: ReadonlyArray<{ personalCode: string; givenName?: string | null; surname?: string | null }>;
    try {
      const answer = await this.#options.xroad.call({
        service: this.#options.personsService,
        path: `/persons/${code}/family`,
        answer: FAMILY,
        userId: xroadUserId(code),
        issue: FAMILY_PURPOSE,
        headers: { "x-road-pdu-purpose": encodeURIComponent(FAMILY_PURPOSE) },
      });
      children = answer.body.children;
    } catch (error) {
      if (error instanceof XRoadClientError && error.details?.providerCode === "PERSON_NOT_FOUND") return [];
      throw new MandateError("MANDATE_SOURCE_UNAVAILABLE", "the population register could not be asked", {
        cause: error,
        details: { source: this.name },
      });
    }
    return children
      .filter((child) => isValidPersonalCode(child.personalCode) && isMinor(child.personalCode, at))
      .map((child) => ({
        representee: {
          type: "NATURAL_PERSON" as const,
          sub: `EE${child.personalCode}`,
          ...(child.givenName ? { given_name: child.givenName } : {}),
          ...(child.surname ? { family_name: child.surname } : {}),
        },
        role: PARENT_ROLE,
        source: this.name,
      }));
  }
}
