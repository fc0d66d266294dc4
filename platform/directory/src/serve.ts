import { createHttpService, type HttpService } from "@riik/core";
import { CertificateRegistry } from "@riik/pki";
import { Gauge } from "prom-client";
import { Type } from "typebox";
import { DirectoryError, type DirectoryErrorCode } from "./errors.ts";
import { lookupAuthenticationCertificates, toPem } from "./lookup.ts";
import { type Slapd, startSlapd } from "./slapd.ts";
import { DirectorySync, type SyncProgress } from "./sync.ts";

export interface DirectoryServeOptions {
  /** The directory's own state: slapd configuration, database, root secret, cursor (0700). */
  dir: string;
  /** The LDAP port (ldap://127.0.0.1:PORT). */
  port: number;
  /** The HTTP lookup's port; none when undefined. */
  httpPort?: number | undefined;
  /** The trust services' directory (their certificate registry) … */
  pkiDir: string;
  /** … or its PostgreSQL database. */
  databaseUrl?: string | undefined;
  /** How often the journal is read, in milliseconds. */
  intervalMs?: number;
  onProgress?: (progress: SyncProgress) => void;
}

export interface DirectoryServer {
  ldapUrl: string;
  httpUrl: string | undefined;
  slapd: Slapd;
  sync: DirectorySync;
  /** Applies the journal up to now (tests; the loop does this on its own). */
  catchUp(): Promise<void>;
  close(): Promise<void>;
}

/** How often certificates that expired are swept out of the tree. */
const EXPIRY_SWEEP_MS = 60_000;

const ERRORS = {
  DIRECTORY_SLAPD: { status: 500 },
  DIRECTORY_BAD_CODE: { status: 400 },
  DIRECTORY_UNAVAILABLE: { status: 503 },
  DIRECTORY_ARGUMENT: { status: 400 },
} as const satisfies Record<DirectoryErrorCode, { status: number }>;

function lookupService(ldapUrl: string): HttpService {
  const service = createHttpService<DirectoryErrorCode>({ name: "directory", errors: ERRORS });
  service.app.get(
    "/certificates",
    {
      schema: {
        querystring: Type.Object(
          { code: Type.String({ minLength: 11, maxLength: 17, pattern: "^(PNOEE-|EE)?[0-9]{11}$" }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const found = await lookupAuthenticationCertificates(ldapUrl, request.query.code);
      return {
        certificates: found.map((c) => ({ cn: c.cn, der: Buffer.from(c.der).toString("base64"), pem: toPem(c.der) })),
      };
    },
  );
  return service;
}

/** slapd as a child, the registry followed into it, and the HTTP lookup for the portal. */
export async function serveDirectory(options: DirectoryServeOptions): Promise<DirectoryServer> {
  const slapd = await startSlapd({ dir: options.dir, port: options.port });
  let registry: CertificateRegistry | undefined;
  let service: HttpService | undefined;
  try {
    registry = await CertificateRegistry.open({ dataDir: options.pkiDir, url: options.databaseUrl });
    const sync = new DirectorySync({ ...slapd, url: slapd.url, registry, dir: options.dir });
    const progress = new Gauge({
      name: "riik_directory_journal_cursor",
      help: "registry journal position applied",
      registers: [],
    });
    service = options.httpPort === undefined ? undefined : lookupService(slapd.url);
    service?.metrics.registerMetric(progress);
    let running: Promise<void> = Promise.resolve();
    let lastSweep = 0;
    const catchUp = (): Promise<void> => {
      running = running.then(async () => {
        let cursor = 0;
        for (;;) {
          const step = await sync.step();
          cursor = step.cursor;
          progress.set(step.cursor);
          if (step.added + step.removed > 0) options.onProgress?.(step);
          const more = await registry!.statusChanges(step.cursor, 1);
          if (more.length === 0) break;
        }
        // Expiry has no event to wait for, so it is swept for; once a minute is soon enough,
        // and spares the registry a scan at every step of the loop.
        if (Date.now() - lastSweep >= EXPIRY_SWEEP_MS) {
          lastSweep = Date.now();
          const expired = await sync.expire();
          if (expired > 0) options.onProgress?.({ cursor, added: 0, removed: expired });
        }
      });
      return running;
    };
    await catchUp();
    let stopped = false;
    const timer = setInterval(() => {
      catchUp().catch((error) => service?.logger.error({ err: error }, "directory sync step failed"));
    }, options.intervalMs ?? 1000);
    let httpUrl: string | undefined;
    if (service && options.httpPort !== undefined) {
      httpUrl = await service.app.listen({ host: "127.0.0.1", port: options.httpPort });
    }
    return {
      ldapUrl: slapd.url,
      httpUrl,
      slapd,
      sync,
      catchUp,
      async close() {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        await running.catch(() => {});
        await service?.app.close();
        await sync.close();
        await registry?.close();
        await slapd.stop();
      },
    };
  } catch (error) {
    await service?.app.close().catch(() => {});
    await registry?.close().catch(() => {});
    await slapd.stop();
    throw error instanceof DirectoryError
      ? error
      : new DirectoryError("DIRECTORY_UNAVAILABLE", String(error), { cause: error });
  }
}
