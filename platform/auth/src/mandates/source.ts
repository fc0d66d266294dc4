import type { RepresenteeParty } from "./claims.ts";

/** One right of a person to act for another, and where it comes from. */
export interface RightToRepresent {
  representee: RepresenteeParty;
  /** A role code as Pääsuke names them, `namespace:role` (e.g. `RR:PARENT`, or a granted role). */
  role: string;
  source: string;
}

/**
 * A source of rights to represent (issue 12, "Acting on behalf of others"): the population
 * register's family relations (parents for their minor children), explicit mandates, and
 * later the business register (board members for their companies): a source is added by
 * implementing this and passing it to `Representation`; nothing else changes.
 */
export interface RepresentationSource {
  /** Named in logs and in a refusal. */
  readonly name: string;
  /**
   * The rights SUBJECT (`EE` + personal code) holds at AT. Throws when the source cannot
   * be asked (then the claims say SERVICE_NOT_AVAILABLE, and a login is never failed).
   */
  rightsOf(subject: string, at: Date): Promise<RightToRepresent[]>;
}
