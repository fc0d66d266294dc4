import type { ComponentMigration } from "@riik/core";
import { columnTypes } from "@riik/core";

export const pkiMigrations: Record<string, ComponentMigration> = {
  "0001_certificates": {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      await db.schema
        .createTable("certificate")
        .addColumn("issuer", "text", (c) => c.notNull())
        .addColumn("serial", "text", (c) => c.notNull())
        .addColumn("purpose", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("personal_code", "text")
        .addColumn("document_number", "text")
        .addColumn("not_before", "text", (c) => c.notNull())
        .addColumn("not_after", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("revocation_reason", "integer")
        .addColumn("revoked_at", "text")
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("issued_at", "text", (c) => c.notNull())
        .addColumn("der", types.binary, (c) => c.notNull())
        .addPrimaryKeyConstraint("certificate_pk", ["issuer", "serial"])
        .execute();
      await db.schema.createIndex("certificate_by_person").on("certificate").column("personal_code").execute();
      await db.schema
        .createTable("certificate_event")
        .addColumn("id", types.serialId, (c) => c.primaryKey())
        .addColumn("issuer", "text", (c) => c.notNull())
        .addColumn("serial", "text", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("revocation_reason", "integer")
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .execute();
    },
  },
  "0002_registration_authorities": {
    async up(db) {
      // The services allowed to ask for certificates over HTTP (the authentication service for
      // app certificates), each by the SHA-256 of its bearer token: the token is shown once.
      await db.schema
        .createTable("registration_authority")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("hourly_quota", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      // The quota counts an authority's issuances in the last hour from the event log itself.
      await db.schema
        .createIndex("certificate_event_by_actor")
        .on("certificate_event")
        .columns(["actor", "event", "at"])
        .execute();
    },
  },
  "0003_registration_authority_permissions": {
    async up(db) {
      // What each authority may ask for. Those added before may do what they always could:
      // app certificates for the authentication service.
      await db.schema
        .alterTable("registration_authority")
        .addColumn("allow", "text", (c) => c.notNull().defaultTo("app-certificates"))
        .execute();
    },
  },
  "0004_incidents": {
    async up(db) {
      // Key incidents (issue 18): the declaration, and each affected certificate's outcome.
      await db.schema
        .createTable("incident")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("criterion", "text", (c) => c.notNull())
        .addColumn("declared_at", "text", (c) => c.notNull())
        .addColumn("renew_by", "text", (c) => c.notNull())
        .addColumn("closed_at", "text")
        .addColumn("actor", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("incident_certificate")
        .addColumn("incident_id", "text", (c) => c.notNull())
        .addColumn("issuer", "text", (c) => c.notNull())
        .addColumn("serial", "text", (c) => c.notNull())
        .addColumn("personal_code", "text")
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("changed_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("incident_certificate_pk", ["incident_id", "issuer", "serial"])
        .execute();
      await db.schema
        .createIndex("incident_certificate_by_outcome")
        .on("incident_certificate")
        .columns(["incident_id", "outcome", "personal_code"])
        .execute();
      await db.schema
        .createTable("renewal_challenge")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("issued_at", "text", (c) => c.notNull())
        .addColumn("expires_at", "text", (c) => c.notNull())
        .addColumn("consumed_at", "text")
        .execute();
      await db.schema.createIndex("renewal_challenge_by_expiry").on("renewal_challenge").column("expires_at").execute();
      // The sweep reads the valid certificates in key order; the status narrows it.
      await db.schema
        .createIndex("certificate_by_status")
        .on("certificate")
        .columns(["status", "issuer", "serial"])
        .execute();
    },
  },
};
