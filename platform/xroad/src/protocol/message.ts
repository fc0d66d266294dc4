import { createHash } from "node:crypto";
import { type ClientId, parseClientId, parseRestServicePath, type ServiceId } from "@riik/core";
import { type FaultPrefix, XRoadFault } from "../errors.ts";

/**
 * The signed form of a message between security servers (riik's transport; X-Road's own is
 * PR-MESSTRANSP). A request or response is signed over its "head" (request line or status,
 * then every end-to-end header, lowercase names in byte order) followed by the base64
 * SHA-512 of its body, so a signature covers every byte the other side acts on.
 */
export const PROTOCOL = "riik-xroad/1";

/** Headers never passed on or signed: hop-by-hop (RFC 7230 6.1) and PR-REST 4.3 "filtered". */
export const HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "user-agent",
  "server",
  "content-length",
  "expect",
  "date",
]);

/** Transport headers: the signature itself and the signer's certificate. */
export const SIGNATURE_HEADER = "x-riik-signature";
export const SIGNER_HEADER = "x-riik-signer";
export const TIME_HEADER = "x-riik-time";
export const BODY_HASH_HEADER = "x-riik-body-hash";

/** Headers the security servers set themselves; any value a client or provider sends is replaced. */
export const XROAD_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  "x-road-client",
  "x-road-service",
  "x-road-id",
  "x-road-request-id",
  "x-road-request-hash",
  "x-road-error",
]);

/**
 * Every end-to-end header of a message: lowercase name → each value in the order received
 * (Node's `headersDistinct`, undici's repeated headers), never joined, so two `Set-Cookie`
 * lines stay two (RFC 9110 5.3: a recipient may only combine lines of a list-valued field).
 */
export type HeaderLines = Record<string, string[]>;

/** One value per header, repeated ones joined by ", " (RFC 9110 5.3): for reading a header, never for passing one on. */
export type HeaderMap = Record<string, string>;

/** Lowercase names, each value kept, without hop-by-hop or transport signature headers nor the names in `drop`. */
export function endToEndHeaders(
  headers: Record<string, string | string[] | undefined>,
  drop: ReadonlySet<string> = new Set(),
): HeaderLines {
  const out: HeaderLines = {};
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (HOP_HEADERS.has(name) || drop.has(name) || name === SIGNATURE_HEADER || name === SIGNER_HEADER) continue;
    const values = Array.isArray(value) ? value : [String(value)];
    out[name] = [...(out[name] ?? []), ...values];
  }
  return out;
}

/** The folded view of `headers` for reading (the Data Tracker's use headers, the data subjects). */
export function folded(headers: HeaderLines): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, values] of Object.entries(headers)) out[name] = values.join(", ");
  return out;
}

/** The value of a header that must occur once (the transport's own); undefined when absent or repeated. */
export function single(headers: HeaderLines, name: string): string | undefined {
  const values = headers[name];
  return values?.length === 1 ? values[0] : undefined;
}

/** One line per value, names in byte order, a name's values in the order sent: the signature covers each. */
function headerLines(headers: HeaderLines): string {
  return Object.keys(headers)
    .sort()
    .flatMap((name) => headers[name]!.map((value) => `${name}:${value.trim()}\n`))
    .join("");
}

export function requestHead(method: string, target: string, headers: HeaderLines): string {
  return `${PROTOCOL} request\n${method} ${target}\n${headerLines(headers)}\n`;
}

export function responseHead(status: number, headers: HeaderLines): string {
  return `${PROTOCOL} response\n${status}\n${headerLines(headers)}\n`;
}

/** SHA-512 of a body: the proxies hash each body once and use the digest for both hashes below. */
export const bodyDigest = (body: Uint8Array): Buffer => createHash("sha512").update(body).digest();

export const bodyHash = (body: Uint8Array): string => bodyDigest(body).toString("base64");

/** The bytes a security server signs: the head, then the body's hash. */
export const signingInput = (head: string, bodyHashBase64: string): string => `${head}${bodyHashBase64}`;

/**
 * PR-REST 4.3 X-Road-Request-Hash: base64 SHA512(SHA512(headers) + SHA512(body)), or
 * SHA512(headers) when there is no body. "headers" is the signed request head above.
 */
export function requestHash(head: string, body: Uint8Array): string {
  return requestHashOf(head, body.byteLength === 0 ? undefined : bodyDigest(body));
}

