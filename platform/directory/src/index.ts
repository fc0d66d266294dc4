export { DirectoryError, type DirectoryErrorCode } from "./errors.ts";
export { type DirectoryCertificate, lookupAuthenticationCertificates, personalCodeOf, toPem } from "./lookup.ts";
export { type DirectoryServer, serveDirectory } from "./serve.ts";
export { prepareSlapd, ROOT_DN, type Slapd, startSlapd } from "./slapd.ts";
export { CursorFile, DirectorySync, SYNC_BATCH, type SyncProgress } from "./sync.ts";
export * from "./tree.ts";
