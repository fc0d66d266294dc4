// The representation claims exactly as GovSSO shapes them (GovSSO Technical Specification:
// Representee, v1.0, section 4): `representee_list` for the scope of that name and
// `representee` for the scope `representee.<sub>`.

export type RepresenteeType = "NATURAL_PERSON" | "LEGAL_PERSON";

/** Whom a person may act for: `sub` is the country prefix and the personal or registry code. */
export interface RepresenteeParty {
  type: RepresenteeType;
  sub: string;
  /** A natural person's names. */
  given_name?: string;
  family_name?: string;
  /** A legal person's official name. */
  name?: string;
}

/**
 * 4.1: `REPRESENTEE_LIST_CURRENT` with `list` (empty when there is nobody), or
 * `SERVICE_NOT_AVAILABLE` without `list` when a source of rights could not be asked.
 */
export type RepresenteeList =
  | { status: "REPRESENTEE_LIST_CURRENT"; list: RepresenteeParty[] }
  | { status: "SERVICE_NOT_AVAILABLE" };

/**
 * 4.2: `REQUESTED_REPRESENTEE_CURRENT` with the party and at least one mandate role;
 * `REQUESTED_REPRESENTEE_NOT_ALLOWED` or `SERVICE_NOT_AVAILABLE` with nothing else.
 */
export type Representee =
  | ({ status: "REQUESTED_REPRESENTEE_CURRENT"; mandates: Array<{ role: string }> } & RepresenteeParty)
  | { status: "REQUESTED_REPRESENTEE_NOT_ALLOWED" }
  | { status: "SERVICE_NOT_AVAILABLE" };
