import { createHash, randomBytes } from "node:crypto";
import { type NonceStore, WebEidError } from "@riik/pki";
import type { Kysely } from "kysely";
import type { AuthTables } from "./migrations.ts";

/** Web eID architecture document, "Authentication": 5 minutes, at least 256 random bits. */
const LIFETIME_MS = 5 * 60 * 1000;

/**
 * Web eID challenge nonces kept in storage, one per login interaction: a new challenge for
 * the same interaction replaces the old one, so an interaction holds at most one and a
 * flood of challenge requests costs one row per interaction (which oidc-provider expires).
 * `consume` is one conditional UPDATE, so of two concurrent uses on any instance exactly
 * one succeeds, and a used nonce stays used across restarts.
 */
export class WebEidChallenges {
  readonly #db: Kysely<AuthTables>;
  readonly #now: () => number;

  constructor(db: Kysely<AuthTables>, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /** The NonceStore the Web eID validator consumes from, for one interaction. */
  forInteraction(uid: string): NonceStore & { current(): Promise<string> } {
    const db = this.#db;
    const now = this.#now;
    return {
      async issue() {
        const value = randomBytes(32).toString("base64");
        const issuedAt = now();
        const row = { nonce: value, nonce_key: key(value), issued_at: issuedAt, expires_at: issuedAt + LIFETIME_MS };
        await db
          .deleteFrom("webeid_challenges")
          .where("expires_at", "<", issuedAt - LIFETIME_MS)
          .execute();
        await db
          .insertInto("webeid_challenges")
          .values({ interaction_uid: uid, ...row, consumed_at: null })
          .onConflict((conflict) => conflict.column("interaction_uid").doUpdateSet({ ...row, consumed_at: null }))
          .execute();
        return { value, issuedAt: new Date(issuedAt), expiresAt: new Date(issuedAt + LIFETIME_MS) };
      },
      /** The interaction's nonce, taken from storage: never from the request. */
      async current() {
        const row = await db
          .selectFrom("webeid_challenges")
          .select("nonce")
          .where("interaction_uid", "=", uid)
          .executeTakeFirst();
        if (!row) throw new WebEidError("WEBEID_NONCE_UNKNOWN", "no challenge was issued for this login");
        return row.nonce;
      },
      async consume(value) {
        const at = now();
        const used = await db
          .updateTable("webeid_challenges")
          .set({ consumed_at: at })
          .where("interaction_uid", "=", uid)
          .where("nonce_key", "=", key(value))
          .where("consumed_at", "is", null)
          .executeTakeFirst();
        const row = await db
          .selectFrom("webeid_challenges")
          .select(["issued_at", "expires_at", "consumed_at"])
          .where("interaction_uid", "=", uid)
          .where("nonce_key", "=", key(value))
          .executeTakeFirst();
        if (!row) throw new WebEidError("WEBEID_NONCE_UNKNOWN", "the challenge was not issued for this login");
        if (Number(used.numUpdatedRows) === 0)
          throw new WebEidError("WEBEID_NONCE_REUSED", "the challenge was used already; start the login again");
        if (row.expires_at <= at)
          throw new WebEidError("WEBEID_NONCE_EXPIRED", "the challenge expired; start the login again");
        return { value, issuedAt: new Date(row.issued_at), expiresAt: new Date(row.expires_at) };
      },
    };
  }
}

/** Rows are found by the nonce's SHA-256, never by comparing the secret itself. */
function key(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}
