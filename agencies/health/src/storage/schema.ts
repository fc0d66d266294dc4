// The health information system's tables: every FHIR resource as its JSON with the patient it
// concerns, an index row per search parameter value, and the prescription centre's medicines
// register and prescription ledger (the numbers a dispense checks and changes in one transaction).
import { type ChangeJournalDb, type ComponentMigration, changeJournalMigration } from "@riik/kit";

export interface FhirResourceTable {
  type: string;
  id: string;
  version_id: number;
  /** The personal code of the patient the resource concerns (null for directory resources). */
  patient_code: string | null;
  last_updated: string;
  json: string;
}

/** Every version of every resource, the current one included (FHIR vread and _history). */
export interface FhirVersionTable {
  type: string;
  id: string;
  version_id: number;
  last_updated: string;
  json: string;
}

export interface FhirIndexTable {
  type: string;
  id: string;
  param: string;
  /** Token system ('' when none). */
  system: string;
  value: string;
}

export interface MedicineTable {
  code: string;
  name: string;
  substance: string;
  strength: string;
  form: string;
  /** Units in one package, e.g. 30 (tablets). */
  package_size: number;
  price_cents: number;
  reimbursement_rate: number;
  narcotic: number;
}

export interface PrescriptionTable {
  id: string;
  patient_code: string;
  prescriber_code: string;
  medicine_code: string;
  /** Packages prescribed. */
  quantity: number;
  dispensings_allowed: number;
  dispensed_quantity: number;
  dispensings: number;
  valid_from: string;
  valid_until: string;
  /** draft (unsigned) | active | completed. */
  status: string;
  /** The doctor's ASiC-E container (base64) and its SHA-256, once signed. */
  container: string | null;
  container_sha256: string | null;
  signed_at: string | null;
  /** Who may collect it: PRESCRIPTION_TYPES. */
  kind: string;
  /** On a named-representative prescription: the person named (personal code). */
  representative_code: string | null;
}

export interface HealthDb extends ChangeJournalDb {
  fhir_resource: FhirResourceTable;
  fhir_index: FhirIndexTable;
  fhir_version: FhirVersionTable;
  medicine: MedicineTable;
  prescription: PrescriptionTable;
}

export const HEALTH_COMPONENT = "health";

export const healthMigrations: Readonly<Record<string, ComponentMigration>> = {
  "0001_change_journal": changeJournalMigration,
  "0002_fhir": {
    async up(db) {
      await db.schema
        .createTable("fhir_resource")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("version_id", "integer", (c) => c.notNull())
        .addColumn("patient_code", "text")
        .addColumn("last_updated", "text", (c) => c.notNull())
        .addColumn("json", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("fhir_resource_pk", ["type", "id"])
        .execute();
      await db.schema
        .createIndex("fhir_resource_patient")
        .on("fhir_resource")
        .columns(["patient_code", "type"])
        .execute();
      await db.schema
        .createTable("fhir_index")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("param", "text", (c) => c.notNull())
        .addColumn("system", "text", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("fhir_index_value").on("fhir_index").columns(["type", "param", "value"]).execute();
      await db.schema.createIndex("fhir_index_resource").on("fhir_index").columns(["type", "id"]).execute();
    },
  },
  "0003_prescription_centre": {
    async up(db) {
      await db.schema
        .createTable("medicine")
        .addColumn("code", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("substance", "text", (c) => c.notNull())
        .addColumn("strength", "text", (c) => c.notNull())
        .addColumn("form", "text", (c) => c.notNull())
        .addColumn("package_size", "integer", (c) => c.notNull())
        .addColumn("price_cents", "integer", (c) => c.notNull())
        .addColumn("reimbursement_rate", "integer", (c) => c.notNull())
        .addColumn("narcotic", "integer", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("prescription")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("patient_code", "text", (c) => c.notNull())
        .addColumn("prescriber_code", "text", (c) => c.notNull())
        .addColumn("medicine_code", "text", (c) => c.notNull())
        .addColumn("quantity", "integer", (c) => c.notNull())
        .addColumn("dispensings_allowed", "integer", (c) => c.notNull())
        .addColumn("dispensed_quantity", "integer", (c) => c.notNull())
        .addColumn("dispensings", "integer", (c) => c.notNull())
        .addColumn("valid_from", "text", (c) => c.notNull())
        .addColumn("valid_until", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("container", "text")
        .addColumn("container_sha256", "text")
        .addColumn("signed_at", "text")
        .execute();
      await db.schema
        .createIndex("prescription_patient")
        .on("prescription")
        .columns(["patient_code", "status"])
        .execute();
    },
  },
  "0004_prescription_type": {
    async up(db) {
      await db.schema
        .alterTable("prescription")
        .addColumn("kind", "text", (c) => c.notNull().defaultTo("public"))
        .execute();
      await db.schema.alterTable("prescription").addColumn("representative_code", "text").execute();
    },
  },
  "0005_fhir_versions": {
    async up(db) {
      await db.schema
        .createTable("fhir_version")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("version_id", "integer", (c) => c.notNull())
        .addColumn("last_updated", "text", (c) => c.notNull())
        .addColumn("json", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("fhir_version_pk", ["type", "id", "version_id"])
        .execute();
      // Earlier versions were overwritten in place: the current one is all there is to keep.
      await db
        .insertInto("fhir_version")
        .columns(["type", "id", "version_id", "last_updated", "json"])
        .expression((eb) => eb.selectFrom("fhir_resource").select(["type", "id", "version_id", "last_updated", "json"]))
        .execute();
    },
  },
};
