import { LedgerError } from "../errors.ts";
import { b64 } from "../signature/signature-file.ts";

export interface ProofSource {
  consistencyProof(size1: number, size2: number): Uint8Array[];
}

/**
 * The log side of C2SP tlog-witness: submits checkpoints with a consistency proof from
 * the size the witness last cosigned, learning that size from a 409 answer when needed.
 */
export class WitnessClient {
  private knownSize = 0;

  constructor(
    readonly url: string,
    private readonly proofs: ProofSource,
    private readonly timeoutMs = 5000,
  ) {}

  /** Submits a checkpoint note of `size`; returns the cosignature lines (each ending in a newline). */
  async addCheckpoint(note: string, size: number): Promise<string[]> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const old = this.knownSize <= size ? this.knownSize : 0;
      const proof = this.proofs.consistencyProof(old, size);
      const body = `old ${old}\n${proof.map((p) => `${b64(p)}\n`).join("")}\n${note}`;
      const response = await fetch(`${this.url.replace(/\/$/, "")}/add-checkpoint`, {
        method: "POST",
        headers: { "content-type": "text/plain; charset=utf-8" },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text();
      if (response.status === 200) {
        this.knownSize = size;
        const lines = text.split("\n").filter((line) => line !== "");
        if (lines.length === 0 || lines.some((line) => !line.startsWith("\u2014 "))) {
          throw new LedgerError(
            "CLIENT_HTTP",
            `witness ${this.url} answered with something other than signature lines`,
          );
        }
        return lines.map((line) => `${line}\n`);
      }
      if (response.status === 409 && response.headers.get("content-type")?.startsWith("text/x.tlog.size")) {
        const witnessSize = Number(text.trim());
        if (!Number.isSafeInteger(witnessSize) || witnessSize > size || witnessSize === old) {
          throw new LedgerError(
            "CLIENT_HTTP",
            `witness ${this.url} is at size ${text.trim()}, beyond this log (${size})`,
          );
        }
        this.knownSize = witnessSize;
        continue;
      }
      throw new LedgerError("CLIENT_HTTP", `witness ${this.url} answered ${response.status}: ${text.slice(0, 200)}`, {
        details: { status: response.status },
      });
    }
    throw new LedgerError("CLIENT_HTTP", `witness ${this.url} keeps changing size`);
  }
}
