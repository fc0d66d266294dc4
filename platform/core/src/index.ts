export * from "./crypto/digest.ts";
export { CanonicalJsonError, canonicalJson } from "./encoding/canonical-json.ts";
export { isRiikError, RiikError } from "./errors.ts";
export * from "./identity/personal-code.ts";
export * from "./service/http-service.ts";
export * from "./storage/change-journal.ts";
export * from "./storage/owner-only-files.ts";
export * from "./storage/storage.ts";
export * from "./xroad/identifier.ts";
