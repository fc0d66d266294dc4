import { verifyUsageProof, type XRoadTrustAnchor } from "@riik/xroad";

/** What the portal trusts to verify Data Tracker proofs: the state's global configuration. */
export type TrustAnchorSource = () => Promise<XRoadTrustAnchor>;

/**
 * The "anchored" badge of a data use rests on a verification, never on the provider's flags
 * (`timestamped`, `ledger`): the provider's proof (riik-datatracker-proof/1) is checked
 * offline against the portal's own trust anchor by @riik/xroad's verifyUsageProof (record
 * hash, audit path, RFC 3161 time-stamp, integrity ledger signature). A verified anchoring
 * of a record digest in a batch root cannot become false, so successes are remembered by
 * that pair; failures are asked again next time (the provider may not have finished).
 */
export class AnchorVerifier {
  readonly #source: TrustAnchorSource | undefined;
  #anchor: Promise<XRoadTrustAnchor> | undefined;
  readonly #verified = new Set<string>();

  constructor(source: TrustAnchorSource | undefined) {
    this.#source = source;
  }

  /** The trust anchor, loaded once; a failed load (central server not up) is tried again on the next use. */
  anchor(): Promise<XRoadTrustAnchor> {
    if (!this.#source) return Promise.reject(new Error("the portal has no trust anchor for Data Tracker proofs"));
    if (!this.#anchor) {
      const loading = this.#source();
      loading.catch(() => {
        if (this.#anchor === loading) this.#anchor = undefined;
      });
      this.#anchor = loading;
    }
    return this.#anchor;
  }

  /**
   * Whether the use with record hash `digest`, claimed anchored in batch `root`, is: the proof
   * (fetched only when not already verified) must verify and be about that very record and
   * batch. A refusal says why, for the details view.
   */
  async verify(
    digest: string,
    root: string,
    proof: () => Promise<unknown>,
  ): Promise<{ ok: boolean; problems: string[] }> {
    const key = `${digest} ${root}`;
    if (this.#verified.has(key)) return { ok: true, problems: [] };
    try {
      const document = (await proof()) as {
        use?: { recordHash?: unknown };
        batch?: { statement?: { root?: unknown } };
      };
      if (document?.use?.recordHash !== digest || document.batch?.statement?.root !== root)
        return { ok: false, problems: ["the proof is about another record or batch"] };
      const check = await verifyUsageProof(document, await this.anchor());
      if (check.ok) this.#verified.add(key);
      return { ok: check.ok, problems: check.problems };
    } catch (error) {
      // No anchor, no proof, or not a proof: not verified, which is what the badge then says.
      return { ok: false, problems: [(error as Error).message] };
    }
  }
}
