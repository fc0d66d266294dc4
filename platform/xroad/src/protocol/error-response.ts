import Negotiator from "negotiator";
import type { ErrorTypeSpelling, XRoadFault } from "../errors.ts";

/**
 * The X-Road error response (PR-REST 4.6): status 400 for `Client.*`, else 500; the type in
 * `X-Road-Error` (4.3) and in the body with the message and a detail (the X-Road-Id, so the
 * exchange can be found in the logs). The body is JSON unless the client prefers XML in its
 * `Accept` header ("SHOULD respect the Accept header ... defaulting to application/json"),
 * then X-Road's `<error><type/><message/><detail/></error>`; it always names its
 * `Content-Type` with the charset (4.3, "REST messages originating from the Security Server").
 */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

type ErrorMediaType = "application/json" | "application/xml" | "text/xml";

/** Offered in this order: on equal preference the earlier one wins, so JSON is the default. */
const OFFERS: ReadonlyArray<ErrorMediaType> = ["application/json", "application/xml", "text/xml"];

/**
 * The offer the client prefers (RFC 9110 12.5.1, by `negotiator`: quality, then the most
 * specific matching range, then the client's order, then ours). Nothing acceptable, or no
 * Accept header at all (PR-REST 4.3), is JSON.
 */
export function errorMediaType(accept: string | undefined): ErrorMediaType {
  if (!accept) return "application/json";
  const chosen = new Negotiator({ headers: { accept } }).mediaType([...OFFERS]);
  return (OFFERS as readonly string[]).includes(chosen ?? "") ? (chosen as ErrorMediaType) : "application/json";
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
/** XML 1.0 character data: markup escaped, and characters XML cannot carry (2.2 Char) dropped. */
const xmlText = (text: string) =>
  text.replace(/[&<>]/g, (c) => XML_ESCAPES[c]!).replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "");

export function errorResponse(
  fault: XRoadFault,
  detail: string,
  accept: string | undefined,
  spelling: ErrorTypeSpelling,
): ErrorResponse {
  const type = fault.typeIn(spelling);
  const mediaType = errorMediaType(accept);
  const body =
    mediaType === "application/json"
      ? JSON.stringify({ type, message: fault.message, detail })
      : `<?xml version="1.0" encoding="UTF-8"?>\n<error><type>${xmlText(type)}</type><message>${xmlText(fault.message)}</message><detail>${xmlText(detail)}</detail></error>`;
  return {
    status: fault.status,
    headers: { "content-type": `${mediaType};charset=utf-8`, "x-road-error": type },
    body,
  };
}
