import type { Logger } from "pino";
import type { Representee, RepresenteeList, RepresenteeParty } from "./claims.ts";
import type { RepresentationSource, RightToRepresent } from "./source.ts";

/** What each source answered: its rights, or that it could not be asked. */
async function ask(
  sources: readonly RepresentationSource[],
  subject: string,
  at: Date,
  logger: Pick<Logger, "warn"> | undefined,
): Promise<{ rights: RightToRepresent[]; unavailable: string[] }> {
  const answers = await Promise.allSettled(sources.map((source) => source.rightsOf(subject, at)));
  const rights: RightToRepresent[] = [];
  const unavailable: string[] = [];
  answers.forEach((answer, i) => {
    if (answer.status === "fulfilled") rights.push(...answer.value);
    else {
      unavailable.push(sources[i]!.name);
      // The cause names the source and the failure, never the person.
      logger?.warn(
        { err: answer.reason, source: sources[i]!.name },
        "a source of representation rights did not answer",
      );
    }
  });
  return { rights, unavailable };
}

/**
 * The mandates service as the provider asks it (like GovSSO asks Pääsuke): whom a person may
 * act for, from every source at once. It fails soft as GovSSO does: a source that cannot be
 * asked makes the claim SERVICE_NOT_AVAILABLE, never a failed login.
 */
export class Representation {
  readonly #sources: readonly RepresentationSource[];
  readonly #logger: Pick<Logger, "warn"> | undefined;

  constructor(sources: readonly RepresentationSource[], logger?: Pick<Logger, "warn">) {
    this.#sources = sources;
    this.#logger = logger;
  }

  /** GovSSO 4.1 `representee_list`: each party once, in the order the sources name them. */
  async list(subject: string, at = new Date()): Promise<RepresenteeList> {
    const { rights, unavailable } = await ask(this.#sources, subject, at, this.#logger);
    if (unavailable.length > 0) return { status: "SERVICE_NOT_AVAILABLE" };
    const parties = new Map<string, RepresenteeParty>();
    for (const { representee } of rights)
      if (representee.sub !== subject && !parties.has(representee.sub)) parties.set(representee.sub, representee);
    return { status: "REPRESENTEE_LIST_CURRENT", list: [...parties.values()] };
  }

  /**
   * GovSSO 4.2 `representee` for `representee.<sub>`: the party and every role SUBJECT holds
   * for it now. A right found is current even when another source is down; none found is
   * NOT_ALLOWED only when every source answered.
   */
  async representee(subject: string, sub: string, at = new Date()): Promise<Representee> {
    const { rights, unavailable } = await ask(this.#sources, subject, at, this.#logger);
    const held = rights.filter((right) => right.representee.sub === sub);
    if (held.length === 0)
      return unavailable.length > 0
        ? { status: "SERVICE_NOT_AVAILABLE" }
        : { status: "REQUESTED_REPRESENTEE_NOT_ALLOWED" };
    // The first source that names the party gives its fields; later ones fill in what is missing.
    const party: RepresenteeParty = { ...held[0]!.representee };
    for (const right of held)
      for (const [key, value] of Object.entries(right.representee))
        (party as unknown as Record<string, unknown>)[key] ??= value;
    const roles = [...new Set(held.map((right) => right.role))];
    return { status: "REQUESTED_REPRESENTEE_CURRENT", ...party, mandates: roles.map((role) => ({ role })) };
  }
}
