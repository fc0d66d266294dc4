import { randomBytes } from "node:crypto";

export interface ChallengeStoreOptions {
  /** A challenge is good for this long (the Web eID nonce lifetime). */
  ttlMs: number;
  /** At most this many challenges in all; the oldest challenge goes first, never a session. */
  maxEntries?: number;
  /** At most this many open challenges per client address; that client's oldest goes first. */
  perClient?: number;
  now?: () => number;
}

interface Challenge {
  readonly nonce: string;
  readonly client: string;
  readonly expiresAt: number;
}

/**
 * Login challenges apart from sessions (#10): anonymous `GET /api/auth/challenge` may only
 * push out other challenges, so a flood cannot evict a logged-in session, and one address
 * can hold only a few, so it cannot push out everyone else's either.
 */
export class ChallengeStore {
  readonly #challenges = new Map<string, Challenge>();
  readonly #byClient = new Map<string, string[]>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #perClient: number;
  readonly #now: () => number;

  constructor(options: ChallengeStoreOptions) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#perClient = options.perClient ?? 8;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#challenges.size;
  }

  /** Keeps a nonce for a client address; the id goes in the challenge cookie. */
  put(client: string, nonce: string): string {
    const now = this.#now();
    // Map order is oldest first, so the sweep stops at the first live challenge.
    for (const [id, challenge] of this.#challenges) {
      if (challenge.expiresAt > now) break;
      this.#delete(id);
    }
    for (let mine = this.#byClient.get(client); mine && mine.length >= this.#perClient; ) {
      this.#delete(mine[0] as string);
      mine = this.#byClient.get(client);
    }
    while (this.#challenges.size >= this.#maxEntries) {
      const oldest = this.#challenges.keys().next().value;
      if (oldest === undefined) break;
      this.#delete(oldest);
    }
    const id = randomBytes(32).toString("base64url");
    this.#challenges.set(id, { nonce, client, expiresAt: now + this.#ttlMs });
    this.#byClient.set(client, [...(this.#byClient.get(client) ?? []), id]);
    return id;
  }

  /** The nonce of this challenge, removed (one login per challenge), or undefined. */
  take(id: string | undefined): string | undefined {
    if (!id || id.length > 64) return undefined;
    const challenge = this.#challenges.get(id);
    if (!challenge) return undefined;
    this.#delete(id);
    return challenge.expiresAt > this.#now() ? challenge.nonce : undefined;
  }

  #delete(id: string): void {
    const challenge = this.#challenges.get(id);
    if (!challenge) return;
    this.#challenges.delete(id);
    const rest = (this.#byClient.get(challenge.client) ?? []).filter((other) => other !== id);
    if (rest.length === 0) this.#byClient.delete(challenge.client);
    else this.#byClient.set(challenge.client, rest);
  }
}
