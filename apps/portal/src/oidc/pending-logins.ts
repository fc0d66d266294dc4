import { randomBytes } from "node:crypto";
import type { AuthorizationRequest } from "./relying-party.ts";

interface Pending {
  readonly request: AuthorizationRequest;
  readonly expiresAt: number;
}

/**
 * Logins under way: the state, nonce and PKCE verifier of each authorization request, kept
 * on the server under a random id in the browser's login cookie until the browser comes back
 * (one use). Bounded, the oldest going first, so anonymous starts cannot grow it; sessions
 * are elsewhere and never evicted by it.
 */
export class PendingLogins {
  readonly #pending = new Map<string, Pending>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { ttlMs: number; maxEntries?: number; now?: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#pending.size;
  }

  put(request: AuthorizationRequest): string {
    const now = this.#now();
    for (const [id, pending] of this.#pending) {
      if (pending.expiresAt > now && this.#pending.size < this.#maxEntries) break;
      this.#pending.delete(id);
    }
    const id = randomBytes(32).toString("base64url");
    this.#pending.set(id, { request, expiresAt: now + this.#ttlMs });
    return id;
  }

  /** The request of this id, removed (one return per login), or undefined when unknown or expired. */
  take(id: string | undefined): AuthorizationRequest | undefined {
    if (!id || id.length > 64) return undefined;
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    return pending && pending.expiresAt > this.#now() ? pending.request : undefined;
  }
}
