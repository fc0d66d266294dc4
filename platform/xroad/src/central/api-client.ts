import { RiikError } from "@riik/core";
import { XRoadError } from "../errors.ts";

/**
 * One JSON call to a management API of riik's X-Road servers (the central server's, a security
 * server's administration API), as the admin CLI makes it. A refusal comes back as a RiikError
 * carrying the server's own code (XROAD_NOT_FOUND, REQUEST_INVALID, …) and message, so a
 * script can match it; only an answer without one is XROAD_CONFIG.
 */
export async function callManagementApi(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  let reply: Response;
  try {
    reply = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (cause) {
    throw new XRoadError("XROAD_CONFIG", `${baseUrl} cannot be reached (is it running?): ${(cause as Error).message}`, {
      cause,
    });
  }
  const text = await reply.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  if (reply.ok && parsed !== undefined) return parsed;
  const answer = parsed as { code?: unknown; message?: unknown; details?: unknown } | undefined;
  if (!reply.ok && typeof answer?.code === "string" && typeof answer.message === "string")
    throw new RiikError(answer.code, answer.message, {
      ...(typeof answer.details === "object" && answer.details !== null
        ? { details: answer.details as Record<string, unknown> }
        : {}),
    });
  throw new XRoadError("XROAD_CONFIG", `${method} ${path}: ${reply.status} ${text.slice(0, 300)}`);
}
