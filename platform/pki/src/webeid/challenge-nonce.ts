import { createHash, randomBytes } from "node:crypto";
import { WebEidError } from "./errors.ts";

/**
 * Web eID challenge nonces. The architecture document (README, "Glossary" and
 * "Authentication" step 3) asks for a large random number used only once, with at least
 * 256 bits of entropy, base64-encoded; the browser extension and the native application
 * refuse nonces shorter than 44 characters (base64 of 256 bits). Its last paragraph on
 * authentication: the server keeps each nonce with its issuing time, removes it on lookup so
 * that it is used once, and refuses it after its lifetime, 5 minutes as recommended.
 */
export const NONCE_BYTES = 32;
export const MIN_NONCE_LENGTH = 44;
/** Longer nonces are refused before any hashing: no honest server issues them. */
export const MAX_NONCE_LENGTH = 256;
export const NONCE_LIFETIME_MS = 5 * 60 * 1000;

export interface ChallengeNonce {
  /** The base64 string the browser receives; its UTF-8 bytes are what is hashed and signed. */
  readonly value: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/**
 * Where a service keeps the nonces it issued. Implementations must make `consume` atomic:
 * of two concurrent calls with the same nonce, exactly one may succeed, across every
 * instance of the service (a storage-backed store does this with one conditional UPDATE …
 * WHERE consumed_at IS NULL). Key records by `nonceKey(value)`, never by the nonce itself,
 * so that lookups compare hashes rather than the secret and a leaked table replays nothing.
 */
export interface NonceStore {
  /** Generates a fresh nonce, records it with its issuing time, and returns it. */
  issue(): Promise<ChallengeNonce>;
  /**
   * Marks the nonce used and returns it. Refuses with WEBEID_NONCE_UNKNOWN (never issued, or
   * forgotten), WEBEID_NONCE_REUSED (already consumed), WEBEID_NONCE_EXPIRED (past its
   * lifetime; it is consumed all the same).
   */
  consume(value: string): Promise<ChallengeNonce>;
}

/** 256 random bits, base64 (RFC 4648 section 4, with padding): 44 characters. */
export function generateChallengeNonce(): string {
  return randomBytes(NONCE_BYTES).toString("base64");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A nonce as the Web eID application accepts it: base64 of at least 256 bits. */
export function assertChallengeNonce(value: unknown, name = "nonce"): asserts value is string {
  if (typeof value !== "string")
    throw new WebEidError("WEBEID_NONCE_FORMAT", `${name} must be a string`, { details: { fields: [name] } });
  if (value.length < MIN_NONCE_LENGTH || value.length > MAX_NONCE_LENGTH || !BASE64.test(value))
    throw new WebEidError(
      "WEBEID_NONCE_FORMAT",
      `${name} must be base64 of at least 256 bits (${MIN_NONCE_LENGTH}-${MAX_NONCE_LENGTH} characters)`,
      { details: { fields: [name] } },
    );
}

/** The lookup key of a nonce: SHA-256 of its UTF-8 bytes, hex. */
export function nonceKey(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

export interface MemoryNonceStoreOptions {
  /** How long a nonce may be used after it is issued; 5 minutes by default. */
  lifetimeMs?: number;
  /** At most this many nonces (issued and recently used) are kept; the oldest go first. */
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => Date;
}

interface Entry {
  issuedAt: number;
  expiresAt: number;
  consumed: boolean;
}

/**
 * A nonce store in the memory of one process: enough for one portal instance or the
 * sandbox. Nonces are remembered until two lifetimes after issue, so a replay is told apart
 * as WEBEID_NONCE_REUSED and a late answer as WEBEID_NONCE_EXPIRED; later either is
 * WEBEID_NONCE_UNKNOWN. When full, the oldest nonce is forgotten, so a flood of challenge
 * requests costs bounded memory and at worst fails the oldest pending logins as unknown.
 */
export class MemoryNonceStore implements NonceStore {
  readonly #entries = new Map<string, Entry>();
  readonly #lifetimeMs: number;
  readonly #maxEntries: number;
  readonly #now: () => Date;

  constructor(options: MemoryNonceStoreOptions = {}) {
    const lifetimeMs = options.lifetimeMs ?? NONCE_LIFETIME_MS;
    const maxEntries = options.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(lifetimeMs) || lifetimeMs <= 0)
      throw new WebEidError("WEBEID_ARGUMENT", "lifetimeMs must be a positive integer");
    if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0)
      throw new WebEidError("WEBEID_ARGUMENT", "maxEntries must be a positive integer");
    this.#lifetimeMs = lifetimeMs;
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? (() => new Date());
  }

  /** Nonces currently remembered (pending and recently used). */
  get size(): number {
    return this.#entries.size;
  }

  async issue(): Promise<ChallengeNonce> {
    const now = this.#now().getTime();
    this.#purge(now);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    const value = generateChallengeNonce();
    const entry: Entry = { issuedAt: now, expiresAt: now + this.#lifetimeMs, consumed: false };
    this.#entries.set(nonceKey(value), entry);
    return toNonce(value, entry);
  }

  async consume(value: string): Promise<ChallengeNonce> {
    if (typeof value !== "string" || value.length > MAX_NONCE_LENGTH)
      throw new WebEidError("WEBEID_NONCE_UNKNOWN", "the challenge nonce was not issued here");
    const entry = this.#entries.get(nonceKey(value));
    if (!entry)
      throw new WebEidError("WEBEID_NONCE_UNKNOWN", "the challenge nonce was not issued here, or is forgotten");
    if (entry.consumed) throw new WebEidError("WEBEID_NONCE_REUSED", "the challenge nonce was already used");
    entry.consumed = true;
    if (this.#now().getTime() > entry.expiresAt)
      throw new WebEidError(
        "WEBEID_NONCE_EXPIRED",
        `the challenge nonce expired at ${new Date(entry.expiresAt).toISOString()}; ask for a new one`,
      );
    return toNonce(value, entry);
  }

  /**
   * Forgets entries one lifetime after they expired (until then a late or replayed nonce is
   * told apart as expired or reused); insertion order is issuing order, so stop at the first kept.
   */
  #purge(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt + this.#lifetimeMs >= now) break;
      this.#entries.delete(key);
    }
  }
}

function toNonce(value: string, entry: Entry): ChallengeNonce {
  return Object.freeze({ value, issuedAt: new Date(entry.issuedAt), expiresAt: new Date(entry.expiresAt) });
}
