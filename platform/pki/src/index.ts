import "reflect-metadata";

export { type KeyAlgorithm, parseKeyAlgorithm } from "./algorithms.ts";
export { OID } from "./ca/oids.ts";
export {
  caCertificatePath,
  type IssuingCaName,
  initTrustServices,
  openTrustServices,
  readCertificate,
  type TrustServices,
} from "./ca/trust-services.ts";
export { PkiError, type PkiErrorCode } from "./errors.ts";
export { type AppCertificateRequest, issueAppCertificate } from "./identity/app-certificate.ts";
export {
  assertCardFileTarget,
  type CardFile,
  type CardKeyRole,
  cardCertificate,
  cardKeyAgreement,
  readCardFile,
  unlockCardKey,
  writeCardFile,
} from "./identity/card-file.ts";
export { assertPersonNames, type CardRequest, issueCard, issueCardFile } from "./identity/issue-card.ts";
export {
  declareIncident,
  enforceIncidentDeadline,
  holdersToNotify,
  type IncidentCriterion,
  type IncidentDeclaration,
  type IncidentOutcome,
  type IncidentProgress,
  type IncidentReport,
  incidentReport,
  listIncidents,
  recordRenewal,
} from "./incident/incident.ts";
export { RenewalChallenges, type RenewedCertificates, renewCard } from "./incident/renewal.ts";
export { type RemoteRenewal, renewCardRemotely } from "./incident/renewal-client.ts";
export { hasRocaFingerprint, rsaModulus } from "./incident/roca-fingerprint.ts";
export { FileKeyStore } from "./keystore/file-key-store.ts";
export type { KeyStore } from "./keystore/key-store.ts";
export { type Pkcs11Config, Pkcs11KeyStore } from "./keystore/pkcs11-key-store.ts";
export { SigningKey } from "./keystore/signing-key.ts";
export { buildOcspRequest, checkOcsp, type OcspCheck, ocspUrlOf, verifyOcspResponse } from "./ocsp/client.ts";
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
  importAppPublicKey,
  type RegistrationAuthorityAccess,
  readRegistrationAuthorityToken,
  requestAppCertificate,
} from "./ra/app-certificate-client.ts";
export { requestCard, revokeDocument } from "./ra/card-client.ts";
export {
  type CertificateIssued,
  RA_REVOCATION_REASONS,
  type RaCard,
  type RaCardRequest,
  type RaRevocationReason,
} from "./ra/cards.ts";
export {
  DEFAULT_HOURLY_QUOTA,
  DEFAULT_RA_PERMISSIONS,
  parsePermissions,
  RA_PERMISSIONS,
  RegistrationAuthorities,
  type RegistrationAuthority,
  type RegistrationAuthorityPermission,
  registrationAuthorityActor,
} from "./ra/registration-authorities.ts";
export { fetchStatusChanges, STATUS_CHANGES_PAGE, type StatusChange } from "./ra/status-changes.ts";
export {
  CertificateRegistry,
  type CertificateRow,
  normaliseSerial,
  REVOCATION_REASONS,
  type RevocationReasonName,
} from "./registry/certificate-registry.ts";
export { startTrustServicesServer } from "./server.ts";
export {
  buildTimeStampRequest,
  requestTimeStamp,
  type TimeStampFailure,
  type TimeStampHash,
  type TimeStampVerification,
  type VerifyTimeStampOptions,
  verifyTimeStampToken,
} from "./tsa/client.ts";
export {
  assertOrigin,
  type CreateAuthTokenRequest,
  createAuthToken,
  type WebEidAuthToken,
} from "./webeid/auth-token.ts";
export {
  assertChallengeNonce,
  MemoryNonceStore,
  type MemoryNonceStoreOptions,
  type NonceStore,
} from "./webeid/challenge-nonce.ts";
export { WebEidError, type WebEidErrorCode } from "./webeid/errors.ts";
export {
  type AuthenticatedPerson,
  type AuthenticationContext,
  AuthTokenValidator,
  type AuthTokenValidatorOptions,
  type OcspStatusChecker,
} from "./webeid/validator.ts";
