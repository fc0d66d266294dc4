import { randomBytes } from "node:crypto";
import type { Representees } from "../web/api-types.ts";

/** The person a session speaks for, from the authentication service's validated ID token. */
export interface SessionPerson {
  readonly personalCode: string;
  readonly givenName: string;
  readonly surname: string;
}

/** The login at the authentication service a session rests on. */
export interface SessionLogin {
  /** The provider's session id: a back-channel logout for it ends this session. */
  readonly sid: string;
  /** For RP-initiated logout's id_token_hint. */
  readonly idToken: string;
  readonly acr: string;
  readonly amr: readonly string[];
  /** Whom the person may act for, as the provider told it at login (scope representee_list). */
  readonly representees?: Representees;
  /** The provider's refresh token (rotated at each use) and when the login was last extended. */
  refreshToken?: string;
  refreshedAt: number;
}

export interface ActingFor {
  readonly sub: string;
  /** The person's personal code, or the company's registry code (`sub` without its country prefix). */
  readonly personalCode: string;
  readonly name: string;
  readonly type: "NATURAL_PERSON" | "LEGAL_PERSON";
}

export interface Session {
  readonly id: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** Absent until login succeeds. */
  person?: SessionPerson;
  /**
   * The party the person acts for (GovSSO representee), when they chose one: a person
   * (`personalCode`) or a company (`type` LEGAL_PERSON, `personalCode` then its registry code).
   */
  actingFor?: ActingFor;
  login?: SessionLogin;
}

export interface MemorySessionStoreOptions {
  /** A session ends this long after its last request. */
  idleMs: number;
  /** …and at the latest this long after it was created, whatever the activity. */
  maxAgeMs?: number;
  /** At most this many sessions are kept; the least recently used go first. */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Sessions in the memory of one portal process: a random 256-bit id (base64url) in an
 * HttpOnly cookie maps to the session. Enough for the sandbox and one instance; the ids
 * are never logged. Expired sessions are dropped on access and swept on every create.
 */
export class MemorySessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #idleMs: number;
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemorySessionStoreOptions) {
    this.#idleMs = options.idleMs;
    this.#maxAgeMs = options.maxAgeMs ?? 12 * 3600 * 1000;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  create(fields: Pick<Session, "person" | "login" | "actingFor"> = {}): Session {
    const now = this.#now();
    this.#sweep(now);
    while (this.#sessions.size >= this.#maxEntries) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const session: Session = { id: randomBytes(32).toString("base64url"), createdAt: now, lastSeenAt: now, ...fields };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, touched (moved to the back of the eviction order), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (!id || id.length > 64) return undefined;
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    const now = this.#now();
    if (this.#expired(session, now)) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    this.#sessions.delete(id);
    this.#sessions.set(id, session);
    return session;
  }

  delete(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  /** Ends every session resting on the provider's session SID (back-channel logout); answers their ids. */
  endLogin(sid: string): string[] {
    const ended: string[] = [];
    for (const [id, session] of this.#sessions) {
      if (session.login?.sid !== sid) continue;
      this.#sessions.delete(id);
      ended.push(id);
    }
    return ended;
  }

  #expired(session: Session, now: number): boolean {
    return now - session.lastSeenAt > this.#idleMs || now - session.createdAt > this.#maxAgeMs;
  }

  #sweep(now: number): void {
    // Map order is least recently used first, so the sweep stops at the first live session.
    for (const [id, session] of this.#sessions) {
      if (!this.#expired(session, now)) break;
      this.#sessions.delete(id);
    }
  }
}
