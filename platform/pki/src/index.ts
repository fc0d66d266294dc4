import "reflect-metadata";

export {
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  keyAlgorithmOf,
  parseKeyAlgorithm,
  signingHash,
  signingParams,
  subtle,
} from "./algorithms.ts";
export { CertificateAuthority, type IssueRequest } from "./ca/authority.ts";
export { organisationName, type PersonName, personName } from "./ca/names.ts";
export { OID, RIIK_ARC } from "./ca/oids.ts";
export type { CertificatePurpose } from "./ca/profiles.ts";
export {
  caCertificatePath,
  ISSUING_CAS,
  type IssuingCaName,
  initTrustServices,
  openTrustServices,
  type PkiConfig,
  readCertificate,
  type SigningIdentity,
  type TrustServices,
} from "./ca/trust-services.ts";
export { PkiError, type PkiErrorCode } from "./errors.ts";
export {
  type CardFile,
  type CardKeyRole,
  cardCertificate,
  parseCardFile,
  readCardFile,
  unlockCardKey,
  writeCardFile,
} from "./identity/card-file.ts";
export { type CardRequest, issueCard, issueCardFile } from "./identity/issue-card.ts";
export { assertPin, PIN_RULES } from "./identity/pin.ts";
export { FileKeyStore } from "./keystore/file-key-store.ts";
export type { KeyStore } from "./keystore/key-store.ts";
export { buildOcspRequest, checkOcsp, type OcspCheck, ocspUrlOf, verifyOcspResponse } from "./ocsp/client.ts";
export { parseOcspRequest } from "./ocsp/request.ts";
export { OCSP_RESPONSE_STATUS, OcspResponder } from "./ocsp/responder.ts";
export type { OcspCertStatus } from "./ocsp/status.ts";
export {
  type ExtendedKeyUsageName,
  type KeyUsageName,
  PathValidationError,
  type PathValidationOptions,
  type PathValidationReason,
  type ValidatedPath,
  validatePath,
} from "./path/validate-path.ts";
export {
  CertificateRegistry,
  type CertificateRow,
  normaliseSerial,
  REVOCATION_REASONS,
  type RevocationReasonName,
} from "./registry/certificate-registry.ts";
export { startTrustServicesServer } from "./server.ts";
export { TimeStampAuthority } from "./tsa/authority.ts";
export {
  buildTimeStampRequest,
  parseTimeStampResponse,
  requestTimeStamp,
  type TimeStampFailure,
  type TimeStampHash,
  type TimeStampVerification,
  type VerifyTimeStampOptions,
  verifyTimeStampToken,
} from "./tsa/client.ts";
export { parseTimeStampRequest } from "./tsa/request.ts";
export {
  AUTH_TOKEN_FORMAT,
  assertOrigin,
  authTokenSignedData,
  type CreateAuthTokenRequest,
  createAuthToken,
  MAX_TOKEN_LENGTH,
  type ParsedAuthToken,
  parseAuthToken,
  RIIK_APP_VERSION,
  SIGNATURE_ALGORITHMS,
  type SignAuthTokenRequest,
  type SignatureAlgorithm,
  signAuthToken,
  signatureAlgorithmOf,
  type WebEidAuthToken,
} from "./webeid/auth-token.ts";
export {
  assertChallengeNonce,
  type ChallengeNonce,
  generateChallengeNonce,
  MemoryNonceStore,
  type MemoryNonceStoreOptions,
  NONCE_LIFETIME_MS,
  type NonceStore,
  nonceKey,
} from "./webeid/challenge-nonce.ts";
export { WebEidError, type WebEidErrorCode } from "./webeid/errors.ts";
export {
  type AuthenticatedPerson,
  type AuthenticationContext,
  AuthTokenValidator,
  type AuthTokenValidatorOptions,
  type OcspStatusChecker,
} from "./webeid/validator.ts";
