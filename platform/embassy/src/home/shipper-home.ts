import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "@riik/core";
import { readMasterKeyFile, writeMasterKeyFile } from "../crypto/master-key.ts";
import { issueTlsIdentity, type TlsFiles } from "../crypto/tls-identity.ts";

export interface ShipperHomeOptions {
  /** The home directory (`riik embassy init --dir`). */
  dir: string;
  /** The trust-services directory whose server CA issues the client certificate. */
  pkiDir: string;
  /** The ledger's verifier key, copied to DIR/ledger.vkey. */
  ledgerKey?: string | undefined;
  /** The client certificate's common name (default riik-embassy-shipper). */
  commonName?: string | undefined;
  /** The trust services' PostgreSQL URL, when they keep their data there. */
  databaseUrl?: string | undefined;
}

export interface ShipperHome {
  masterKey: string;
  masterKeyId: string;
  tls: TlsFiles;
  ledgerKey?: string;
}

/**
 * `riik embassy init`: the home side of a data embassy, DIR/master.key (0600) and a TLS
 * client certificate from the server CA. Run again it keeps the master key and certificate
 * it finds, so a start interrupted half-way can run it once more.
 */
export async function initShipperHome(options: ShipperHomeOptions): Promise<ShipperHome> {
  const dir = resolve(options.dir);
  const masterKey = join(dir, "master.key");
  const master = existsSync(masterKey) ? readMasterKeyFile(masterKey) : writeMasterKeyFile(masterKey);
  const tls = await issueTlsIdentity({
    dir,
    pkiDir: options.pkiDir,
    name: "client",
    commonName: options.commonName ?? "riik-embassy-shipper",
    databaseUrl: options.databaseUrl,
  });
  if (options.ledgerKey === undefined) return { masterKey, masterKeyId: master.id, tls };
  const ledgerKey = join(dir, "ledger.vkey");
  writeFileAtomic(ledgerKey, readFileSync(options.ledgerKey));
  return { masterKey, masterKeyId: master.id, tls, ledgerKey };
}
