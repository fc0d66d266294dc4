import type { ChangeJournalTable, ComponentMigration } from "@riik/core";
import { changeJournalMigration, columnTypes } from "@riik/core";
import type { Generated } from "kysely";

/** The auth service's tables, as Kysely sees them. Times are epoch milliseconds. */
export interface AuthTables {
  /** oidc-provider's models (sessions, interactions, grants, codes, tokens), one JSON payload each. */
  oidc_models: {
    model: string;
    id: string;
    payload: string;
    grant_id: string | null;
    client_id: string | null;
    uid: string | null;
    user_code: string | null;
    /** The person a session or token is of, so a suspended card's sessions can be found. */
    account_id: string | null;
    expires_at: number | null;
  };
  /** How far a follower has read a feed (the trust services' status changes). */
  feed_cursors: { name: string; position: number };
  /** Relying parties: their oidc-provider client metadata as JSON. */
  clients: { client_id: string; metadata: string; created_at: number };
  /** Signing keys in the pki key store, newest first in the JWKS; retired ones are no longer published. */
  signing_keys: { kid: string; key_name: string; created_at: number; retired_at: number | null };
  /** Secrets the service makes for itself (the cookie-signing keys). */
  service_secrets: { name: string; value: string };
  /** People who have logged in: what the ID token and userinfo say about them. */
  accounts: {
    subject: string;
    given_name: string;
    family_name: string;
    birthdate: string | null;
    /** PEM of the certificate of the person's latest login, asked about again while the session lives. */
    certificate: string | null;
    updated_at: number;
  };
  /** Every completed authentication: who, at which relying party, how, when. */
  authentications: {
    id: Generated<number>;
    subject: string;
    client_id: string;
    method: string;
    acr: string;
    at: number;
    /** `sub` of the person or company the login acted for (GovSSO `representee.<id>`), if any. */
    representee: string | null;
  };
  /**
   * Mandates one person granted another (the mandates service, like Pääsuke): the
   * representative acts for the grantor in `role` from `valid_from` until `valid_until`
   * (epoch ms, exclusive; null: until revoked). `seal` is a compact JWS over the mandate's
   * canonical JSON made with the provider's signing key; `revocation_seal` likewise over the
   * revoked mandate.
   */
  mandates: {
    id: string;
    grantor: string;
    representative: string;
    role: string;
    valid_from: number;
    valid_until: number | null;
    granted_at: number;
    granted_by: string;
    revoked_at: number | null;
    revoked_by: string | null;
    seal: string;
    revocation_seal: string | null;
  };
  /** Core change journal: every grant and revocation of a mandate. */
  change_journal: ChangeJournalTable;
  /** The app login started for a login interaction (at most one; a new start replaces it). */
  app_login_interactions: { interaction_uid: string; session_id: string; created_at: number };
  /** Web eID challenges, one per login interaction, each used once (nonce_key = SHA-256 of the nonce). */
  webeid_challenges: {
    interaction_uid: string;
    nonce: string;
    nonce_key: string;
    issued_at: number;
    expires_at: number;
    consumed_at: number | null;
  };
}

export const authMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001-auth": {
    async up(db, dialect) {
      const { serialId } = columnTypes(dialect);
      await db.schema
        .createTable("oidc_models")
        .addColumn("model", "text", (c) => c.notNull())
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("grant_id", "text")
        .addColumn("client_id", "text")
        .addColumn("uid", "text")
        .addColumn("user_code", "text")
        .addColumn("expires_at", "bigint")
        .addPrimaryKeyConstraint("oidc_models_pk", ["model", "id"])
        .execute();
      await db.schema.createIndex("oidc_models_grant").on("oidc_models").column("grant_id").execute();
      await db.schema.createIndex("oidc_models_client").on("oidc_models").column("client_id").execute();
      await db.schema.createIndex("oidc_models_uid").on("oidc_models").columns(["model", "uid"]).execute();
      await db.schema.createIndex("oidc_models_expires").on("oidc_models").column("expires_at").execute();
      await db.schema
        .createTable("clients")
        .addColumn("client_id", "text", (c) => c.primaryKey())
        .addColumn("metadata", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("signing_keys")
        .addColumn("kid", "text", (c) => c.primaryKey())
        .addColumn("key_name", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("retired_at", "bigint")
        .execute();
      await db.schema
        .createTable("service_secrets")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("accounts")
        .addColumn("subject", "text", (c) => c.primaryKey())
        .addColumn("given_name", "text", (c) => c.notNull())
        .addColumn("family_name", "text", (c) => c.notNull())
        .addColumn("birthdate", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("authentications")
        .addColumn("id", serialId, (c) => c.primaryKey())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("method", "text", (c) => c.notNull())
        .addColumn("acr", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("authentications_subject").on("authentications").columns(["subject", "at"]).execute();
      await db.schema
        .createTable("webeid_challenges")
        .addColumn("interaction_uid", "text", (c) => c.primaryKey())
        .addColumn("nonce", "text", (c) => c.notNull())
        .addColumn("nonce_key", "text", (c) => c.notNull().unique())
        .addColumn("issued_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("consumed_at", "bigint")
        .execute();
    },
  },
  "0002-auth-app-login-interactions": {
    async up(db) {
      await db.schema
        .createTable("app_login_interactions")
        .addColumn("interaction_uid", "text", (c) => c.primaryKey())
        .addColumn("session_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
  "0003-auth-account-certificate": {
    async up(db) {
      await db.schema.alterTable("accounts").addColumn("certificate", "text").execute();
    },
  },
  "0004-auth-mandates": {
    async up(db, dialect) {
      await changeJournalMigration.up(db, dialect);
      await db.schema
        .createTable("mandates")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("grantor", "text", (c) => c.notNull())
        .addColumn("representative", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("valid_from", "bigint", (c) => c.notNull())
        .addColumn("valid_until", "bigint")
        .addColumn("granted_at", "bigint", (c) => c.notNull())
        .addColumn("granted_by", "text", (c) => c.notNull())
        .addColumn("revoked_at", "bigint")
        .addColumn("revoked_by", "text")
        .addColumn("seal", "text", (c) => c.notNull())
        .addColumn("revocation_seal", "text")
        .execute();
      await db.schema.createIndex("mandates_representative").on("mandates").column("representative").execute();
      await db.schema.createIndex("mandates_grantor").on("mandates").column("grantor").execute();
      await db.schema.alterTable("authentications").addColumn("representee", "text").execute();
    },
  },
  "0005-auth-card-suspensions": {
    async up(db) {
      await db.schema.alterTable("oidc_models").addColumn("account_id", "text").execute();
      await db.schema.createIndex("oidc_models_account").on("oidc_models").columns(["model", "account_id"]).execute();
      await db.schema
        .createTable("feed_cursors")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("position", "bigint", (c) => c.notNull())
        .execute();
    },
  },
};
