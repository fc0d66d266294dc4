import "reflect-metadata";

// @riik/xroad's public surface: what the command line and the state's boot use. Everything
// else is internal; tests import the modules themselves.
export { callManagementApi } from "./central/api-client.ts";
export { centralFiles, initCentral, readCentralConfig, startCentralServer } from "./central/server.ts";
// The Data Tracker's hide headers (v3 hiddenUntil): the police app sends them.
export { XRoadError, type XRoadErrorCode } from "./errors.ts";
export { type EvidenceCheck, verifyEvidence } from "./evidence/evidence.ts";
export { trustAnchorOf, type XRoadTrustAnchor } from "./evidence/trust.ts";
export { type UsageProofCheck, verifyUsageProof } from "./evidence/usage-proof.ts";
export {
  initSecurityServer,
  loadIdentity,
  readSecurityServerConfig,
  type SecurityServerConfig,
} from "./ss/config.ts";
export { startSecurityServer, submitRegistration } from "./ss/server.ts";
