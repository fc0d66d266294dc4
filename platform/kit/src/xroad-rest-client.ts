import { randomUUID } from "node:crypto";
import { formatClientId, formatServiceId, parseClientId, parseServiceId, RiikError } from "@riik/core";
import type { Static, TSchema } from "typebox";
import { Value } from "typebox/value";
import { Agent, request } from "undici";
import { providerErrorOf } from "./provider-error.ts";

/** Why a call through X-Road did not give an answer. */
export type XRoadClientErrorCode =
  /** The member's own security server cannot be reached, or did not answer in time. */
  | "XROAD_UNREACHABLE"
  /** X-Road itself refused or failed the call (PR-REST 4.6): `details.type` is the X-Road error type. */
  | "XROAD_FAULT"
  /** The provider answered with an error status; `details.status` and, if it named one, `details.providerCode`. */
  | "XROAD_PROVIDER"
  /** A 2xx answer that is not JSON, too large, or not of the caller's answer schema. */
  | "XROAD_BAD_ANSWER";

export class XRoadClientError extends RiikError<XRoadClientErrorCode> {}

export interface XRoadRestClientOptions {
  /**
   * The client URL of the member's OWN security server: `http://host:port` when the
   * client is registered there with `connection: "http"`, `https://host:port` for "https".
   */
  securityServer: string;
  /** X-Road-Client: the subsystem this information system speaks as, INSTANCE/CLASS/MEMBER/SUBSYSTEM. */
  client: string;
  /** TLS to the security server (PEM): the information system's certificate and key, and the server's CA. */
  tls?: { cert?: string | Buffer; key?: string | Buffer; ca?: string | Buffer };
  /** How long to wait for the answer's headers and then its body; default 15 s. */
  timeoutMs?: number;
  /** Larger answers are XROAD_BAD_ANSWER; default 4 MiB. */
  maxAnswerBytes?: number;
}

export interface XRoadCall<S extends TSchema> {
  /** The service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
  service: string;
  /** The provider's path with its query, starting with "/". */
  path: string;
  /** The answer's schema: a 2xx body that does not match it is XROAD_BAD_ANSWER. */
  answer: S;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A JSON request body. */
  body?: unknown;
  /** X-Road-UserId, e.g. EE38001085718: the person on whose behalf the call is made. */
  userId?: string;
  /** X-Road-Issue: why the data is needed (percent-encoded when not printable ASCII). */
  issue?: string;
  /**
   * X-Road-Represented-Party: the party the call is made for (PR-THIRDPARTY 2.2), e.g. a child
   * its parent acts for, `{ partyCode: "EE38001085718" }` (a person: no class), or a company a
   * board member acts for, `{ partyClass: "COM", partyCode: "10000002" }`. Recorded in both
   * message logs and, for a person, in that person's Data Tracker (xroad README).
   */
  representedParty?: RepresentedParty;
  /** Extra headers passed end to end (e.g. X-Road-PDU-*). */
  headers?: Record<string, string>;
}

/** A represented party as PR-THIRDPARTY 2.2 defines it: an optional class and a code. */
export interface RepresentedParty {
  partyClass?: string;
  partyCode: string;
}

/** `[partyClass/]partyCode`, each part percent-encoded on its own (PR-REST 4.2), as the security server reads it. */
function representedPartyHeader(party: RepresentedParty): string {
  if (party.partyCode === "" || party.partyClass === "")
    throw new TypeError("a represented party needs a non-empty partyCode (and partyClass, when given)");
  const code = encodeURIComponent(party.partyCode);
  return party.partyClass === undefined ? code : `${encodeURIComponent(party.partyClass)}/${code}`;
}

export interface XRoadAnswer<T> {
  status: number;
  body: T;
  /** X-Road-Id of the exchange, as the security server returned it. */
  id: string;
  /** X-Road-Request-Hash: the hash of the request the provider's server logged. */
  requestHash: string | undefined;
  /** The answer's headers, names in lower case. */
  headers: Readonly<Record<string, string>>;
}

/**
 * An information system's side of the X-Road Message Protocol for REST (PR-REST r1):
 * `{securityServer}/r1/{service}{path}` with X-Road-Client, X-Road-Id, X-Road-UserId,
 * X-Road-Issue (PR-REST 4.3) and X-Road-Represented-Party (PR-THIRDPARTY), always through the member's own security server. Each
 * failure is a typed XRoadClientError; X-Road's own errors keep their type (PR-REST 4.6).
 */
export class XRoadRestClient {
  readonly #base: string;
  readonly #client: string;
  readonly #maxAnswerBytes: number;
  readonly #dispatcher: Agent;

