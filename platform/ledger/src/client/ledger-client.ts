import type { Imprint, ImprintAlgorithm } from "../aggregator/imprint.ts";
import { LedgerError } from "../errors.ts";
import { hashBytes } from "../signature/document.ts";
import { applyExtension, type Extension } from "../signature/extend.ts";
import { assertLedgerSignature, fromB64, type LedgerSignature } from "../signature/signature-file.ts";
import type { CheckpointMonitor } from "./checkpoint-monitor.ts";

export interface LedgerClientOptions {
  /** Base URL of the ledger, e.g. http://127.0.0.1:8440 */
  url: string;
  /** Hashes per HTTP request when anchoring large batches (the server's limit is 10,000). */
  batchSize?: number;
  timeoutMs?: number;
  /** When given, every checkpoint the ledger returns must be consistent with those seen before. */
  monitor?: CheckpointMonitor;
}

/**
 * The TypeScript client of the ledger. Other packages anchor records with `anchor`:
 * records are hashed locally and only their digests are sent, in batches.
 */
export class LedgerClient {
  private readonly base: string;
  private readonly batchSize: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: LedgerClientOptions) {
    this.base = options.url.replace(/\/+$/, "");
    this.batchSize = options.batchSize ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Submits imprints and resolves with one signature each, in order, once their round closed. */
  async aggregate(imprints: readonly Imprint[]): Promise<LedgerSignature[]> {
    const batches: Imprint[][] = [];
    for (let i = 0; i < imprints.length; i += this.batchSize) batches.push(imprints.slice(i, i + this.batchSize));
    const results = await Promise.all(batches.map((batch) => this.aggregateBatch(batch)));
    return results.flat();
  }

  /** Hashes each record locally and anchors all of them. */
  anchor(records: readonly Uint8Array[], algorithm: ImprintAlgorithm = "SHA-256"): Promise<LedgerSignature[]> {
    return this.aggregate(records.map((record) => ({ algorithm, digest: hashBytes(record, algorithm) })));
  }

  async signDigest(digest: Uint8Array, algorithm: ImprintAlgorithm = "SHA-256"): Promise<LedgerSignature> {
    const [signature] = await this.aggregate([{ algorithm, digest }]);
    return signature!;
  }

  async checkpoint(): Promise<string> {
    return (await this.request("/checkpoint")).text();
  }

  async consistency(from: number, to: number): Promise<Uint8Array[]> {
    const body = (await (await this.request(`/v1/consistency?from=${from}&to=${to}`)).json()) as { proof: string[] };
    return body.proof.map(fromB64);
  }

  async publications(): Promise<string> {
    return (await this.request("/v1/publications")).text();
  }

  /** Fetches the proofs up to the first publication covering the signature and attaches them. */
  async extend(signature: LedgerSignature, publicationSize?: number): Promise<LedgerSignature> {
    const leaf = fromB64(signature.calendar.leaf);
    const round = Number(leaf.readBigUInt64BE(1));
    const from = Number(signature.checkpoint.split("\n")[1]);
    const query = `round=${round}&from=${from}${publicationSize === undefined ? "" : `&publication=${publicationSize}`}`;
    const extension = (await (await this.request(`/v1/extend?${query}`)).json()) as Extension;
    return applyExtension(signature, extension);
  }

  private async aggregateBatch(imprints: readonly Imprint[]): Promise<LedgerSignature[]> {
    const body = JSON.stringify({
      hashes: imprints.map((i) => ({ algorithm: i.algorithm, digest: Buffer.from(i.digest).toString("hex") })),
    });
    const response = await this.request("/v1/aggregate", {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    const { signatures } = (await response.json()) as { signatures: unknown[] };
    if (!Array.isArray(signatures) || signatures.length !== imprints.length) {
      throw new LedgerError("CLIENT_HTTP", "the ledger answered with the wrong number of signatures");
    }
    for (const s of signatures) assertLedgerSignature(s);
    const typed = signatures as LedgerSignature[];
    if (this.options.monitor) {
      const seen = new Set<string>();
      for (const s of typed) {
        if (seen.has(s.checkpoint)) continue;
        seen.add(s.checkpoint);
        await this.options.monitor.observe(s.checkpoint, (a, b) => this.consistency(a, b));
      }
    }
    return typed;
  }

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      throw new LedgerError("CLIENT_HTTP", `cannot reach the ledger at ${this.base}: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (!response.ok) {
      const text = await response.text();
      let code: LedgerError["code"] = "CLIENT_HTTP";
      let message = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { code?: string; message?: string };
        if (parsed.code === "PUBLICATION_NOT_FOUND" || parsed.code === "REQUEST_NOT_FOUND") code = parsed.code;
        message = `${parsed.code}: ${parsed.message}`;
      } catch {
        // not JSON: keep the text
      }
      throw new LedgerError(code, `the ledger answered ${response.status} to ${path}: ${message}`, {
        details: { status: response.status },
      });
    }
    return response;
  }
}
