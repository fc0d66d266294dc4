/**
 * The app login (issue 12): a Smart-ID-like app as a web page (`/app`) and the service the
 * OpenID Connect provider calls. The signatures below are the ones built; where they differ
 * from /tmp/h/contract-app-login.md:
 *
 * - `appLoginMigrations` is `Record<string, ComponentMigration>` (core's migration type,
 *   what `openStorage` takes), names prefixed "app-login-".
 * - `createAppLoginService(options)` also needs `issueCertificate` (in the sandbox:
 *   `(request) => issueAppCertificate(trustServices, request)` from @riik/pki), takes
 *   `anchors` (the ESTEID-like CA; or the root with `intermediates`), `ocsp` as the Web eID
 *   validator's ("required" | "off" | checker), `ocspUrl`, `clock`, `timeoutMs` (120 s),
 *   `logger` (why a certificate was refused).
 *   It returns `AppLoginService & AppSide`; the provider uses `start` and `status`.
 * - `start` throws AppLoginError NO_ACCOUNT (nobody enrolled), APP_TOO_MANY_PENDING
 *   (3 logins wait already) and core's PersonalCodeError for a bad code.
 * - `status` answers COMPLETE once; a later call throws APP_SESSION_USED, an unknown id
 *   APP_SESSION_UNKNOWN.
 * - `appLoginPlugin` options are `{ service }`; register it without a prefix so the page is
 *   at `/app`. It answers its own AppLoginError codes (`APP_LOGIN_ERRORS`) and passes any
 *   other error to the host's handler.
 * - Operators create enrolment codes with `createEnrolmentCode(db, { personalCode,
 *   givenName, surname })`: the `riik auth app-enrolment` verb, apps/cli/src/commands/auth-app.ts,
 *   `registerAuthAppCommand(auth, opener)` where the opener opens the auth storage and
 *   returns `{ createEnrolmentCode: (r) => createEnrolmentCode(storage.db, r), close }`.
 */
export { type AppKeyError, generateAppKey, signWithAppKey, unlockAppKey, type WrappedAppKey } from "./app-key.ts";
export {
  type AppCertificateIssuer,
  createEnrolmentCode,
  type EnrolledApp,
  type EnrolmentCode,
  type EnrolmentCodeRequest,
  type EnrolmentRequest,
} from "./enrolment.ts";
export { APP_LOGIN_ERRORS, AppLoginError, type AppLoginErrorCode } from "./errors.ts";
export { type AppLoginPluginOptions, appLoginPlugin } from "./plugin.ts";
export { type AppLoginDb, appLoginMigrations } from "./schema.ts";
export {
  type AppLoginFailure,
  type AppLoginService,
  type AppLoginServiceOptions,
  type AppLoginStarted,
  type AppLoginStatus,
  type AppSide,
  createAppLoginService,
  MAX_PENDING_PER_PERSON,
  type PendingLogin,
} from "./service.ts";
export { verificationCode } from "./verification-code.ts";
