import { PortalError } from "../errors.ts";
import type { Exchange, LoginEntry, LoginsResponse } from "../web/api-types.ts";
import { askedBy, type XRoadCalls } from "../xroad/calls.ts";

/**
 * The person's logins as the national authentication service records them (issue 12: who,
 * which e-service, method, level, when), read over X-Road from its `authentications`
 * personal-data service, so the read itself is in the person's Data Tracker.
 */
export class LoginRecord {
  readonly #xroad: XRoadCalls;
  readonly #options: { client: string; service: string; purpose: string };

  constructor(xroad: XRoadCalls, options: { client: string; service: string; purpose: string }) {
    this.#xroad = xroad;
    this.#options = options;
  }

  async of(code: string, actor?: string): Promise<LoginsResponse> {
    const subject = `EE${code}`;
    const { body, id } = await this.#xroad.get<unknown>({
      client: this.#options.client,
      service: this.#options.service,
      path: `/authentications/${encodeURIComponent(subject)}?limit=50`,
      ...askedBy(code, actor),
      issue: this.#options.purpose,
    });
    const exchange: Exchange = { xroadId: id, service: this.#options.service, purpose: this.#options.purpose };
    return { logins: entries(body), exchange };
  }
}

function entries(body: unknown): LoginEntry[] {
  const list = (body as { authentications?: unknown } | null)?.authentications;
  if (!Array.isArray(list))
    throw new PortalError("PORTAL_BAD_RESPONSE", "the authentication service's answer has no list of logins");
  return list.flatMap((item): LoginEntry[] => {
    const { clientId, method, acr, at, representee } = (item ?? {}) as Record<string, unknown>;
    if (typeof clientId !== "string" || typeof method !== "string" || typeof at !== "string") return [];
    return [
      {
        clientId: clientId.slice(0, 200),
        method: method.slice(0, 20),
        acr: typeof acr === "string" ? acr.slice(0, 20) : "",
        at,
        ...(typeof representee === "string" ? { representee: representee.slice(0, 40) } : {}),
      },
    ];
  });
}
