import { readFileSync } from "node:fs";
import { xroadUserId } from "@riik/core";
import { type RepresentedParty, XRoadClientError, XRoadRestClient } from "@riik/kit";
import type { Static, TSchema } from "typebox";
import { Type } from "typebox";
import { Value } from "typebox/value";
import type { PortalConfig } from "../config/portal-config.ts";
import { PortalError } from "../errors.ts";

export interface XRoadGet {
  /** X-Road-Client: the portal subsystem speaking (the portal's own or its Data Tracker reader). */
  client: string;
  /** The service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
  service: string;
  /** The provider path with its query, starting with "/". */
  path: string;
  /** X-Road-UserId, e.g. EE38001085718. */
  userId?: string;
  /** X-Road-Issue: why the data is needed. */
  issue?: string;
  /** X-Road-Represented-Party: the person the call is made for (PR-THIRDPARTY 2.2). */
  representedParty?: RepresentedParty;
  /** Extra headers passed end to end (e.g. X-Road-PDU-*). */
  headers?: Record<string, string>;
}

/** A call that may change something at the provider, whose refusals the page tells as they are. */
export interface XRoadSend extends XRoadGet {
  method: "GET" | "POST" | "PUT";
  /** A JSON request body. */
  body?: unknown;
}

/**
 * Who asks about CODE: the person, or ACTOR acting for them (a parent for a child). Then
 * X-Road-UserId names the actor and X-Road-Represented-Party the person (PR-THIRDPARTY 2.2),
 * so the use shows in the represented person's Data Tracker too.
 */
export function askedBy(code: string, actor?: string): Pick<XRoadGet, "userId" | "representedParty"> {
  return actor !== undefined && actor !== code
    ? { userId: xroadUserId(actor), representedParty: { partyCode: xroadUserId(code) } }
    : { userId: xroadUserId(code) };
}

/** Answers are read tolerantly by the portal's own readers (usage.ts, population.ts). */
const ANY_JSON = Type.Unknown();

/**
 * The portal's X-Road calls through its own security server: the kit's XRoadRestClient
 * (PR-REST r1), one per X-Road-Client subsystem, its typed errors told as the portal's codes
 * (PR-REST 4.6: X-Road's own faults keep their type; a provider's 404 keeps its code).
 */
export class XRoadCalls {
  readonly #config: PortalConfig["securityServer"];
  readonly #clients = new Map<string, XRoadRestClient>();

  constructor(config: PortalConfig["securityServer"]) {
    this.#config = config;
  }

  async get<T>(call: XRoadGet): Promise<{ body: T; id: string; requestHash: string | undefined }> {
    return this.#call<T>(call, false);
  }

  /**
   * Like `get`, with a method and a body; a provider's own refusal (a 4xx with its typed code:
   * NAME_TAKEN, SIGNER_NOT_FOUNDER, …) is PORTAL_REFUSED with `details.providerCode`, so the
   * page can say what the agency said. A 404 stays PORTAL_NOT_FOUND.
   */
  async send<T>(call: XRoadSend): Promise<{ body: T; id: string; requestHash: string | undefined }> {
    return this.#call<T>(call, true);
  }

