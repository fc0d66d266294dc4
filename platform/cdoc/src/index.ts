export {
  cardPublicKey,
  containerInfo,
  DEFAULT_MAX_OUTPUT_BYTES,
  type DecryptionKey,
  type DecryptOptions,
  decryptFile,
  type EncryptionRecipient,
  encryptFiles,
  type ParsedContainer,
  parseContainer,
  type RecipientSummary,
  readContainerHeader,
} from "./container.ts";
export { CdocError, type CdocErrorCode } from "./errors.ts";
export type { Recipient } from "./header.ts";
export { displayLabel, formatKeyLabel, parseKeyLabel } from "./key-label.ts";
export { PBKDF2_ITERATIONS } from "./recipients/password.ts";
