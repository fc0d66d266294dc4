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
 * The offer the client prefers (RFC 9110 12.5.1): each offer takes the quality of the most
 * specific range that matches it (`text/xml` over `text/*` over `*\/*`); the highest quality
 * wins, ties go to the client's own order, then to ours. Nothing acceptable, or no Accept
 * header at all (PR-REST 4.3), is JSON.
 */
export function errorMediaType(accept: string | undefined): ErrorMediaType {
  if (!accept) return "application/json";
  const ranges = accept.split(",").flatMap((part, order) => {
    const [range = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => /^q\s*=/.test(p));
    const quality = q === undefined ? 1 : Number(q.slice(q.indexOf("=") + 1).trim());
    const [type, subtype] = range.split("/");
    if (!type || !subtype || !(quality >= 0 && quality <= 1)) return [];
    return [{ type, subtype, quality, order, specificity: (type === "*" ? 0 : 1) + (subtype === "*" ? 0 : 1) }];
  });
  let best: { offer: ErrorMediaType; quality: number; order: number } | undefined;
  for (const offer of OFFERS) {
    const [type, subtype] = offer.split("/");
    const match = ranges
      .filter((r) => (r.type === "*" || r.type === type) && (r.subtype === "*" || r.subtype === subtype))
      .sort((a, b) => b.specificity - a.specificity)[0];
    if (!match || match.quality === 0) continue;
    if (!best || match.quality > best.quality || (match.quality === best.quality && match.order < best.order))
      best = { offer, quality: match.quality, order: match.order };
  }
  return best?.offer ?? "application/json";
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
