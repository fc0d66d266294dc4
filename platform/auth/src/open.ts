import { join } from "node:path";
import { openStorage, type Storage } from "@riik/core";
import { FileKeyStore } from "@riik/pki";
import { type AppLoginDb, appLoginMigrations } from "./app-login/index.ts";
import { Authentications } from "./authentications.ts";
import { RelyingParties } from "./clients.ts";
import { SigningKeys } from "./signing-keys.ts";
import { type AuthTables, authMigrations } from "./storage/index.ts";

/** The provider's tables and the app login's, in one store with both migrations. */
export type AuthStoreTables = AuthTables & AppLoginDb;
export const AUTH_STORE_MIGRATIONS = { ...authMigrations, ...appLoginMigrations };

export interface AuthStore {
  storage: Storage<AuthStoreTables>;
  clients: RelyingParties;
  keys: SigningKeys;
  authentications: Authentications;
  keyStore: FileKeyStore;
  close(): Promise<void>;
}

/**
 * The auth service's storage and signing keys in DIR (keys in DIR/keys, encrypted as the
 * pki key store writes them), or its storage on PostgreSQL with `databaseUrl`: what
 * `riik auth serve` and the administration verbs (`client`, `keys`) both open.
 */
export async function openAuthStore(dir: string, databaseUrl?: string): Promise<AuthStore> {
  const storage = await openStorage<AuthStoreTables>({
    component: "auth",
    dataDir: dir,
    url: databaseUrl,
    migrations: AUTH_STORE_MIGRATIONS,
  });
  const keyStore = FileKeyStore.open(join(dir, "keys"), { create: true });
  return {
    storage,
    keyStore,
    clients: new RelyingParties(storage.db),
    keys: new SigningKeys(storage.db, keyStore),
    authentications: new Authentications(storage.db),
    close: () => storage.close(),
  };
}
