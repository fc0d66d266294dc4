// @riik/pki first: it loads the reflect-metadata polyfill that @peculiar/x509 needs at import.
import "@riik/pki";

export {
  type AsicContainer,
  assertSafeName,
  type DataFile,
  readContainer,
  type SignatureFile,
  writeContainer,
} from "./asic/container.ts";
export { ASIC_E_MIMETYPE } from "./asic/manifest.ts";
export { DEFAULT_ZIP_LIMITS, type ZipLimits } from "./asic/zip.ts";
export { SignatureError, type SignatureErrorCode } from "./errors.ts";
export {
  addDataFiles,
  anchorContainer,
  type ContainerAnchor,
  completeSignature,
  createContainer,
  type PendingSignature,
  prepareSignature,
  type SignatureOptions,
  type SignatureResult,
  signContainer,
} from "./sign.ts";
export { cardFileSigner, type DigestAlgorithm, type HashSigner, keyObjectSigner } from "./signer/hash-signer.ts";
export {
  type Finding,
  type FindingCode,
  formatReport,
  type Level,
  type SignatureReport,
  type SignerInfo,
  type ValidationReport,
  type Verdict,
} from "./validate/report.ts";
export { type DocumentSigner, documentSigners, signedDocumentFile } from "./validate/signed-document.ts";
export { signerInfo, type ValidationOptions, validateContainer } from "./validate/validate.ts";
export type { ProductionPlace } from "./xades/qualifying-properties.ts";
