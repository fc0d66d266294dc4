// The national authentication service (issue 12): an OpenID Connect provider like TARA and
// GovSSO, with the ID-card login (Web eID) and the app login.

export {
  type AppLoginDb,
  type AppLoginService,
  type AppSide,
  createAppLoginService,
  createEnrolmentCode,
} from "./app-login/index.ts";
export { type AuthenticationRecord, Authentications } from "./authentications.ts";
export { type ClientAuthentication, RelyingParties, type RelyingParty, type RelyingPartyRequest } from "./clients.ts";
export { AUTH_ERRORS, AuthError, type AuthErrorCode } from "./errors.ts";
export type { AssuranceLevel, AuthenticatedIdentity, AuthenticationMethod } from "./identity.ts";
export * from "./mandates/index.ts";
export { AUTH_STORE_MIGRATIONS, type AuthStore, type AuthStoreTables, openAuthStore } from "./open.ts";
export { REPRESENTEE_SCOPE, type RepresenteeList, SCOPES } from "./scopes.ts";
export { type AuthService, type AuthServiceOptions, createAuthService } from "./server.ts";
export { type SigningKeyInfo, SigningKeys } from "./signing-keys.ts";
export { type AuthTables, authMigrations, purgeExpiredModels } from "./storage/index.ts";
