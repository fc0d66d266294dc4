import type { Kysely } from "kysely";
import type { Adapter, AdapterPayload } from "oidc-provider";
import type { AuthTables } from "./migrations.ts";

/**
 * oidc-provider's storage contract (lib/adapters/memory_adapter.js) on core storage: every
 * model (Session, Interaction, Grant, AuthorizationCode, RefreshToken, AccessToken, …) is a
 * row of `oidc_models`, so sessions, codes and tokens survive a restart and are shared by
 * every instance on one PostgreSQL. A consumed code stays consumed: `consumed` is written
 * into the stored payload, which is what oidc-provider checks on a second use.
 */
export class StorageAdapter implements Adapter {
  readonly #db: Kysely<AuthTables>;
  readonly #model: string;
  readonly #now: () => number;

  constructor(db: Kysely<AuthTables>, model: string, now: () => number = Date.now) {
    this.#db = db;
    this.#model = model;
    this.#now = now;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    const row = {
      payload: JSON.stringify(payload),
      grant_id: typeof payload.grantId === "string" ? payload.grantId : null,
      client_id: typeof payload.clientId === "string" ? payload.clientId : null,
      uid: typeof payload.uid === "string" ? payload.uid : null,
      user_code: typeof payload.userCode === "string" ? payload.userCode : null,
      account_id: typeof payload.accountId === "string" ? payload.accountId : null,
      expires_at: typeof expiresIn === "number" ? this.#now() + expiresIn * 1000 : null,
    };
    await this.#db
      .insertInto("oidc_models")
      .values({ model: this.#model, id, ...row })
      .onConflict((conflict) => conflict.columns(["model", "id"]).doUpdateSet(row))
      .execute();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere("id", id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere("uid", uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere("user_code", userCode);
  }

  async consume(id: string): Promise<void> {
    const row = await this.#db
      .selectFrom("oidc_models")
      .select("payload")
      .where("model", "=", this.#model)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return;
    const payload = { ...(JSON.parse(row.payload) as AdapterPayload), consumed: Math.floor(this.#now() / 1000) };
    await this.#db
      .updateTable("oidc_models")
      .set({ payload: JSON.stringify(payload) })
      .where("model", "=", this.#model)
      .where("id", "=", id)
      .execute();
  }

  async destroy(id: string): Promise<void> {
    await this.#db.deleteFrom("oidc_models").where("model", "=", this.#model).where("id", "=", id).execute();
  }

  /** A grant's codes and tokens go with it, whatever their model (memory adapter: grant members). */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#db.deleteFrom("oidc_models").where("grant_id", "=", grantId).execute();
  }

  async #findWhere(column: "id" | "uid" | "user_code", value: string): Promise<AdapterPayload | undefined> {
    const row = await this.#db
      .selectFrom("oidc_models")
      .select(["payload", "expires_at"])
      .where("model", "=", this.#model)
      .where(column, "=", value)
      .executeTakeFirst();
    if (!row || (row.expires_at !== null && row.expires_at <= this.#now())) return undefined;
    return JSON.parse(row.payload) as AdapterPayload;
  }
}

/** Removes expired rows; the adapter never returns them, this only keeps the table small. */
export async function purgeExpiredModels(db: Kysely<AuthTables>, now = Date.now()): Promise<number> {
  const result = await db.deleteFrom("oidc_models").where("expires_at", "<=", now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
