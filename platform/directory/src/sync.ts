import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CertificateRegistry, CertificateRow } from "@riik/pki";
import { Attribute, Change, Client } from "ldapts";
import {
  authenticationDn,
  DOCUMENT_ORGANISATION,
  type DocumentKind,
  documentKind,
  entryDn,
  semanticsIdentifier,
} from "./tree.ts";

/** Work per step: at most this many registry events are applied before the cursor is saved. */
export const SYNC_BATCH = 500;
const PURPOSE = "id-authentication";

export interface SyncProgress {
  cursor: number;
  added: number;
  removed: number;
}

/** The cursor into the registry's change journal (certificate_event.id), kept in DIR/cursor.json (0600). */
export class CursorFile {
  constructor(readonly file: string) {}
  static in(dir: string): CursorFile {
    return new CursorFile(join(dir, "cursor.json"));
  }
  read(): number | undefined {
    if (!existsSync(this.file)) return undefined;
    const value = (JSON.parse(readFileSync(this.file, "utf8")) as { cursor?: unknown }).cursor;
    return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
  }
  write(cursor: number): void {
    writeFileSync(`${this.file}.tmp`, JSON.stringify({ cursor }), { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
  }
}

function commonName(row: CertificateRow): string {
  const cn = /(?:^|,\s*)CN=((?:\\.|[^,])*)/.exec(row.subject)?.[1];
  return (cn ?? row.personal_code ?? row.serial).replace(/\\(.)/g, "$1");
}

/** Writes registry changes into slapd as its root DN. */
export class DirectorySync {
  readonly #client: Client;
  readonly #registry: CertificateRegistry;
  readonly #cursor: CursorFile;
  readonly #bind: { dn: string; password: string };
  #bound = false;
  /** Certificates that expired up to this time (ISO 8601) are gone from the tree. */
  #expiredUpTo: string | undefined;

  constructor(options: {
    url: string;
    rootDn: string;
    rootPassword: string;
    registry: CertificateRegistry;
    dir: string;
  }) {
    this.#client = new Client({ url: options.url, timeout: 10_000 });
    this.#registry = options.registry;
    this.#cursor = CursorFile.in(options.dir);
    this.#bind = { dn: options.rootDn, password: options.rootPassword };
  }

  async #connected(): Promise<Client> {
    if (!this.#bound) {
      await this.#client.bind(this.#bind.dn, this.#bind.password);
      this.#bound = true;
    }
    return this.#client;
  }

  async #put(row: CertificateRow): Promise<boolean> {
    if (row.purpose !== PURPOSE || !row.personal_code || row.status !== "good") return false;
    if (new Date(row.not_after).getTime() < Date.now()) return false;
    const client = await this.#connected();
    const kind = documentKind(row.subject, row.document_number);
    const cn = commonName(row);
    const dn = entryDn(kind, cn, row.serial);
    try {
      await client.add(dn, [
        new Attribute({ type: "objectClass", values: ["inetOrgPerson", "extensibleObject"] }),
        new Attribute({ type: "cn", values: [cn] }),
        new Attribute({ type: "sn", values: [cn.split(",")[0] ?? cn] }),
        new Attribute({ type: "uid", values: [row.serial] }),
        new Attribute({ type: "serialNumber", values: [semanticsIdentifier(row.personal_code)] }),
        new Attribute({ type: "userCertificate;binary", values: [Buffer.from(row.der)] }),
      ]);
    } catch (error) {
      if ((error as { code?: number }).code !== 68) throw error; // entryAlreadyExists (RFC 4511 A.2)
      await client.modify(dn, [
        new Change({
          operation: "replace",
          modification: new Attribute({ type: "userCertificate;binary", values: [Buffer.from(row.der)] }),
        }),
      ]);
    }
    return true;
  }

  async #remove(serial: string): Promise<boolean> {
    const client = await this.#connected();
    let removed = false;
    for (const kind of Object.keys(DOCUMENT_ORGANISATION) as DocumentKind[]) {
      const { searchEntries } = await client.search(authenticationDn(kind), {
        scope: "one",
        filter: `(uid=${serial.replace(/[^0-9a-f]/g, "")})`,
        attributes: ["dn"],
      });
      for (const entry of searchEntries) {
        await client.del(entry.dn);
        removed = true;
      }
    }
    return removed;
  }

  /**
   * Full reconcile at start when there is no cursor: every valid authentication certificate,
   * in pages of SYNC_BATCH; the cursor is set to the journal's end as read before the load.
   */
  async reconcile(onProgress?: (progress: SyncProgress) => void): Promise<SyncProgress> {
    const last = await this.#registry.db
      .selectFrom("certificate_event")
      .select((eb) => eb.fn.max("id").as("last"))
      .executeTakeFirst();
    const cursor = Number(last?.last ?? 0);
    const progress: SyncProgress = { cursor, added: 0, removed: 0 };
    let offset = 0;
    for (;;) {
      const rows = await this.#registry.db
        .selectFrom("certificate")
        .selectAll()
        .where("purpose", "=", PURPOSE)
        .where("status", "=", "good")
        .orderBy("issuer")
        .orderBy("serial")
        .limit(SYNC_BATCH)
        .offset(offset)
        .execute();
      for (const row of rows) if (await this.#put(row)) progress.added++;
      offset += rows.length;
      onProgress?.({ ...progress });
      if (rows.length < SYNC_BATCH) break;
    }
    this.#cursor.write(cursor);
    return progress;
  }

  /** Applies the journal's events after the saved cursor, at most SYNC_BATCH, and saves the cursor. */
  async step(): Promise<SyncProgress> {
    const start = this.#cursor.read();
    if (start === undefined) return this.reconcile();
    const progress: SyncProgress = { cursor: start, added: 0, removed: 0 };
    const changes = await this.#registry.statusChanges(start, SYNC_BATCH);
    for (const change of changes) {
      if (change.purpose === PURPOSE) {
        if (change.event === "issued" || change.event === "resumed") {
          const row = await this.#registry.find(change.issuer, change.serial);
          if (row && (await this.#put(row))) progress.added++;
        } else if (await this.#remove(change.serial)) progress.removed++;
      }
      progress.cursor = change.id;
    }
    if (changes.length > 0) this.#cursor.write(progress.cursor);
    return progress;
  }

  /**
   * Removes the entries of certificates that expired since the last sweep (an expiry is no event
   * in the journal), at most SYNC_BATCH a call: the directory holds valid certificates only.
   */
  async expire(now = new Date()): Promise<number> {
    const upTo = now.toISOString();
    if (this.#expiredUpTo !== undefined && upTo <= this.#expiredUpTo) return 0;
    let query = this.#registry.db
      .selectFrom("certificate")
      .select(["serial", "not_after"])
      .where("purpose", "=", PURPOSE)
      .where("status", "=", "good")
      .where("not_after", "<=", upTo);
    if (this.#expiredUpTo !== undefined) query = query.where("not_after", ">", this.#expiredUpTo);
    const rows = await query.orderBy("not_after").limit(SYNC_BATCH).execute();
    let removed = 0;
    for (const row of rows) if (await this.#remove(row.serial)) removed++;
    this.#expiredUpTo = rows.length === SYNC_BATCH ? rows.at(-1)?.not_after : upTo;
    return removed;
  }

  async close(): Promise<void> {
    await this.#client.unbind().catch(() => {});
  }
}
