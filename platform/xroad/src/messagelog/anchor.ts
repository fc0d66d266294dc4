import { LedgerClient } from "@riik/ledger";
import { requestTimeStamp } from "@riik/pki";
import { XRoadError } from "../errors.ts";

/**
 * Where a batch of message-log records is anchored: the SHA-256 of the batch statement
 * (which names the Merkle root of the batch's record hashes and the previous statement)
 * goes to independent witnesses, so no record can later be changed or removed unnoticed.
 */
export interface AnchorProof {
  /** RFC 3161 token over the statement hash (ContentInfo DER). */
  tsaToken?: Uint8Array;
  /** The integrity ledger's answer, kept verbatim. */
  ledger?: unknown;
}

export interface Anchor {
  anchor(statementHash: Uint8Array): Promise<AnchorProof>;
}

/** X-Road's own way: batch time-stamps from the instance's TSA (RFC 3161). */
export class TsaAnchor implements Anchor {
  constructor(readonly url: string) {}
  async anchor(statementHash: Uint8Array): Promise<AnchorProof> {
    try {
      return { tsaToken: (await requestTimeStamp(this.url, statementHash, "SHA-256")).token };
    } catch (cause) {
      throw new XRoadError(
        "XROAD_ANCHOR",
        `the TSA at ${this.url} did not time-stamp the batch: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }
}

/**
 * The integrity ledger (@riik/ledger): the statement hash is aggregated into the ledger's
 * next round and comes back as a keyless signature (riik-ledger-signature/v1), verifiable
 * offline against the ledger's log key and witnesses from the global configuration.
 */
export class LedgerAnchor implements Anchor {
  readonly #client: LedgerClient;
  constructor(readonly url: string) {
    this.#client = new LedgerClient({ url, timeoutMs: 30_000 });
  }
  async anchor(statementHash: Uint8Array): Promise<AnchorProof> {
    try {
      return { ledger: await this.#client.signDigest(statementHash, "SHA-256") };
    } catch (cause) {
      throw new XRoadError("XROAD_ANCHOR", `the integrity ledger did not sign the batch: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
}

/** All of them; a batch is anchored when every anchor answered. */
export class CompositeAnchor implements Anchor {
  constructor(readonly anchors: readonly Anchor[]) {}
  async anchor(statementHash: Uint8Array): Promise<AnchorProof> {
    const proofs = await Promise.all(this.anchors.map((a) => a.anchor(statementHash)));
    return Object.assign({}, ...proofs) as AnchorProof;
  }
}
