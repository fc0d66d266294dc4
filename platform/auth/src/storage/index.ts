export { type AuthTables, authMigrations } from "./migrations.ts";
export { purgeExpiredModels, StorageAdapter } from "./oidc-adapter.ts";
export { WebEidChallenges } from "./webeid-challenges.ts";
