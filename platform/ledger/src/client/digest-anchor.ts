// A record's digest anchored in the integrity ledger, answered as its keyless signature file
// (riik-ledger-signature/v1 text) that anyone verifies offline against the ledger's key. The
// agencies that chain records (the accident case's steps, the land register's entries) anchor
// each before they store it, and fail the write with their own typed error when the ledger is away.
import { formatSignature } from "../signature/signature-file.ts";
import { LedgerClient } from "./ledger-client.ts";

export interface DigestAnchor {
  anchor(digest: Uint8Array): Promise<string>;
}

/** The ledger at `url`; a failure becomes `unavailable(cause)`, the caller's own error. */
export function ledgerDigestAnchor(url: string, unavailable: (cause: Error) => Error): DigestAnchor {
  const client = new LedgerClient({ url, timeoutMs: 30_000 });
  return {
    async anchor(digest) {
      try {
        return formatSignature(await client.signDigest(digest, "SHA-256"));
      } catch (cause) {
        throw unavailable(cause as Error);
      }
    },
  };
}