/** `requestHash` from the body's SHA-512 digest (undefined: no body). */
export function requestHashOf(head: string, digestOfBody: Buffer | undefined): string {
  if (!digestOfBody) return createHash("sha512").update(head).digest("base64");
  const headDigest = createHash("sha512").update(head).digest();
  return createHash("sha512").update(headDigest).update(digestOfBody).digest("base64");
}

/** What follows the five-part service id in `/r1/{serviceId}[/path][?query]`, exactly as sent (PR-REST 4.1, 4.5). */
export function remainderOf(afterVersion: string): string {
  const queryAt = afterVersion.indexOf("?");
  const pathOnly = queryAt === -1 ? afterVersion : afterVersion.slice(0, queryAt);
  const query = queryAt === -1 ? "" : afterVersion.slice(queryAt);
  const segments = pathOnly.split("/");
  return (segments.length > 5 ? `/${segments.slice(5).join("/")}` : "") + query;
}

/** RFC 3986 §2.3 unreserved characters: percent-encoding them changes nothing (§6.2.2.2). */
const UNRESERVED = /^[A-Za-z0-9._~-]$/;
const badPath = (why: string) => new XRoadFault("Client", "BadRequest", `the service path ${why}`);

/**
 * The one form of a service path that access rights, the Data Tracker and the provider all
 * see: percent-encoded unreserved characters decoded (RFC 3986 §6.2.2.2, so `%2e` is a dot),
 * other escapes in upper case (§6.2.2.1), then remove_dot_segments (§5.2.4). A path that
 * would climb above the service root, an encoded `/` or `\` (a segment boundary the access
 * check would not see), a raw `\` (WHATWG URLs read it as `/`), a malformed escape or a
 * doubly encoded dot or slash is refused rather than guessed at. The query is left as sent.
 */
export function normaliseServicePath(remainder: string): { path: string; query: string } {
  const queryAt = remainder.indexOf("?");
  const raw = queryAt === -1 ? remainder : remainder.slice(0, queryAt);
  const query = queryAt === -1 ? "" : remainder.slice(queryAt);
  if (raw === "") return { path: "", query };
  if (!raw.startsWith("/")) throw badPath("must start with /");
  if (raw.includes("\\")) throw badPath("contains a backslash");
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) throw badPath("contains a malformed percent-encoding");
  const decoded = raw.replace(/%([0-9A-Fa-f]{2})/g, (_escape, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    if (char === "/" || char === "\\") throw badPath("contains an encoded slash or backslash");
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  if (/%25(2E|2F|5C)/i.test(decoded)) throw badPath("contains a doubly encoded dot or slash");
  const segments = decoded.slice(1).split("/");
  const out: string[] = [];
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === "." || segment === "..") {
      if (segment === ".." && out.pop() === undefined) throw badPath("leaves the service root");
      if (last) out.push("");
      return;
    }
    out.push(segment);
  });
  return { path: `/${out.join("/")}`, query };
}

/**
 * PR-REST 4.3: X-Road-Id is any value ("RECOMMENDED to use universally unique identifiers",
 * not required). riik bounds it to 255 characters (the message log's column) and refuses
 * control characters only: the id is echoed in a response header, written to the logs and
 * to the message log, where a control character could forge a line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
export const MESSAGE_ID = /^[^\x00-\x1f\x7f]{1,255}$/;
/** The transport's request id (a UUID the consumer's server makes): printable ASCII. */
const REQUEST_ID = /^[\x21-\x7e]{1,255}$/;
type HeaderValue = string | string[] | undefined;

/** The security server a client targets (PR-REST 4.3 X-Road-Security-Server). */
export interface SecurityServerId {
  instance: string;
  memberClass: string;
  memberCode: string;
  serverCode: string;
}

/** What a request line and its X-Road headers say (PR-REST 4.1, 4.3), before anything is trusted. */
export interface R1Request {
  service: ServiceId;
  client: ClientId;
  /** X-Road-Id as sent; undefined when absent (the consumer's server then makes one). */
  queryId: string | undefined;
  /** X-Road-Security-Server: the provider's server to send the request to; undefined lets the consumer's server choose. */
  server: SecurityServerId | undefined;
}

/**
 * The last value of an X-Road request header: "If multiple X-Road-Client headers are present
 * in the request, the Security Server SHOULD use the last defined header" (PR-REST 4.3);
 * X-Road reads its other request headers the same way.
 */
const lastOf = (headers: Record<string, string[] | undefined>, name: string) => headers[name]?.at(-1);

