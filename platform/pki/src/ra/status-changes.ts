import { PkiError } from "../errors.ts";
import type { StatusEvent } from "../registry/certificate-registry.ts";
import type { RegistrationAuthorityAccess } from "./app-certificate-client.ts";

/** One status event of the certificate registry, as the feed gives it. */
export interface StatusChange {
  /** The event's position in the feed; ask for those after it next. */
  id: number;
  issuer: string;
  serial: string;
  event: StatusEvent;
  at: string;
  /** The certificate's purpose (`id-authentication`, `app-authentication`, `id-signing`, …). */
  purpose: string;
  personalCode: string | null;
}

export const STATUS_CHANGES_PAGE = 500;

/**
 * The certificate registry's status events after AFTER (`GET /ra/status-changes`), for a
 * registration authority following it. Who holds which card and when it was suspended is
 * not public as a list, so the feed asks for the authority's token like issuance does.
 */
export async function fetchStatusChanges(
  access: RegistrationAuthorityAccess,
  after: number,
  limit = STATUS_CHANGES_PAGE,
): Promise<StatusChange[]> {
  const url = new URL("/ra/status-changes", access.url);
  url.search = new URLSearchParams({ after: String(after), limit: String(limit) }).toString();
  let reply: Response;
  try {
    reply = await fetch(url, {
      headers: { authorization: `Bearer ${access.token}` },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (cause) {
    throw new PkiError("PKI_RA_UNAVAILABLE", `the trust services at ${url.origin} did not answer`, { cause });
  }
  const body = (await reply.json().catch(() => ({}))) as { changes?: StatusChange[]; code?: string; message?: string };
  if (reply.status === 401)
    throw new PkiError("PKI_RA_UNAUTHORIZED", `the trust services refused the token: ${body.message ?? ""}`);
  if (!reply.ok || !Array.isArray(body.changes))
    throw new PkiError("PKI_RA_UNAVAILABLE", `the trust services answered ${reply.status} to the status feed`);
  return body.changes;
}
