// The mandates service (issue 12, "Acting on behalf of others"; like Pääsuke): whom a person
// may act for (parents for their minor children from the population register, explicit
// mandates; companies' board members when the business register lands), served to relying
// parties as GovSSO's `representee_list` and `representee` claims.

import { XRoadRestClient } from "@riik/kit";
import type { Kysely } from "kysely";
import type { ExternalSigningKey } from "oidc-provider";
import type { Logger } from "pino";
import type { AuthTables } from "../storage/migrations.ts";
import { CompanyBoardSource } from "./company-board.ts";
import { ExplicitMandates } from "./explicit-mandates.ts";
import { PopulationFamilySource } from "./family.ts";
import { Representation } from "./representation.ts";
import type { RepresentationSource } from "./source.ts";

export { mandateRoutes } from "./api.ts";
export type { Representee, RepresenteeList, RepresenteeParty, RepresenteeType } from "./claims.ts";
export { MANDATE_ERRORS, MandateError, type MandateErrorCode } from "./errors.ts";
export { ExplicitMandates, type Mandate, type MandateGrant, ROLE_PATTERN } from "./explicit-mandates.ts";
export { FAMILY_PURPOSE, PARENT_ROLE, PopulationFamilySource } from "./family.ts";
export { AGE_OF_MAJORITY, dayOfMajority, estonianDate, isMinor, isMinorOn } from "./minor.ts";
export { Representation } from "./representation.ts";
export { MANDATE_SEAL_TYPE, type SealedMandate, sealMandate } from "./seal.ts";
export type { RepresentationSource, RightToRepresent } from "./source.ts";

/** Where the auth service reads the population register: its own X-Road client subsystem. */
export interface PopulationRegisterAccess {
  /** The client URL of the auth service's security server. */
  securityServer: string;
  /** X-Road-Client: the auth service's subsystem, e.g. EE/GOV/70006317/auth. */
  client: string;
  /** The register's persons service, e.g. EE/GOV/70000562/rr/persons. */
  personsService: string;
  /** The business register's representation-rights service: board members then act for their companies. */
  representationRightsService?: string;
  /** TLS to the security server when its client URL is https (PEM). */
  tls?: { cert?: string | Buffer; key?: string | Buffer; ca?: string | Buffer };
}

export interface MandatesService {
  explicit: ExplicitMandates;
  representation: Representation;
  close(): Promise<void>;
}

/**
 * The mandates service over auth's storage: explicit mandates sealed with the provider's
 * current signing key, and, when the population register is reachable over X-Road, the
 * parents' rights for their minor children. Further sources (the business register) are
 * passed in EXTRA.
 */
export function createMandatesService(options: {
  db: Kysely<AuthTables>;
  issuer: string;
  signingKey: () => Promise<ExternalSigningKey>;
  populationRegister?: PopulationRegisterAccess;
  extra?: readonly RepresentationSource[];
  logger?: Pick<Logger, "warn">;
}): MandatesService {
  const explicit = new ExplicitMandates(options.db, { issuer: options.issuer, signingKey: options.signingKey });
  const access = options.populationRegister;
  const xroad = access
    ? new XRoadRestClient({
        securityServer: access.securityServer,
        client: access.client,
        ...(access.tls ? { tls: access.tls } : {}),
        // A login waits for this: the list fails soft to SERVICE_NOT_AVAILABLE instead.
        timeoutMs: 5_000,
      })
    : undefined;
  const sources: RepresentationSource[] = [
    explicit,
    ...(xroad && access ? [new PopulationFamilySource({ xroad, personsService: access.personsService })] : []),
    ...(xroad && access?.representationRightsService
      ? [new CompanyBoardSource({ xroad, representationRightsService: access.representationRightsService })]
      : []),
    ...(options.extra ?? []),
  ];
  return {
    explicit,
    representation: new Representation(sources, options.logger),
    close: async () => {
      await xroad?.close();
    },
  };
}
