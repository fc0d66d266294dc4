import { join } from "node:path";
import { openStorage, type Storage } from "@riik/core";
import { Authentications } from "./authentications.ts";
import { RelyingParties } from "./clients.ts";
import { FileKeyStore, SigningKeys } from "./signing-keys.ts";
import { type AuthTables, authMigrations } from "./storage/index.ts";

export interface AuthStore {
  storage: Storage<AuthTables>;
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
  const storage = await openStorage<AuthTables>({
    component: "auth",
    dataDir: dir,
    url: databaseUrl,
    migrations: authMigrations,
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