  async #call<T>(
    call: XRoadGet & { method?: XRoadSend["method"]; body?: unknown },
    refusals: boolean,
  ): Promise<{ body: T; id: string; requestHash: string | undefined }> {
    try {
      const answer = await this.#client(call.client).call({
        service: call.service,
        path: call.path,
        answer: ANY_JSON,
        ...(call.method ? { method: call.method } : {}),
        ...(call.body === undefined ? {} : { body: call.body }),
        ...(call.userId ? { userId: call.userId } : {}),
        ...(call.issue ? { issue: call.issue } : {}),
        ...(call.representedParty ? { representedParty: call.representedParty } : {}),
        ...(call.headers ? { headers: call.headers } : {}),
      });
      if (answer.body === undefined)
        throw new PortalError("PORTAL_BAD_RESPONSE", `${call.service} answered with something that is not JSON`, {
          details: { service: call.service },
        });
      return { body: answer.body as T, id: answer.id, requestHash: answer.requestHash };
    } catch (error) {
      throw error instanceof XRoadClientError ? portalError(error, call, this.#config.url, refusals) : error;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((client) => client.close()));
  }

  #client(subsystem: string): XRoadRestClient {
    let client = this.#clients.get(subsystem);
    if (!client) {
      const { url, clientCert, clientKey, ca } = this.#config;
      client = new XRoadRestClient({
        securityServer: url,
        client: subsystem,
        tls: {
          ...(clientCert && clientKey ? { cert: readFileSync(clientCert), key: readFileSync(clientKey) } : {}),
          ...(ca ? { ca: readFileSync(ca) } : {}),
        },
      });
      this.#clients.set(subsystem, client);
    }
    return client;
  }
}

function portalError(error: XRoadClientError, call: XRoadGet, securityServer: string, refusals = false): PortalError {
  const details = error.details ?? {};
  const status = typeof details.status === "number" ? details.status : undefined;
  switch (error.code) {
    case "XROAD_UNREACHABLE":
      return new PortalError("PORTAL_UNAVAILABLE", `the security server ${securityServer} cannot be reached`, {
        cause: error,
      });
    case "XROAD_BAD_ANSWER":
      return new PortalError("PORTAL_BAD_RESPONSE", error.message, {
        cause: error,
        details: { service: call.service },
      });
    case "XROAD_PROVIDER":
      if (status === 404)
        return new PortalError("PORTAL_NOT_FOUND", `the provider has no ${call.path}`, {
          cause: error,
          // The provider's own code (e.g. PERSON_NOT_FOUND), so a caller can tell what is missing.
          details: {
            status: 404,
            service: call.service,
            ...(typeof details.providerCode === "string" ? { providerCode: details.providerCode } : {}),
          },
        });
      if (refusals && status !== undefined && status >= 400 && status < 500 && typeof details.providerCode === "string")
        return new PortalError("PORTAL_REFUSED", `${call.service} refused: ${details.providerCode}`, {
          cause: error,
          details: { status, service: call.service, providerCode: details.providerCode },
        });
      return new PortalError("PORTAL_XROAD", `${call.service}: HTTP ${status}: ${error.message}`, {
        cause: error,
        details: { type: `HTTP ${status}`, status, service: call.service },
      });
    case "XROAD_FAULT":
      return new PortalError("PORTAL_XROAD", error.message, {
        cause: error,
        details: { type: details.type, status, service: call.service },
      });
  }
}

/**
 * One provider's service called for the person logged in (X-Road-UserId the person, the
 * portal's purpose as X-Road-Issue): the Board's family benefits, the tax return.
 */
export class PersonalService {
  constructor(
    private readonly xroad: XRoadCalls,
    private readonly options: { client: string; service: string; purpose: string },
  ) {}

  async call(code: string, method: XRoadSend["method"], path: string, body?: unknown): Promise<unknown> {
    const answer = await this.xroad.send<unknown>({
      client: this.options.client,
      service: this.options.service,
      method,
      path,
      ...(body === undefined ? {} : { body }),
      ...askedBy(code),
      issue: this.options.purpose,
    });
    return answer.body;
  }

  /** A GET whose answer must match SCHEMA: anything else is PORTAL_BAD_RESPONSE naming the first problem. */
  async read<S extends TSchema>(code: string, path: string, schema: S): Promise<Static<S>> {
    const body = await this.call(code, "GET", path);
    if (!Value.Check(schema, body))
      throw new PortalError(
        "PORTAL_BAD_RESPONSE",
        `${this.options.service} answered ${path.split("/")[1] ?? path} in a shape the portal does not know: ${[...Value.Errors(schema, body)][0]?.message}`,
        { details: { service: this.options.service } },
      );
    return body;
  }
}
