import "reflect-metadata";

export { callManagementApi } from "./central/api-client.ts";
export { centralFiles, initCentral, readCentralConfig, startCentralServer, trustFromPkiDir } from "./central/server.ts";
export { type MessageKeyType, readPrivateKey, signBytes } from "./crypto/keys.ts";
export { HIDDEN_REASON_HEADER, HIDDEN_UNTIL_HEADER } from "./datatracker/capture.ts";
export { USE_BATCH_FORMAT, USE_PROOF_FORMAT } from "./datatracker/store.ts";
export { XRoadError, type XRoadErrorCode, XRoadFault } from "./errors.ts";
export { buildEvidence, EVIDENCE_FORMAT, type EvidenceCheck, verifyEvidence } from "./evidence/evidence.ts";
export {
  trustAnchorFromFiles,
  trustAnchorFromGlobalConf,
  trustAnchorFromState,
  trustAnchorOf,
  type XRoadTrustAnchor,
} from "./evidence/trust.ts";
export { type UsageProofCheck, verifyUsageProof } from "./evidence/usage-proof.ts";
export {
  type ConfigurationAnchor,
  type GlobalConfContent,
  readAnchor,
  type SignedGlobalConf,
  verifyGlobalConf,
} from "./globalconf/document.ts";
export { type Anchor, type AnchorProof, LedgerAnchor, TsaAnchor } from "./messagelog/anchor.ts";
export {
  bodyHash,
  endToEndHeaders,
  remainderOf,
  requestHash,
  requestHead,
  responseHead,
  signingInput,
} from "./protocol/message.ts";
export {
  initSecurityServer,
  loadIdentity,
  readSecurityServerConfig,
  type SecurityServerConfig,
} from "./ss/config.ts";
export { DATA_TRACKER_SERVICE, DEFAULT_SUBJECTS_HEADER, endpointsOf, parseOpenApi } from "./ss/local-conf.ts";
export { startSecurityServer, submitRegistration } from "./ss/server.ts";
