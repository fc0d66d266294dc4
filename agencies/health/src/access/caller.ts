// Who is asking: the X-Road headers the provider's security server sets (X-Road Message
// Protocol for REST r1 §4.3): X-Road-Client (the calling member's subsystem: a provider, a
// pharmacy, the portal), X-Road-UserId (the person acting, EE + personal code) and
// X-Road-Issue (the purpose). An emergency read is asked for with the HL7 v3 purpose of use
// ETREAT in `X-Riik-Purpose-Of-Use` ("break the glass").
import { isValidPersonalCode, parseClientId } from "@riik/core";

export interface Caller {
  /** The calling member's registry code (X-Road-Client's member code), if the header is a client id. */
  organization: string | undefined;
  /** The person acting (personal code), from X-Road-UserId. */
  person: string | undefined;
  /** X-Road-Issue: why the data is read. */
  purpose: string | undefined;
  emergency: boolean;
}

export const EMERGENCY_HEADER = "x-riik-purpose-of-use";

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The caller from request headers; a malformed header counts as absent (then the rule that needs it refuses). */
export function callerOf(headers: Readonly<Record<string, string | string[] | undefined>>): Caller {
  const client = first(headers["x-road-client"]);
  let organization: string | undefined;
  try {
    organization = client ? parseClientId(client).memberCode : undefined;
  } catch {
    organization = undefined;
  }
  const user = first(headers["x-road-userid"]);
  const person = user && /^EE[0-9]{11}$/.test(user) && isValidPersonalCode(user.slice(2)) ? user.slice(2) : undefined;
  const issue = first(headers["x-road-issue"])?.trim();
  let purpose: string | undefined;
  try {
    purpose = issue ? decodeURIComponent(issue).slice(0, 500) : undefined;
  } catch {
    purpose = issue?.slice(0, 500);
  }
  return {
    organization,
    person,
    purpose: purpose || undefined,
    emergency: first(headers[EMERGENCY_HEADER]) === "ETREAT",
  };
}
