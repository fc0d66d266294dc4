// @riik/ledger: the integrity ledger. KSI-style keyless signatures on the open formats of
// transparency logs (RFC 6962, C2SP signed-note, tlog-checkpoint, tlog-cosignature,
// tlog-witness, tlog-tiles). This is the whole public surface; other packages import only this.

export type { Imprint, ImprintAlgorithm } from "./aggregator/imprint.ts";
export { type CalendarLeaf, decodeCalendarLeaf, encodeCalendarLeaf } from "./calendar/leaf.ts";
export { CheckpointMonitor, type MonitorOptions } from "./client/checkpoint-monitor.ts";
export { type DigestAnchor, ledgerDigestAnchor } from "./client/digest-anchor.ts";
export { LedgerClient, type LedgerClientOptions } from "./client/ledger-client.ts";
export { isLedgerError, LedgerError, type LedgerErrorCode } from "./errors.ts";
export { verifyConsistency } from "./merkle/consistency.ts";
export { leafHash, nodeHash } from "./merkle/hash.ts";
export { rootFromInclusionProof, verifyInclusion } from "./merkle/inclusion.ts";
export { MerkleLog } from "./merkle/tree.ts";
export { type Checkpoint, formatCheckpoint, parseCheckpoint } from "./note/checkpoint.ts";
export { cosign, countCosignatures, verifyCosignature } from "./note/cosignature.ts";
export { type LedgerTokenKey, loadOrCreateSigner, readTokenKey, writeTokenKey } from "./note/key-file.ts";
export { parseNote, type SignedNote, signNote, verifyNote } from "./note/signed-note.ts";
export {
  type FileNoteSigner,
  generateSigner,
  type NoteSigner,
  parseSigner,
  parseVerifierKey,
  parseVerifierKeys,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  SIGNATURE_TYPE_ED25519,
  tokenSigner,
  type VerifierKey,
} from "./note/verifier-key.ts";
export { decodePublicationCode, encodePublicationCode, type Publication } from "./publication/publication-code.ts";
export { type PublicationsFile, parsePublicationsFile } from "./publication/publications-file.ts";
export { createLedgerServer, type LedgerServer, type LedgerServerOptions } from "./server.ts";
export { hashBytes, hashFile } from "./signature/document.ts";
export { applyExtension, type Extension } from "./signature/extend.ts";
export { formatSignature, type LedgerSignature, parseSignature } from "./signature/signature-file.ts";
export { type VerificationPolicy, type VerificationReport, verifySignature } from "./signature/verify.ts";
export { createWitnessService } from "./witness/server.ts";
export { Witness, type WitnessOptions } from "./witness/witness.ts";
