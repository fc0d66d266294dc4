// What the Board reads from the population register for a return: that the person is there (a
// resident: the register holds the persons living in Estonia) and their children (§ 23², for
// the years it was in force). Read over X-Road, outside any transaction; the register names the
// persons it answers about, so each read is in their Data Tracker, with X-Road-Issue saying why.
import { xroadUserId } from "@riik/core";
import { XRoadClientError, type XRoadRestClient } from "@riik/kit";
import { type Static, type TSchema, Type } from "typebox";
import { TaxBoardError } from "../errors.ts";

export interface Resident {
  personalCode: string;
  birthDate: string;
  children: Array<{ personalCode: string; birthDate: string }>;
}

/** The register as the Board reads it; null when it has no such person. */
export interface PopulationSource {
  resident(personalCode: string): Promise<Resident | null>;
  /** Whether the register knows the person (payroll lines for unknown persons are held unmatched). */
  exists(personalCode: string): Promise<boolean>;
}

/** Why the Board reads a person (X-Road-Issue; the person sees it in their Data Tracker). */
export const RETURN_PURPOSE = "Eeltäidetud tuludeklaratsioon (tulumaksuseadus § 23-28)";
export const PAYROLL_PURPOSE = "Palgadeklaratsiooni isiku kontroll (TSD lisa 1)";

const PERSON = Type.Object({ personalCode: Type.String(), birthDate: Type.String() });
const FAMILY = Type.Object({
  personalCode: Type.String(),
  children: Type.Array(Type.Object({ personalCode: Type.String(), birthDate: Type.String() })),
});

/** The register's `persons` service through the Board's own security server. */
export class XRoadPopulationSource implements PopulationSource {
  constructor(
    private readonly xroad: XRoadRestClient,
    private readonly service: string,
    /** X-Road-UserId: the Board official accountable for the automated reads. */
    private readonly officialCode: string,
  ) {}

  async #read<S extends TSchema>(path: string, answer: S, issue: string): Promise<Static<S> | null> {
    try {
      return (
        await this.xroad.call({
          service: this.service,
          path,
          answer,
          userId: xroadUserId(this.officialCode),
          issue,
          headers: { "x-road-pdu-purpose": encodeURIComponent(issue) },
        })
      ).body;
    } catch (error) {
      if (error instanceof XRoadClientError && error.code === "XROAD_PROVIDER" && error.details?.status === 404)
        return null;
      throw new TaxBoardError("REGISTER_UNAVAILABLE", "the population register could not be read; try again", {
        cause: error,
      });
    }
  }

  async resident(personalCode: string): Promise<Resident | null> {
    const person = await this.#read(`/persons/${personalCode}`, PERSON, RETURN_PURPOSE);
    if (!person) return null;
    const family = await this.#read(`/persons/${personalCode}/family`, FAMILY, RETURN_PURPOSE);
    return { personalCode, birthDate: person.birthDate, children: family?.children ?? [] };
  }

  async exists(personalCode: string): Promise<boolean> {
    return (await this.#read(`/persons/${personalCode}`, PERSON, PAYROLL_PURPOSE)) !== null;
  }
}
