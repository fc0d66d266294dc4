import { RiikError } from "../errors.ts";

/**
 * X-Road identifiers (PR-MESS 1.3, PR-REST 4.1 and 4.8).
 *
 *   client   INSTANCE/CLASS/MEMBER[/SUBSYSTEM]
 *   service  INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION]
 *
 * Each part is percent-encoded on its own (PR-REST 4.2), so "/" separates parts only.
 * In a REST URL the service id is always five parts: the security server cannot tell
 * a subsystem from a path segment otherwise, which is how X-Road itself parses it.
 */
export type XRoadIdentifierErrorCode = "XROAD_ID_FORMAT" | "XROAD_ID_CHARACTERS" | "XROAD_ID_ENCODING";

export class XRoadIdentifierError extends RiikError<XRoadIdentifierErrorCode> {}

export interface ClientId {
  readonly instance: string;
  readonly memberClass: string;
  readonly memberCode: string;
  readonly subsystemCode?: string;
}

export interface ServiceId extends ClientId {
  readonly subsystemCode: string;
  readonly serviceCode: string;
  readonly serviceVersion?: string;
}

/** PR-REST 4.8: letters, digits and the symbols '()+,-.=? only. */
const IDENTIFIER_PART = /^[A-Za-z0-9'()+,\-.=?]+$/;
const MAX_PART_LENGTH = 255;

function checkPart(name: string, value: string): string {
  if (value.length === 0) {
    throw new XRoadIdentifierError("XROAD_ID_FORMAT", `${name} is empty`);
  }
  if (value.length > MAX_PART_LENGTH || !IDENTIFIER_PART.test(value)) {
    throw new XRoadIdentifierError(
      "XROAD_ID_CHARACTERS",
      `${name} ${JSON.stringify(value.slice(0, 64))} may contain only letters, digits and '()+,-.=? (PR-REST 4.8), at most ${MAX_PART_LENGTH} characters`,
    );
  }
  return value;
}

function decodePart(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (cause) {
    throw new XRoadIdentifierError("XROAD_ID_ENCODING", `${name} is not valid percent-encoded UTF-8`, {
      cause,
    });
  }
}

const CLIENT_PARTS = ["instance", "memberClass", "memberCode", "subsystemCode"] as const;

function splitParts(text: string, what: string, min: number, max: number): string[] {
  const parts = text.split("/");
  if (parts.length < min || parts.length > max) {
    throw new XRoadIdentifierError(
      "XROAD_ID_FORMAT",
      `${what} must have ${min === max ? min : `${min}-${max}`} parts separated by "/", got ${parts.length}`,
    );
  }
  return parts;
}

/** Parses `X-Road-Client` (percent-encoded parts). */
export function parseClientId(text: string): ClientId {
  const parts = splitParts(text, "a client id (INSTANCE/CLASS/MEMBER[/SUBSYSTEM])", 3, 4);
  const [instance, memberClass, memberCode, subsystemCode] = parts.map((raw, i) => {
    const name = CLIENT_PARTS[i] as string;
    return checkPart(name, decodePart(name, raw));
  }) as [string, string, string, string | undefined];
  return Object.freeze(
    subsystemCode === undefined
      ? { instance, memberClass, memberCode }
      : { instance, memberClass, memberCode, subsystemCode },
  );
}

/** Parses a service id (`I/C/M/S/SERVICE[/VERSION]`, percent-encoded parts). */
export function parseServiceId(text: string): ServiceId {
  const parts = splitParts(text, "a service id (INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION])", 5, 6);
  const names = [...CLIENT_PARTS, "serviceCode", "serviceVersion"];
  const [instance, memberClass, memberCode, subsystemCode, serviceCode, serviceVersion] = parts.map((raw, i) => {
    const name = names[i] as string;
    return checkPart(name, decodePart(name, raw));
  }) as [string, string, string, string, string, string | undefined];
  const id = { instance, memberClass, memberCode, subsystemCode, serviceCode };
  return Object.freeze(serviceVersion === undefined ? id : { ...id, serviceVersion });
}

/**
 * Splits a REST request path after `/r1/` into the service id (five parts) and the
 * provider path with its query (PR-REST 4.1).
 */
export function parseRestServicePath(pathAfterVersion: string): { service: ServiceId; path: string } {
  const queryAt = pathAfterVersion.indexOf("?");
  const pathOnly = queryAt === -1 ? pathAfterVersion : pathAfterVersion.slice(0, queryAt);
  const query = queryAt === -1 ? "" : pathAfterVersion.slice(queryAt);
  const segments = pathOnly.split("/");
  if (segments.length < 5) {
    throw new XRoadIdentifierError(
      "XROAD_ID_FORMAT",
      "the request path must be /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path][?query]",
    );
  }
  const service = parseServiceId(segments.slice(0, 5).join("/"));
  const rest = segments.slice(5).join("/");
  return { service, path: `/${rest}${query}` };
}

function encodeParts(parts: ReadonlyArray<string | undefined>): string {
  return parts
    .filter((part): part is string => part !== undefined)
    .map((part) => encodeURIComponent(part))
    .join("/");
}

export function formatClientId(id: ClientId): string {
  return encodeParts([id.instance, id.memberClass, id.memberCode, id.subsystemCode]);
}

export function formatServiceId(id: ServiceId): string {
  return encodeParts([id.instance, id.memberClass, id.memberCode, id.subsystemCode, id.serviceCode, id.serviceVersion]);
}

/** The member a client or service belongs to (drops subsystem and service). */
export function memberOf(id: ClientId): ClientId {
  return Object.freeze({ instance: id.instance, memberClass: id.memberClass, memberCode: id.memberCode });
}

export function sameClient(a: ClientId, b: ClientId): boolean {
  return formatClientId(a) === formatClientId(b);
}
