export { type Capsule, type CapsuleType, parseCapsule } from "./capsule-server/capsule.ts";
export { CapsuleStore } from "./capsule-server/capsule-store.ts";
export { type CapsuleServer, type CapsuleServerOptions, serveCapsuleServer } from "./capsule-server/serve.ts";
export {
  cardPublicKey,
  containerInfo,
  DEFAULT_MAX_OUTPUT_BYTES,
  type DecryptionKey,
  type DecryptOptions,
  decryptFile,
  type EncryptionRecipient,
  encryptFiles,
  type RecipientSummary,
  readContainerHeader,
} from "./container.ts";
export { type ParsedContainer, parseContainer } from "./envelope.ts";
export { CDOC_ERROR_CATALOGUE, CdocError, type CdocErrorCode } from "./errors.ts";
export type { KeyServerRecipient, Recipient } from "./header.ts";
export { displayLabel, formatKeyLabel, parseKeyLabel } from "./key-label.ts";
export { certificateRecipient } from "./recipients/certificate.ts";
export { tlsPoint } from "./recipients/ecc-public-key.ts";
export {
  type ClientCredentials,
  fetchCapsule,
  KEY_SERVER_CONFIG,
  type KeyServerConfig,
  readKeyServerConfig,
  storeCapsule,
} from "./recipients/key-server.ts";
export { PBKDF2_ITERATIONS } from "./recipients/password.ts";