/** The X-Road-Id a client sent, if usable: the last one, within MESSAGE_ID. */
export function messageIdOf(headers: Record<string, string[] | undefined>): string | undefined {
  const id = lastOf(headers, "x-road-id");
  return id !== undefined && MESSAGE_ID.test(id) ? id : undefined;
}

/**
 * Reads `/r1/{serviceId}[/path][?query]` and the X-Road request headers from Node's
 * `headersDistinct` (every line kept: an X-Road-Client may itself contain a comma, PR-REST
 * 4.8). Anything malformed or missing is `Client.BadRequest` (PR-REST 4.6): the request
 * never got as far as meaning something.
 */
export function parseR1Request(url: string, headers: Record<string, string[] | undefined>): R1Request {
  const rawId = lastOf(headers, "x-road-id");
  if (rawId !== undefined && !MESSAGE_ID.test(rawId))
    throw new XRoadFault(
      "Client",
      "BadRequest",
      "X-Road-Id must be 1-255 characters without control characters (PR-REST 4.3)",
    );
  if (!url.startsWith("/r1/"))
    throw new XRoadFault(
      "Client",
      "BadRequest",
      "the request must be {METHOD} /r1/{serviceId}[/path][?query] (X-Road Message Protocol for REST r1)",
    );
  if (url.length > 8192) throw new XRoadFault("Client", "BadRequest", "the request URI is longer than 8192 characters");
  let service: ServiceId;
  try {
    ({ service } = parseRestServicePath(url.slice(4)));
  } catch (cause) {
    throw new XRoadFault("Client", "BadRequest", `malformed service identifier: ${(cause as Error).message}`, {
      cause,
    });
  }
  const clientHeader = lastOf(headers, "x-road-client");
  if (!clientHeader) throw new XRoadFault("Client", "BadRequest", "the X-Road-Client header is missing (PR-REST 4.3)");
  let client: ClientId;
  try {
    client = parseClientId(clientHeader);
  } catch (cause) {
    throw new XRoadFault("Client", "BadRequest", `malformed X-Road-Client: ${(cause as Error).message}`, { cause });
  }
  return { service, client, queryId: rawId, server: securityServerOf(lastOf(headers, "x-road-security-server")) };
}

/** PR-REST 4.3 X-Road-Security-Server: `[X-Road instance]/[member class]/[member code]/[server code]`, percent-encoded parts. */
function securityServerOf(value: string | undefined): SecurityServerId | undefined {
  if (value === undefined) return undefined;
  let id: ClientId;
  try {
    id = parseClientId(value);
  } catch (cause) {
    throw new XRoadFault("Client", "BadRequest", `malformed X-Road-Security-Server: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (id.subsystemCode === undefined)
    throw new XRoadFault(
      "Client",
      "BadRequest",
      "X-Road-Security-Server must be INSTANCE/MEMBERCLASS/MEMBERCODE/SERVERCODE (PR-REST 4.3)",
    );
  return {
    instance: id.instance,
    memberClass: id.memberClass,
    memberCode: id.memberCode,
    serverCode: id.subsystemCode,
  };
}

/** The transport headers of a signed message between security servers. */
export interface SignedHeaders {
  requestId: string;
  /** Signing time, milliseconds since the epoch. */
  time: number;
  /** The signature, base64 as sent (and as logged). */
  signature: string;
  /** The signer's certificate, base64 DER, parsed by the signer cache. */
  signer: string | undefined;
}

/**
 * Reads the request id, signing time and signature a message between security servers
 * must carry; a missing or malformed one is `{prefix}.InvalidMessage` (`MissingSignature`
 * when there is no signature), checked before the signature itself.
 */
export function readSignedHeaders(headers: Record<string, HeaderValue>, prefix: FaultPrefix): SignedHeaders {
  const requestId = headers["x-road-request-id"];
  const time = headers[TIME_HEADER];
  if (
    typeof requestId !== "string" ||
    !REQUEST_ID.test(requestId) ||
    typeof time !== "string" ||
    !/^\d{1,15}$/.test(time)
  )
    throw new XRoadFault(prefix, "InvalidMessage", "the message lacks its request id or signing time");
  const signature = headers[SIGNATURE_HEADER];
  if (typeof signature !== "string" || signature === "")
    throw new XRoadFault(prefix, "MissingSignature", "the request is not signed");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature))
    throw new XRoadFault(prefix, "InvalidMessage", "the signature is not base64");
  const signer = headers[SIGNER_HEADER];
  return {
    requestId,
    time: Number(time),
    signature,
    signer: typeof signer === "string" ? signer : undefined,
  };
}
