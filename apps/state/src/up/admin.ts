import { readFileSync } from "node:fs";
import { join } from "node:path";
import { StateError } from "../errors.ts";

/** A JSON call to a management API; `tolerate` lists statuses that count as done (409: it exists already). */
export async function callJson(
  url: string,
  token: string,
  method: string,
  body?: unknown,
  tolerate: readonly number[] = [],
): Promise<unknown> {
  const reply = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await reply.text();
  if (!reply.ok && !tolerate.includes(reply.status))
    throw new StateError("STATE_INIT", `${method} ${url}: ${reply.status} ${text.slice(0, 500)}`);
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

/** The management API of the central server in DIR (token in DIR/admin-token). */
export function centralApi(dir: string, url: string) {
  const token = readFileSync(join(dir, "admin-token"), "utf8").trim();
  return (path: string, method = "GET", body?: unknown, tolerate: readonly number[] = []) =>
    callJson(`${url}${path}`, token, method, body, tolerate);
}

/** The administration API of the security server in DIR (token in DIR/keys/admin-token). */
export function securityServerApi(dir: string, adminUrl: string) {
  const token = readFileSync(join(dir, "keys", "admin-token"), "utf8").trim();
  return (path: string, method = "GET", body?: unknown, tolerate: readonly number[] = []) =>
    callJson(`${adminUrl}${path}`, token, method, body, tolerate);
}
