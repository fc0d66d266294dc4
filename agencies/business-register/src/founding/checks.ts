// The automatic checks of a founding that other agencies answer (issue 14: persons alive and not
// banned from business, e-residency valid), asked over X-Road through the register's own
// security server with the kit's REST client. Nothing is registered unless every answer came.
import { parseClientId, xroadUserId } from "@riik/core";
import { XRoadClientError, type XRoadRestClient } from "@riik/kit";
import { type TSchema, Type } from "typebox";
import { BusinessRegisterError } from "../errors.ts";

/**
 * The checks a registration (and a board change) needs from other registers. Each throws a
 * BusinessRegisterError: PERSON_UNKNOWN, PERSON_DECEASED, E_RESIDENCY_INVALID, or
 * CHECKS_UNAVAILABLE when a register did not answer (fail closed).
 */
export interface FoundingChecks {
  /**
   * Every person is a living person of the population register, or else a valid e-resident;
   * answers the e-residents among them (they have no Estonian residence).
   */
  personsExist(personalCodes: readonly string[], actor?: string): Promise<string[]>;
  /** The persons (personal codes) banned from business (Commercial Code § 312, court ban), of those given. */
  bannedFromBusiness(personalCodes: readonly string[], actor?: string): Promise<string[]>;
}

/** No other register asked: everyone exists and nobody is banned (tests, and a register run alone). */
export const NO_EXTERNAL_CHECKS: FoundingChecks = { personsExist: async () => [], bannedFromBusiness: async () => [] };

/** X-Road-Issue of every check: why the register asks (the person sees it in their Data Tracker). */
export const CHECK_PURPOSE = "Äriregistri kande kontroll (asutamine, juhatuse muutmine)";

/** The part of the population register's `GET /persons/{code}` read here (contract C: status or deceased). */
const PERSON = Type.Object({
  personalCode: Type.String(),
  status: Type.Optional(Type.String()),
  deceased: Type.Optional(Type.Boolean()),
  dateOfDeath: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});
/** The e-Residency agency's `GET /e-residents/{code}` (contract D), the part read here. */
const E_RESIDENT = Type.Object({
  personalCode: Type.String(),
  status: Type.Union([Type.Literal("valid"), Type.Literal("revoked"), Type.Literal("expired")]),
  validUntil: Type.Optional(Type.String()),
});
/** The police's `GET /business-bans/{code}` (contract B). */
const BUSINESS_BAN = Type.Object({
  personalCode: Type.String(),
  banned: Type.Boolean(),
  until: Type.Optional(Type.String()),
  reference: Type.Optional(Type.String()),
});

export interface XRoadFoundingChecksOptions {
  xroad: XRoadRestClient;
  /** The population register's persons service, INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
  personsService: string;
  /** The e-Residency agency's e-residents service; without it a person not in the population register is unknown. */
  eResidentsService?: string;
  /** The police's business-bans service; without it nobody is checked for a ban. */
  businessBansService?: string;
  /**
   * X-Road-UserId when no person acts (a registration made directly, not for a logged-in
   * person): personal-data services need one. Default: the register's member as
   * INSTANCE + member code (EE70000310), which the person then sees in their Data Tracker.
   */
  systemUserId?: string;
}

const unavailable = (what: string, cause: unknown) =>
  new BusinessRegisterError("CHECKS_UNAVAILABLE", `${what} did not answer; nothing was registered, try again`, {
    cause,
    details: {
      ...(cause instanceof XRoadClientError ? { reason: cause.code, ...cause.details } : {}),
    },
  });

/** A provider's own "no such person" (PR-REST: its 404 and code passed through both security servers). */
const notFound = (error: unknown, code: string) =>
  error instanceof XRoadClientError &&
  error.code === "XROAD_PROVIDER" &&
  error.details?.status === 404 &&
  error.details?.providerCode === code;

export class XRoadFoundingChecks implements FoundingChecks {
  readonly #systemUserId: string;

  constructor(private readonly options: XRoadFoundingChecksOptions & { client: string }) {
    const client = parseClientId(options.client);
    this.#systemUserId = options.systemUserId ?? `${client.instance}${client.memberCode}`;
  }

  async personsExist(personalCodes: readonly string[], actor?: string): Promise<string[]> {
    // One person at a time would make a founding as slow as its longest list; all at once.
    const codes = [...new Set(personalCodes)];
    const kinds = await Promise.all(codes.map((code) => this.#exists(code, actor)));
    return codes.filter((_, i) => kinds[i] === "e-resident");
  }

  async bannedFromBusiness(personalCodes: readonly string[], actor?: string): Promise<string[]> {
    const service = this.options.businessBansService;
    if (!service) return [];
    const answers = await Promise.all(
      [...new Set(personalCodes)].map(async (code) => {
        try {
          const { body } = await this.#ask(service, `/business-bans/${code}`, BUSINESS_BAN, actor);
          return body.banned ? [code] : [];
        } catch (error) {
          throw unavailable("the police's business bans", error);
        }
      }),
    );
    return answers.flat().sort();
  }

  async #exists(code: string, actor: string | undefined): Promise<"resident" | "e-resident"> {
    try {
      const { body } = await this.#ask(this.options.personsService, `/persons/${code}`, PERSON, actor);
      if (body.deceased === true || body.status === "deceased" || (body.dateOfDeath ?? null) !== null)
        throw new BusinessRegisterError("PERSON_DECEASED", `person ${code} is deceased (population register)`, {
          details: { personalCode: code },
        });
      return "resident";
    } catch (error) {
      if (error instanceof BusinessRegisterError) throw error;
      if (!notFound(error, "PERSON_NOT_FOUND")) throw unavailable("the population register", error);
    }
    // Not a resident: an e-resident has an Estonian personal code but no person entry (contract C).
    const service = this.options.eResidentsService;
    if (!service) throw unknown(code);
    try {
      const { body } = await this.#ask(service, `/e-residents/${code}`, E_RESIDENT, actor);
      if (body.status !== "valid")
        throw new BusinessRegisterError("E_RESIDENCY_INVALID", `the e-residency of ${code} is ${body.status}`, {
          details: { personalCode: code, status: body.status },
        });
      return "e-resident";
    } catch (error) {
      if (error instanceof BusinessRegisterError) throw error;
      if (notFound(error, "E_RESIDENT_NOT_FOUND")) throw unknown(code);
      throw unavailable("the e-residency register", error);
    }
  }

  #ask<S extends TSchema>(service: string, path: string, answer: S, actor: string | undefined) {
    return this.options.xroad.call({
      service,
      path,
      answer,
      issue: CHECK_PURPOSE,
      userId: actor ?? this.#systemUserId,
    });
  }
}

const unknown = (code: string) =>
  new BusinessRegisterError("PERSON_UNKNOWN", `${code} is neither in the population register nor a known e-resident`, {
    details: { personalCode: code },
  });

/** X-Road-UserId of a person acting (EE + personal code), or undefined for anything else. */
export function actorOf(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !/^EE[0-9]{11}$/.test(value)) return undefined;
  try {
    return xroadUserId(value.slice(2));
  } catch {
    return undefined;
  }
}
