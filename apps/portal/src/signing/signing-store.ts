import { randomBytes } from "node:crypto";
import type { PendingSignature } from "@riik/signature";
import { PortalError } from "../errors.ts";

/** A signature waiting for the browser's SignatureValue; only the server's copy is ever used. */
export interface PendingEntry {
  kind: "pending";
  pending: PendingSignature;
  /** The name the finished container gets. */
  containerName: string;
}

/** A container signed in this session, kept for its download. */
export interface SignedEntry {
  kind: "signed";
  containerName: string;
  bytes: Uint8Array;
}

/** `owner` is the person's code: quotas are per person, whatever number of sessions they open. */
type Entry = (PendingEntry | SignedEntry) & { id: string; owner: string; expiresAt: number; bytes_: number };

export interface SigningStoreOptions {
  /** A pending signature expires this long after it was prepared (default 5 minutes). */
  pendingMs?: number;
  /** A signed container can be downloaded for this long (default 30 minutes). */
  signedMs?: number;
  /** At most this many entries per session; the oldest go first (default 4). */
  perSession?: number;
  /** All sessions together hold at most this many bytes of files and containers (default 256 MiB). */
  maxBytes?: number;
  /** One person, over all their sessions, holds at most this many bytes (default 32 MiB)… */
  perPersonBytes?: number;
  /** …and at most this many entries (default 8). */
  perPersonEntries?: number;
  now?: () => number;
}

/**
 * The signing state of each browser session, in the portal's memory: pending signatures
 * (the prepared container, SignedInfo and certificate) and finished containers. Bounded per
 * session and in total, and expiring, so uploads cannot grow the process without limit; an
 * entry belongs to the session that made it and is looked up by a random id within it.
 */
export class SigningStore {
  readonly #sessions = new Map<string, Map<string, Entry>>();
  readonly #pendingMs: number;
  readonly #signedMs: number;
  readonly #perSession: number;
  readonly #maxBytes: number;
  readonly #perPersonBytes: number;
  readonly #perPersonEntries: number;
  readonly #people = new Map<string, { bytes: number; entries: number }>();
  readonly #now: () => number;
  #bytes = 0;

  constructor(options: SigningStoreOptions = {}) {
    this.#pendingMs = options.pendingMs ?? 5 * 60_000;
    this.#signedMs = options.signedMs ?? 30 * 60_000;
    this.#perSession = options.perSession ?? 4;
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.#perPersonBytes = options.perPersonBytes ?? 32 * 1024 * 1024;
    this.#perPersonEntries = options.perPersonEntries ?? 8;
    this.#now = options.now ?? Date.now;
  }

  /** Bytes held across all sessions. */
  get bytes(): number {
    return this.#bytes;
  }

  put(sessionId: string, owner: string, value: PendingEntry | SignedEntry): string {
    const now = this.#now();
    this.#sweep(now);
    const size =
      value.kind === "pending"
        ? value.pending.container.dataFiles.reduce((n, f) => n + f.data.byteLength, 0) +
          value.pending.container.signatures.reduce((n, s) => n + s.xml.byteLength, 0)
        : value.bytes.byteLength;
    let entries = this.#sessions.get(sessionId);
    if (!entries) {
      entries = new Map();
      this.#sessions.set(sessionId, entries);
    }
    while (entries.size >= this.#perSession) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      this.#remove(sessionId, oldest);
    }
    // Per person before the shared bound (#10), so one citizen cannot fill the store for everyone.
    const person = this.#people.get(owner) ?? { bytes: 0, entries: 0 };
    if (person.entries >= this.#perPersonEntries || person.bytes + size > this.#perPersonBytes)
      throw new PortalError("PORTAL_QUOTA", "you have too many documents being signed; finish or wait for them first", {
        details: { maxBytes: this.#perPersonBytes, maxEntries: this.#perPersonEntries },
      });
    if (this.#bytes + size > this.#maxBytes)
      throw new PortalError("PORTAL_BUSY", "the portal holds too many documents being signed; try again in a while");
    const id = randomBytes(16).toString("base64url");
    const ttl = value.kind === "pending" ? this.#pendingMs : this.#signedMs;
    entries.set(id, { ...value, id, owner, expiresAt: now + ttl, bytes_: size });
    this.#bytes += size;
    this.#people.set(owner, { bytes: person.bytes + size, entries: person.entries + 1 });
    return id;
  }

  /** The live entry `id` of this session, or undefined. */
  get(sessionId: string, id: string): (PendingEntry | SignedEntry) | undefined {
    const entries = this.#sessions.get(sessionId);
    const entry = entries?.get(id);
    if (!entries || !entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#remove(sessionId, id);
      return undefined;
    }
    return entry;
  }

  /** Takes a pending entry out: a prepared signature is completed at most once. */
  take(sessionId: string, id: string): PendingEntry | undefined {
    const entry = this.get(sessionId, id);
    if (entry?.kind !== "pending") return undefined;
    this.#remove(sessionId, id);
    return entry;
  }

  /** Everything of a session (at logout). */
  drop(sessionId: string | undefined): void {
    const entries = sessionId ? this.#sessions.get(sessionId) : undefined;
    if (!entries || !sessionId) return;
    for (const id of [...entries.keys()]) this.#remove(sessionId, id);
  }

  #remove(sessionId: string, id: string): void {
    const entries = this.#sessions.get(sessionId);
    const entry = entries?.get(id);
    if (!entries || !entry) return;
    entries.delete(id);
    this.#bytes -= entry.bytes_;
    const person = this.#people.get(entry.owner);
    if (person && person.entries > 1)
      this.#people.set(entry.owner, { bytes: person.bytes - entry.bytes_, entries: person.entries - 1 });
    else this.#people.delete(entry.owner);
    if (entries.size === 0) this.#sessions.delete(sessionId);
  }

  #sweep(now: number): void {
    for (const [sessionId, entries] of [...this.#sessions])
      for (const [id, entry] of [...entries]) if (entry.expiresAt <= now) this.#remove(sessionId, id);
  }
}
