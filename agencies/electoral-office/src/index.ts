export { ElectionArchive, readArchive } from "./belenios/archive.ts";
export { type Ballot, ballotText, ballotTracker, checkBallot, createBallot, parseBallot } from "./belenios/ballot.ts";
export {
  checkPrivateCredential,
  credentialSecret,
  generatePrivateCredential,
  generateUuid,
  publicCredential,
} from "./belenios/credentials.ts";
export {
  type Election,
  electionText,
  fingerprint,
  MAX_ANSWERS,
  parseElection,
  type Question,
} from "./belenios/election.ts";
export { GROUP_NAME } from "./belenios/group.ts";
export { ElectionRecord } from "./belenios/record.ts";
export {
  combinedPublicKey,
  generateSingleTrustee,
  type PedersenTrustee,
  pedersenFinish,
  pedersenStep1,
  pedersenStep3,
  type TrusteeKind,
} from "./belenios/trustees.ts";
export {
  type VerificationReport,
  verifyArchiveGrowth,
  verifyElectionArchive,
  verifyElectionRecord,
} from "./belenios/verify.ts";
export { ELECTORAL_OFFICE_ERRORS, ElectoralOfficeError, type ElectoralOfficeErrorCode } from "./errors.ts";
