import { type ComponentMigration, columnTypes } from "@riik/core";

/** The central server's registry (one schema on SQLite and PostgreSQL). */
export const centralMigrations: Record<string, ComponentMigration> = {
  "0001_registry": {
    async up(db, dialect) {
      const { binary, serialId } = columnTypes(dialect);
      await db.schema
        .createTable("member")
        .addColumn("member_class", "text", (c) => c.notNull())
        .addColumn("member_code", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("member_pk", ["member_class", "member_code"])
        .execute();
      await db.schema
        .createTable("subsystem")
        .addColumn("member_class", "text", (c) => c.notNull())
        .addColumn("member_code", "text", (c) => c.notNull())
        .addColumn("subsystem_code", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("subsystem_pk", ["member_class", "member_code", "subsystem_code"])
        .addForeignKeyConstraint(
          "subsystem_member_fk",
          ["member_class", "member_code"],
          "member",
          ["member_class", "member_code"],
          (fk) => fk.onDelete("cascade"),
        )
        .execute();
      await db.schema
        .createTable("security_server")
        .addColumn("server_id", "text", (c) => c.primaryKey())
        .addColumn("owner_class", "text", (c) => c.notNull())
        .addColumn("owner_code", "text", (c) => c.notNull())
        .addColumn("server_code", "text", (c) => c.notNull())
        .addColumn("address", "text", (c) => c.notNull())
        .addColumn("registered_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("auth_certificate")
        .addColumn("server_id", "text", (c) => c.notNull().references("security_server.server_id").onDelete("cascade"))
        .addColumn("cert_hash", "text", (c) => c.notNull())
        .addColumn("der", binary, (c) => c.notNull())
        .addColumn("registered_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("auth_certificate_pk", ["server_id", "cert_hash"])
        .execute();
      await db.schema
        .createTable("server_client")
        .addColumn("server_id", "text", (c) => c.notNull().references("security_server.server_id").onDelete("cascade"))
        .addColumn("client_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("server_client_pk", ["server_id", "client_id"])
        .execute();
      await db.schema
        .createTable("registration_request")
        .addColumn("id", serialId, (c) => c.primaryKey())
        .addColumn("server_id", "text", (c) => c.notNull())
        .addColumn("address", "text", (c) => c.notNull())
        .addColumn("der", binary, (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("submitted_at", "text", (c) => c.notNull())
        .addColumn("decided_at", "text")
        .execute();
      await db.schema
        .createTable("global_group")
        .addColumn("group_code", "text", (c) => c.primaryKey())
        .addColumn("description", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("global_group_member")
        .addColumn("group_code", "text", (c) => c.notNull().references("global_group.group_code").onDelete("cascade"))
        .addColumn("client_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("global_group_member_pk", ["group_code", "client_id"])
        .execute();
      await db.schema
        .createTable("setting")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("configuration")
        .addColumn("version", "integer", (c) => c.primaryKey())
        .addColumn("generated_at", "text", (c) => c.notNull())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .addColumn("document", "text", (c) => c.notNull())
        .execute();
    },
  },
};
