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

export type HeaderMap = Record<string, string>;

/** Lowercase single-valued headers without hop-by-hop ones; repeated values joined by ", " (RFC 7230 3.2.2). */
export function endToEndHeaders(
  headers: Record<string, string | string[] | undefined>,
  drop: ReadonlySet<string> = new Set(),
): HeaderMap {
  const out: HeaderMap = {};
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (HOP_HEADERS.has(name) || drop.has(name) || name === SIGNATURE_HEADER || name === SIGNER_HEADER) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return out;
}

function headerLines(headers: HeaderMap): string {
  return Object.keys(headers)
    .sort()
    .map((name) => `${name}:${headers[name]!.trim()}\n`)
    .join("");
}

export function requestHead(method: string, target: string, headers: HeaderMap): string {
  return `${PROTOCOL} request\n${method} ${target}\n${headerLines(headers)}\n`;
}

export function responseHead(status: number, headers: HeaderMap): string {
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

/** PR-REST 4.3: X-Road-Id is the client's message id, 1-255 printable ASCII characters. */
export const ID_TEXT = /^[\x21-\x7e]{1,255}$/;
type HeaderValue = string | string[] | undefined;

/** What a request line and its X-Road headers say (PR-REST 4.1, 4.3), before anything is trusted. */
export interface R1Request {
  service: ServiceId;
  client: ClientId;
  /** X-Road-Id as sent; undefined when absent (the consumer's server then makes one). */
  queryId: string | undefined;
}

/**
 * Reads `/r1/{serviceId}[/path][?query]`, X-Road-Client and X-Road-Id. Anything malformed,
 * repeated or missing is `Client.BadRequest` (PR-REST 4.6): the request never got as far
 * as meaning something.
 */
export function parseR1Request(url: string, headers: Record<string, HeaderValue>): R1Request {
  const rawId = headers["x-road-id"];
  if (rawId !== undefined && (typeof rawId !== "string" || !ID_TEXT.test(rawId)))
    throw new XRoadFault("Client", "BadRequest", "X-Road-Id must be 1-255 printable ASCII characters");
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
  const clientHeader = headers["x-road-client"];
  if (typeof clientHeader !== "string" || clientHeader === "")
    throw new XRoadFault("Client", "BadRequest", "the X-Road-Client header is missing or repeated (PR-REST 4.3)");
  let client: ClientId;
  try {
    client = parseClientId(clientHeader);
  } catch (cause) {
    throw new XRoadFault("Client", "BadRequest", `malformed X-Road-Client: ${(cause as Error).message}`, { cause });
  }
  return { service, client, queryId: rawId };
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
  if (typeof requestId !== "string" || !ID_TEXT.test(requestId) || typeof time !== "string" || !/^\d{1,15}$/.test(time))
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
