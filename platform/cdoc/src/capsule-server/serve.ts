// `riik cdoc capsule-server serve`: storage, TLS identity, both sides listening, and the job
// that deletes expired capsules (the reference's ExpiredCapsuleCleanUpJob).
import { join } from "node:path";
import { privateDirectory, writeFileAtomic } from "@riik/core";
import { caCertificatePath } from "@riik/pki";
import { CdocError } from "../errors.ts";
import type { KeyServerConfig } from "../recipients/key-server.ts";
import { CapsuleStore } from "./capsule-store.ts";
import { createCapsuleServices } from "./server.ts";
import { readAnchors, serverTls } from "./tls.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** The reference's key-capsule.default-expiration-duration (P1095D) and max-expiration-duration (P1825D). */
export const DEFAULT_EXPIRY_DAYS = 1095;
export const MAX_EXPIRY_DAYS = 1825;
export const DEFAULT_RATE_LIMIT = 60;
export const DEFAULT_RATE_WINDOW_SECONDS = 60;

export interface CapsuleServerOptions {
  /** State: SQLite database (unless `databaseUrl`), TLS key and certificate, key-server.json. */
  dir: string;
  /** The trust services: the server CA issues the TLS certificate; its ESTEID CA is the client trust anchor. */
  pkiDir: string;
  pkiDatabaseUrl?: string | undefined;
  /** Senders' side (POST) and recipients' side (GET, mutual TLS). */
  port: number;
  getPort: number;
  host?: string;
  databaseUrl?: string | undefined;
  /** PostgreSQL schema (tests isolate themselves this way). */
  databaseSchema?: string;
  /** The key server id written into containers (KeyServerCapsule.keyserver_id). */
  serverId?: string;
  /** More client trust anchors (PEM files) besides the trust services' ESTEID CA. */
  clientCas?: readonly string[];
  defaultExpiryDays?: number;
  maxExpiryDays?: number;
  /** POSTs one address may make per window. */
  rateLimit?: number;
  rateWindowSeconds?: number;
  purgeIntervalMs?: number;
  now?: () => Date;
}

export interface CapsuleServer {
  putUrl: string;
  getUrl: string;
  /** What senders and recipients need to use this server (also written to DIR/key-server.json). */
  client: KeyServerConfig;
  store: CapsuleStore;
  close(): Promise<void>;
}

export async function serveCapsuleServer(options: CapsuleServerOptions): Promise<CapsuleServer> {
  const host = options.host ?? "127.0.0.1";
  const defaultExpiryDays = options.defaultExpiryDays ?? DEFAULT_EXPIRY_DAYS;
  const maxExpiryDays = options.maxExpiryDays ?? MAX_EXPIRY_DAYS;
  if (defaultExpiryDays > maxExpiryDays)
    throw new CdocError(
      "CDOC_ARGUMENT",
      `the default expiry (${defaultExpiryDays} days) exceeds the maximum (${maxExpiryDays})`,
    );
  privateDirectory(options.dir);
  const tls = await serverTls({
    dir: options.dir,
    pkiDir: options.pkiDir,
    host,
    pkiDatabaseUrl: options.pkiDatabaseUrl,
  });
  const clientAnchors = readAnchors([caCertificatePath(options.pkiDir, "esteid"), ...(options.clientCas ?? [])]);
  const store = await CapsuleStore.open({
    dataDir: options.dir,
    url: options.databaseUrl,
    ...(options.databaseSchema ? { schema: options.databaseSchema } : {}),
  });
  const rateLimit = {
    max: options.rateLimit ?? DEFAULT_RATE_LIMIT,
    windowMs: (options.rateWindowSeconds ?? DEFAULT_RATE_WINDOW_SECONDS) * 1000,
  };
  const { put, get } = createCapsuleServices({
    store,
    tls,
    clientAnchors,
    defaultExpiryMs: defaultExpiryDays * DAY_MS,
    maxExpiryMs: maxExpiryDays * DAY_MS,
    rateLimit,
    ...(options.now ? { now: options.now } : {}),
  });
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  try {
    const putUrl = (await put.app.listen({ host, port: options.port })).replace("[::1]", "127.0.0.1");
    const getUrl = (await get.app.listen({ host, port: options.getPort })).replace("[::1]", "127.0.0.1");
    const client: KeyServerConfig = { id: options.serverId ?? "riik", postUrl: putUrl, getUrl, ca: tls.ca };
    writeFileAtomic(join(options.dir, "key-server.json"), `${JSON.stringify(client, null, 2)}\n`);
    const purge = () =>
      store
        .purge(now(), rateLimit.windowMs)
        .then((deleted) => {
          if (deleted > 0) put.logger.info({ deleted }, "expired capsules deleted");
        })
        .catch((error) => put.logger.error({ err: error }, "deleting expired capsules failed"));
    await purge();
    timer = setInterval(purge, options.purgeIntervalMs ?? 5 * 60 * 1000);
    timer.unref();
    put.logger.info({ putUrl, getUrl, storage: store.storage.location }, "CDOC2 capsule server listening");
    return {
      putUrl,
      getUrl,
      client,
      store,
      async close() {
        clearInterval(timer);
        await put.app.close();
        await get.app.close();
        await store.close();
      },
    };
  } catch (error) {
    clearInterval(timer);
    await put.app.close().catch(() => {});
    await get.app.close().catch(() => {});
    await store.close();
    throw error;
  }
}
