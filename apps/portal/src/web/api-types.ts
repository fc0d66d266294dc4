// The JSON the portal's API answers; shared by the server and the browser bundle (types only).
import type { UsageReport } from "../datatracker/usage.ts";
import type { OperatorOverview } from "../operator/overview.ts";
import type { AddressRecord, Exchange, FamilyRecord, PersonRecord } from "../registry/population.ts";
import type { SessionPerson } from "../session/session-store.ts";
import type { FinishResponse, PrepareResponse } from "../signing/signing-service.ts";

export type { FinishResponse, OperatorOverview, PrepareResponse, UsageReport };

export interface SessionInfo {
  authenticated: boolean;
  person?: SessionPerson;
  /** The purpose the portal states for its register queries. */
  purpose: string;
  /** Whether the operator view needs a token from this client. */
  operatorTokenRequired: boolean;
  /** Present when the portal signs and checks containers. */
  signing?: { maxUploadBytes: number };
}

/** POST /api/logout: where the browser goes to end the authentication service's session too. */
export interface LogoutResponse {
  ok: true;
  logoutUrl?: string;
}

export interface MeResponse {
  person: PersonRecord;
  exchange: Exchange;
}

export interface FamilyResponse {
  family: FamilyRecord;
  exchange: Exchange;
}

export interface AddressResponse {
  address: AddressRecord | null;
  exchange: Exchange;
}
