/** A checkpoint as the operator view shows it; signatures are listed, not verified here. */
export interface CheckpointSummary {
  origin: string;
  size: number;
  /** Base64 RFC 6962 root hash. */
  rootHash: string;
  /** Extension lines of the checkpoint body, if any. */
  extensions: string[];
  /** Signer names in order: the log's own key first, then witnesses' cosignatures. */
  signers: string[];
  text: string;
}

/**
 * Reads a C2SP signed note holding a C2SP tlog-checkpoint: the body (origin, decimal tree
 * size, base64 root hash, optional extension lines), a blank line, then one signature line
 * per signer, "— <key name> <base64 signature>" (C2SP signed-note, "Signatures").
 * Returns undefined for text that is not one.
 */
export function parseCheckpointNote(text: string): CheckpointSummary | undefined {
  const split = text.indexOf("\n\n");
  if (split === -1) return undefined;
  const body = text.slice(0, split).split("\n");
  const [origin, sizeText, rootHash, ...extensions] = body;
  if (!origin || !sizeText || !/^(0|[1-9][0-9]{0,18})$/.test(sizeText) || !rootHash) return undefined;
  const signers: string[] = [];
  for (const line of text.slice(split + 2).split("\n")) {
    if (line === "") continue;
    const match = /^\u2014 (\S+) [A-Za-z0-9+/=]+$/.exec(line);
    if (!match?.[1]) return undefined;
    signers.push(match[1]);
  }
  return { origin, size: Number(sizeText), rootHash, extensions, signers, text };
}
