import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "undici";
import type { PortalConfig } from "../config/portal-config.ts";
import { PortalError } from "../errors.ts";

export interface XRoadRequest {
  /** X-Road-Client: the subsystem this information system speaks as. */
  client: string;
  /** The service id INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE. */
  service: string;
  /** The provider path with its query, starting with "/". */
  path: string;
  /** X-Road-UserId, e.g. EE38001085718. */
  userId?: string;
  /** X-Road-Issue: why the data is needed. */
  issue?: string;
  /** Extra headers passed end to end (e.g. X-Road-PDU-*). */
  headers?: Record<string, string>;
}

export interface XRoadResponse<T> {
  body: T;
  /** X-Road-Id of the exchange, as the security server returned it. */
  id: string;
  requestHash: string | undefined;
}

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * An information system's side of the X-Road Message Protocol for REST (PR-REST r1):
 * `GET {securityServer}/r1/{serviceId}{path}` with X-Road-Client, X-Road-Id, X-Road-UserId
 * and X-Road-Issue (PR-REST 4.3). Over https it presents the configured TLS client
 * certificate (the security server's `connection: "https"`); over http it relies on the
 * security server allowing this address.
 */
export class XRoadRestClient {
  readonly #base: string;
  readonly #dispatcher: Agent;

  constructor(config: PortalConfig["securityServer"], options: { timeoutMs?: number } = {}) {
    this.#base = config.url;
    const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
    const timeout = options.timeoutMs ?? 15_000;
    this.#dispatcher = new Agent({
      connect: {
        ...(config.clientCert ? { cert: read(config.clientCert), key: read(config.clientKey) } : {}),
        ...(config.ca ? { ca: read(config.ca) } : {}),
      },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connections: 32,
    });
  }

  async get<T>(call: XRoadRequest): Promise<XRoadResponse<T>> {
    const id = randomUUID();
    const headers: Record<string, string> = {
      accept: "application/json",
      "x-road-client": call.client,
      "x-road-id": id,
      ...(call.userId ? { "x-road-userid": call.userId } : {}),
      ...(call.issue ? { "x-road-issue": call.issue } : {}),
      ...call.headers,
    };
    const url = `${this.#base}/r1/${call.service}${call.path}`;
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, { method: "GET", headers, dispatcher: this.#dispatcher });
    } catch (cause) {
      throw new PortalError("PORTAL_UNAVAILABLE", `the security server ${this.#base} cannot be reached`, { cause });
    }
    const text = await readLimited(response.body);
    const header = (name: string) => {
      const value = response.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    let body: unknown;
    try {
      body = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const xroadError = header("x-road-error");
    if (xroadError || response.statusCode >= 400) {
      // PR-REST 4.6: X-Road's own errors carry X-Road-Error and {"type","message","detail"};
      // a provider's errors pass through unchanged.
      const record = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
      if (!xroadError && response.statusCode === 404)
        throw new PortalError("PORTAL_NOT_FOUND", `the provider has no ${call.path}`, {
          // The provider's own code (e.g. PERSON_NOT_FOUND), so a caller can tell what is missing.
          details: {
            status: 404,
            service: call.service,
            ...(typeof record.code === "string" ? { providerCode: record.code.slice(0, 100) } : {}),
          },
        });
      const type = xroadError ?? (typeof record.type === "string" ? record.type : `HTTP ${response.statusCode}`);
      const message = typeof record.message === "string" ? record.message : text.slice(0, 200);
      throw new PortalError("PORTAL_XROAD", `${call.service}: ${type}: ${message}`, {
        details: { type, status: response.statusCode, service: call.service },
      });
    }
    if (body === undefined)
      throw new PortalError("PORTAL_BAD_RESPONSE", `${call.service} answered with something that is not JSON`, {
        details: { service: call.service },
      });
    return { body: body as T, id: header("x-road-id") ?? id, requestHash: header("x-road-request-hash") };
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

async function readLimited(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES)
      throw new PortalError("PORTAL_BAD_RESPONSE", `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
