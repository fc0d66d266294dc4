import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { type ImprintAlgorithm, nodeDigestName } from "../aggregator/imprint.ts";

/** Hashes a file by streaming it: only the digest ever leaves the machine. */
export async function hashFile(path: string, algorithm: ImprintAlgorithm = "SHA-256"): Promise<Uint8Array> {
  const hash = createHash(nodeDigestName(algorithm));
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest();
}

export function hashBytes(data: Uint8Array, algorithm: ImprintAlgorithm = "SHA-256"): Uint8Array {
  return createHash(nodeDigestName(algorithm)).update(data).digest();
}
