import { type ComponentMigration, columnTypes } from "@riik/core";

/** Times are epoch milliseconds (bigint): compared in SQL the same way on both back ends. */
export interface AppLoginDb {
  /** One-time codes an operator gives after checking the person's identity; only their hash is kept. */
  app_enrolment_code: {
    code_hash: string;
    personal_code: string;
    given_name: string;
    surname: string;
    created_at: number;
    expires_at: number;
    used_at: number | null;
  };
  /** An enrolled app: its certificate and the hash of the credential it polls with. */
  app_account: {
    id: string;
    personal_code: string;
    certificate: Uint8Array;
    secret_hash: string;
    created_at: number;
  };
  app_login_session: {
    id: string;
    personal_code: string;
    /** The hash to be signed (32 random octets), base64url. */
    hash: string;
    verification_code: string;
    /** The three codes the app offers (VCCHOICE), comma-separated, the right one among them. */
    choices: string;
    state: "RUNNING" | "COMPLETE" | "FAILED";
    failure: string | null;
    account_id: string | null;
    /** The certificate the completing signature verified with: the identity handed over. */
    certificate: Uint8Array | null;
    created_at: number;
    expires_at: number;
    finished_at: number | null;
    /** When status() handed the completion over; a session completes for one login only. */
    delivered_at: number | null;
  };
}

/** The app login's tables, for the authentication service's storage (names prefixed "app-login-"). */
export const appLoginMigrations: Readonly<Record<string, ComponentMigration>> = {
  "app-login-001-tables": {
    async up(db, dialect) {
      const { binary } = columnTypes(dialect);
      await db.schema
        .createTable("app_enrolment_code")
        .addColumn("code_hash", "text", (c) => c.primaryKey())
        .addColumn("personal_code", "text", (c) => c.notNull())
        .addColumn("given_name", "text", (c) => c.notNull())
        .addColumn("surname", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      await db.schema
        .createIndex("app_enrolment_code_person")
        .on("app_enrolment_code")
        .column("personal_code")
        .execute();
      await db.schema
        .createTable("app_account")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("personal_code", "text", (c) => c.notNull())
        .addColumn("certificate", binary, (c) => c.notNull())
        .addColumn("secret_hash", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("app_account_person").on("app_account").column("personal_code").execute();
      await db.schema
        .createTable("app_login_session")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("personal_code", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .addColumn("verification_code", "text", (c) => c.notNull())
        .addColumn("choices", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("failure", "text")
        .addColumn("account_id", "text")
        .addColumn("certificate", binary)
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("finished_at", "bigint")
        .addColumn("delivered_at", "bigint")
        .execute();
      await db.schema
        .createIndex("app_login_session_person")
        .on("app_login_session")
        .columns(["personal_code", "state"])
        .execute();
    },
  },
};