  constructor(options: XRoadRestClientOptions) {
    const url = new URL(options.securityServer);
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new TypeError(`the security server URL must be http:// or https://, got ${options.securityServer}`);
    this.#base = options.securityServer.replace(/\/+$/, "");
    const client = parseClientId(options.client);
    if (client.subsystemCode === undefined)
      throw new TypeError(`X-Road-Client must name a subsystem: ${options.client}`);
    this.#client = formatClientId(client);
    this.#maxAnswerBytes = options.maxAnswerBytes ?? 4 * 1024 * 1024;
    const timeout = options.timeoutMs ?? 15_000;
    const { cert, key, ca } = options.tls ?? {};
    this.#dispatcher = new Agent({
      connect: { ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(ca ? { ca } : {}) },
      connectTimeout: timeout,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  async call<S extends TSchema>(call: XRoadCall<S>): Promise<XRoadAnswer<Static<S>>> {
    if (!call.path.startsWith("/")) throw new TypeError(`the provider path must start with "/": ${call.path}`);
    const service = formatServiceId(parseServiceId(call.service));
    const id = randomUUID();
    const represented = call.representedParty ? representedPartyHeader(call.representedParty) : undefined;
    const headers: Record<string, string> = {
      accept: "application/json",
      ...call.headers,
      "x-road-client": this.#client,
      "x-road-id": id,
      ...(call.userId ? { "x-road-userid": call.userId } : {}),
      // Header values are bytes: a purpose in Estonian travels percent-encoded.
      ...(call.issue
        ? { "x-road-issue": /^[\x20-\x7e]*$/.test(call.issue) ? call.issue : encodeURIComponent(call.issue) }
        : {}),
      ...(represented ? { "x-road-represented-party": represented } : {}),
      ...(call.body === undefined ? {} : { "content-type": "application/json" }),
    };
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(`${this.#base}/r1/${service}${call.path}`, {
        method: call.method ?? "GET",
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        dispatcher: this.#dispatcher,
      });
    } catch (cause) {
      throw new XRoadClientError("XROAD_UNREACHABLE", `the security server ${this.#base} did not answer`, {
        cause,
        details: { service },
      });
    }
    const answerHeaders = Object.fromEntries(
      Object.entries(response.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(", ") : String(value),
      ]),
    );
    const xroadId = answerHeaders["x-road-id"] ?? id;
    const text = await this.#read(response.body, service);
    let body: unknown;
    let json = true;
    try {
      body = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      json = false;
    }
    const record = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    const fault = answerHeaders["x-road-error"];
    if (fault !== undefined) {
      // PR-REST 4.6: X-Road's own errors carry X-Road-Error and {"type","message","detail"}.
      const message = typeof record.message === "string" ? record.message : text.slice(0, 200);
      throw new XRoadClientError("XROAD_FAULT", `${service}: ${fault}: ${message}`, {
        details: { service, type: fault, status: response.statusCode, message, xroadId },
      });
    }
    if (response.statusCode >= 300) {
      // A provider's error answer passes through both security servers unchanged.
      const { code: providerCode, message: providerMessage } = providerErrorOf(body);
      throw new XRoadClientError(
        "XROAD_PROVIDER",
        `${service} answered ${response.statusCode}${providerCode ? ` ${providerCode}` : ""}`,
        {
          details: {
            service,
            status: response.statusCode,
            ...(providerCode ? { providerCode } : {}),
            ...(providerMessage ? { providerMessage } : {}),
            xroadId,
          },
        },
      );
    }
    // An empty answer (204) is `undefined`: a schema such as Type.Undefined() accepts it.
    if (!json || !Value.Check(call.answer, body)) {
      const problem = json
        ? `does not match its schema: ${[...Value.Errors(call.answer, body)][0]?.message}`
        : "is not JSON";
      throw new XRoadClientError("XROAD_BAD_ANSWER", `${service}: the answer ${problem}`, {
        details: { service, status: response.statusCode, xroadId },
      });
    }
    return {
      status: response.statusCode,
      body: body as Static<S>,
      id: xroadId,
      requestHash: answerHeaders["x-road-request-hash"],
      headers: answerHeaders,
    };
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #read(body: AsyncIterable<Buffer>, service: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body) {
        size += chunk.length;
        if (size > this.#maxAnswerBytes)
          throw new XRoadClientError(
            "XROAD_BAD_ANSWER",
            `${service}: the answer is larger than ${this.#maxAnswerBytes} bytes`,
            {
              details: { service },
            },
          );
        chunks.push(chunk);
      }
    } catch (cause) {
      if (cause instanceof XRoadClientError) throw cause;
      throw new XRoadClientError("XROAD_UNREACHABLE", `${service}: the answer broke off`, {
        cause,
        details: { service },
      });
    }
    return Buffer.concat(chunks).toString("utf8");
  }
}
