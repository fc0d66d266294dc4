import { type ComponentMigration, columnTypes } from "@riik/core";

/** A security server's own store: local configuration, the message log and the replay guard. */
export const securityServerMigrations: Record<string, ComponentMigration> = {
  "0001_local_configuration": {
    async up(db) {
      await db.schema
        .createTable("client")
        .addColumn("client_id", "text", (c) => c.primaryKey())
        .addColumn("connection", "text", (c) => c.notNull())
        .addColumn("allowed_addresses", "text", (c) => c.notNull())
        .addColumn("logging_mode", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("is_certificate")
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("cert_hash", "text", (c) => c.notNull())
        .addColumn("pem", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("is_certificate_pk", ["client_id", "cert_hash"])
        .execute();
      await db.schema
        .createTable("service")
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("service_code", "text", (c) => c.notNull())
        .addColumn("url", "text", (c) => c.notNull())
        .addColumn("timeout_ms", "integer", (c) => c.notNull())
        .addColumn("service_type", "text", (c) => c.notNull())
        .addColumn("endpoints", "text", (c) => c.notNull())
        .addColumn("openapi", "text")
        .addPrimaryKeyConstraint("service_pk", ["client_id", "service_code"])
        .execute();
      await db.schema
        .createTable("access_right")
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("service_code", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("method", "text", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("granted_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("access_right_pk", ["client_id", "service_code", "subject", "method", "path"])
        .execute();
      await db.schema
        .createTable("local_group_member")
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("group_code", "text", (c) => c.notNull())
        .addColumn("member_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("local_group_member_pk", ["client_id", "group_code", "member_id"])
        .execute();
    },
  },
  "0002_message_log": {
    async up(db, dialect) {
      const { binary, serialId } = columnTypes(dialect);
      await db.schema
        .createTable("message_log")
        .addColumn("id", serialId, (c) => c.primaryKey())
        .addColumn("side", "text", (c) => c.notNull())
        .addColumn("query_id", "text", (c) => c.notNull())
        .addColumn("request_id", "text", (c) => c.notNull())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("service_id", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("logging_mode", "text", (c) => c.notNull())
        .addColumn("request_head", "text", (c) => c.notNull())
        .addColumn("request_body", binary)
        .addColumn("request_body_hash", "text", (c) => c.notNull())
        .addColumn("request_signature", "text", (c) => c.notNull())
        .addColumn("request_signer", "text", (c) => c.notNull())
        .addColumn("response_status", "integer", (c) => c.notNull())
        .addColumn("response_head", "text", (c) => c.notNull())
        .addColumn("response_body", binary)
        .addColumn("response_body_hash", "text", (c) => c.notNull())
        .addColumn("response_signature", "text")
        .addColumn("response_signer", "text")
        .addColumn("peer_ocsp", binary)
        .addColumn("record_hash", "text", (c) => c.notNull())
        .addColumn("batch_id", "integer")
        .execute();
      await db.schema.createIndex("message_log_query").on("message_log").column("query_id").execute();
      await db.schema.createIndex("message_log_batch").on("message_log").columns(["batch_id", "id"]).execute();
      await db.schema
        .createTable("anchor_batch")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("first_id", "integer", (c) => c.notNull())
        .addColumn("last_id", "integer", (c) => c.notNull())
        .addColumn("statement", "text", (c) => c.notNull())
        .addColumn("tsa_token", binary)
        .addColumn("ledger_proof", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0003_data_tracker": {
    async up(db, dialect) {
      const { serialId } = columnTypes(dialect);
      // Personal-data declaration of a service (JSON: subjects header, subject path parameter).
      await db.schema.alterTable("service").addColumn("personal_data", "text").execute();
      // Data Tracker rights per provider subsystem: kind "reader" (usage protocol) or "hide".
      await db.schema
        .createTable("data_tracker_grant")
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("granted_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("data_tracker_grant_pk", ["client_id", "kind", "subject"])
        .execute();
      // One row per person per exchange of a personal-data service (written with the message log record).
      await db.schema
        .createTable("data_use")
        .addColumn("id", serialId, (c) => c.primaryKey())
        .addColumn("provider_id", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("logged_at", "text", (c) => c.notNull())
        .addColumn("query_id", "text", (c) => c.notNull())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("service_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("purpose", "text", (c) => c.notNull())
        .addColumn("processing_type", "text", (c) => c.notNull())
        .addColumn("legal_basis", "text")
        .addColumn("consent_reference", "text")
        .addColumn("bulk", "integer", (c) => c.notNull())
        .addColumn("initiator_system", "text")
        .addColumn("initiator_person", "text")
        .addColumn("hidden_until", "text")
        .addColumn("hidden_reason", "text")
        .addColumn("record_hash", "text", (c) => c.notNull())
        .addColumn("batch_id", "integer")
        .execute();
      await db.schema
        .createIndex("data_use_by_subject")
        .on("data_use")
        .columns(["provider_id", "subject", "logged_at"])
        .execute();
      await db.schema.createIndex("data_use_by_query").on("data_use").column("query_id").execute();
      await db.schema.createIndex("data_use_by_batch").on("data_use").columns(["batch_id", "id"]).execute();
      await db.schema
        .createTable("data_use_batch")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("first_id", "integer", (c) => c.notNull())
        .addColumn("last_id", "integer", (c) => c.notNull())
        .addColumn("statement", "text", (c) => c.notNull())
        .addColumn("tsa_token", columnTypes(dialect).binary)
        .addColumn("ledger_proof", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0004_replay_guard": {
    async up(db) {
      // Request ids of accepted inter-server messages within the clock window (ReplayGuard).
      await db.schema
        .createTable("replay_guard")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("signed_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("replay_guard_signed_at").on("replay_guard").column("signed_at").execute();
    },
  },
  "0005_service_connection": {
    async up(db) {
      // How the provider side reaches a service's information system (http, https-no-auth, https);
      // null on services added before: taken from the URL's scheme (LocalConf.reload).
      await db.schema.alterTable("service").addColumn("connection", "text").execute();
    },
  },
  "0006_represented_party": {
    async up(db) {
      // X-Road-Represented-Party (PR-THIRDPARTY) on both sides' records, and on the Data
      // Tracker's uses with the role of the person: null (a data subject) or REPRESENTED.
      await db.schema.alterTable("message_log").addColumn("represented_party", "text").execute();
      await db.schema.alterTable("data_use").addColumn("represented_party", "text").execute();
      await db.schema.alterTable("data_use").addColumn("subject_role", "text").execute();
    },
  },
};
