import { Agent, request } from "undici";
import { EMBASSY_ERRORS, EmbassyError, type EmbassyErrorCode } from "../errors.ts";
import type { ChainHead } from "../format/chain.ts";
import type { TlsMaterial } from "../node/server.ts";
import type { AppendResult, RegistryHoldings, SegmentInfo } from "../node/store.ts";

/** A client of one embassy node over mutual TLS 1.3 (the shipper's and restore's side). */
export class EmbassyClient {
  readonly url: string;
  private readonly agent: Agent;

  constructor(url: string, tls: TlsMaterial, options: { timeoutMs?: number } = {}) {
    this.url = url.replace(/\/+$/, "");
    const timeout = options.timeoutMs ?? 120_000;
    this.agent = new Agent({
      connect: {
        cert: tls.cert,
        key: tls.key,
        ca: tls.ca,
        minVersion: "TLSv1.3",
        maxVersion: "TLSv1.3",
      },
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
  }

  async post(registry: string, bytes: Uint8Array): Promise<AppendResult> {
    return (await this.call("POST", `/v1/registries/${registry}/segments`, bytes)).json() as Promise<AppendResult>;
  }

  async head(registry: string): Promise<ChainHead | undefined> {
    const body = (await (await this.call("GET", `/v1/registries/${registry}/head`)).json()) as {
      head: ChainHead | null;
    };
    return body.head ?? undefined;
  }

  async list(registry: string, from = 0): Promise<SegmentInfo[]> {
    const out: SegmentInfo[] = [];
    for (;;) {
      const body = (await (
        await this.call("GET", `/v1/registries/${registry}/segments?from=${from}&limit=10000`)
      ).json()) as { segments: SegmentInfo[] };
      out.push(...body.segments);
      if (body.segments.length < 10_000) return out;
      from = body.segments[body.segments.length - 1]!.idx + 1;
    }
  }

  async get(registry: string, index: number): Promise<Buffer> {
    return Buffer.from(await (await this.call("GET", `/v1/registries/${registry}/segments/${index}`)).arrayBuffer());
  }

  async holdings(): Promise<RegistryHoldings[]> {
    return ((await (await this.call("GET", "/v1/registries")).json()) as { registries: RegistryHoldings[] }).registries;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async call(method: "GET" | "POST", path: string, body?: Uint8Array) {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(`${this.url}${path}`, {
        method,
        dispatcher: this.agent,
        ...(body ? { body, headers: { "content-type": "application/octet-stream" } } : {}),
      });
    } catch (cause) {
      throw new EmbassyError(
        "EMBASSY_UNREACHABLE",
        `cannot reach the embassy at ${this.url}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return { json: () => response.body.json(), arrayBuffer: () => response.body.arrayBuffer() };
    }
    const text = await response.body.text();
    // The embassy's own codes pass through; a request it refused before any handler ran
    // (REQUEST_INVALID, ROUTE_NOT_FOUND, …) was a bad request, not an unreachable embassy.
    let code: EmbassyErrorCode = response.statusCode < 500 ? "EMBASSY_ARGUMENT" : "EMBASSY_UNREACHABLE";
    let message = text.slice(0, 500);
    try {
      const parsed = JSON.parse(text) as { code?: string; message?: string };
      if (parsed.code && Object.hasOwn(EMBASSY_ERRORS, parsed.code)) code = parsed.code as EmbassyErrorCode;
      message = `${parsed.code}: ${parsed.message}`;
    } catch {
      // not JSON
    }
    throw new EmbassyError(
      code,
      `the embassy ${this.url} answered ${response.statusCode} to ${method} ${path}: ${message}`,
      {
        details: { status: response.statusCode },
      },
    );
  }
}
