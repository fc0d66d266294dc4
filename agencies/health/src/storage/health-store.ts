// The FHIR resources on the kit's storage: a resource is its JSON, the patient it concerns and
// one index row per search parameter value, written together in one transaction with its
// change-journal entry. Searches select by the indexed tokens and references in SQL and by
// date and access rules in the caller's hands (query.ts, access/).
import { randomUUID } from "node:crypto";
import { type MemberStorage, type MemberWrite, openMemberStorage } from "@riik/kit";
import type { Kysely, Transaction } from "kysely";
import { fieldError } from "../errors.ts";
import { PERSONAL_CODE_SYSTEM } from "../fhir/identifiers.ts";
import { type ResourceType, SEARCH_PARAMETERS, type StoredResource } from "../fhir/resources.ts";
import { dateMatches, type SearchQuery } from "../fhir/search.ts";
import { HEALTH_COMPONENT, type HealthDb, healthMigrations } from "./schema.ts";

export interface StoredRow {
  type: ResourceType;
  id: string;
  patientCode: string | null;
  resource: StoredResource;
}

type Db = Kysely<HealthDb> | Transaction<HealthDb>;

const rowOf = (row: { type: string; id: string; patient_code: string | null; json: string }): StoredRow => ({
  type: row.type as ResourceType,
  id: row.id,
  patientCode: row.patient_code,
  resource: JSON.parse(row.json) as StoredResource,
});

export class HealthStore {
  constructor(readonly store: MemberStorage<HealthDb>) {}

  get db(): Kysely<HealthDb> {
    return this.store.db;
  }

  /**
   * Stores a new resource (the server assigns id and meta), indexed, journalled. `patientCode`
   * is the personal code of the patient it concerns, resolved by the caller from its reference.
   */
  async insert(
    { trx, change }: MemberWrite<HealthDb>,
    resource: Record<string, unknown> & { resourceType: string },
    patientCode: string | null,
    at: Date,
    id: string = randomUUID(),
  ): Promise<StoredResource> {
    const stored = {
      ...resource,
      id,
      meta: { versionId: "1", lastUpdated: at.toISOString() },
    } as StoredResource;
    await trx
      .insertInto("fhir_resource")
      .values({
        type: stored.resourceType,
        id,
        version_id: 1,
        patient_code: patientCode,
        last_updated: at.toISOString(),
        json: JSON.stringify(stored),
      })
      .execute();
    await this.#keepVersion(trx, stored);
    await this.#index(trx, stored);
    change({ entity: stored.resourceType, key: id, op: "upsert", data: stored });
    return stored;
  }

  /** Replaces a stored resource with its next version (same id, patient), re-indexed. */
  async update({ trx, change }: MemberWrite<HealthDb>, resource: StoredResource, at: Date): Promise<StoredResource> {
    const current = await trx
      .selectFrom("fhir_resource")
      .select("version_id")
      .where("type", "=", resource.resourceType)
      .where("id", "=", resource.id)
      .executeTakeFirstOrThrow();
    const version = Number(current.version_id) + 1;
    const stored = {
      ...resource,
      meta: { versionId: String(version), lastUpdated: at.toISOString() },
    } as StoredResource;
    await trx
      .updateTable("fhir_resource")
      .set({ version_id: version, last_updated: at.toISOString(), json: JSON.stringify(stored) })
      .where("type", "=", resource.resourceType)
      .where("id", "=", resource.id)
      .execute();
    await this.#keepVersion(trx, stored);
    await trx
      .deleteFrom("fhir_index")
      .where("type", "=", resource.resourceType)
      .where("id", "=", resource.id)
      .execute();
    await this.#index(trx, stored);
    change({ entity: stored.resourceType, key: stored.id, op: "upsert", data: stored });
    return stored;
  }

  async get(type: ResourceType, id: string, db: Db = this.db): Promise<StoredRow | undefined> {
    const row = await db
      .selectFrom("fhir_resource")
      .select(["type", "id", "patient_code", "json"])
      .where("type", "=", type)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? rowOf(row) : undefined;
  }

  /** Version VERSION of a resource (vread), if it was ever stored. */
  async version(type: ResourceType, id: string, version: number): Promise<StoredResource | undefined> {
    const row = await this.db
      .selectFrom("fhir_version")
      .select("json")
      .where("type", "=", type)
      .where("id", "=", id)
      .where("version_id", "=", version)
      .executeTakeFirst();
    return row ? (JSON.parse(row.json) as StoredResource) : undefined;
  }

  /** Every version of a resource, newest first (FHIR R4 http.html#history). */
  async history(type: ResourceType, id: string): Promise<StoredResource[]> {
    const rows = await this.db
      .selectFrom("fhir_version")
      .select("json")
      .where("type", "=", type)
      .where("id", "=", id)
      .orderBy("version_id", "desc")
      .execute();
    return rows.map((row) => JSON.parse(row.json) as StoredResource);
  }

  /** The referenced resource of a type, or REFERENCE_NOT_FOUND naming the field. */
  async target(
    reference: string | undefined,
    type: ResourceType,
    expression: string,
    db: Db = this.db,
  ): Promise<StoredRow> {
    const [kind, id] = (reference ?? "").split("/");
    const row = kind === type && id ? await this.get(type, id, db) : undefined;
    if (!row) throw fieldError("REFERENCE_NOT_FOUND", expression, `${expression}: no ${type} ${reference ?? ""} here`);
    return row;
  }

  /** Ids of the resources of a type with this identifier (or token value) under `param`. */
  async idsBy(
    type: ResourceType,
    param: string,
    system: string | undefined,
    value: string,
    db: Db = this.db,
  ): Promise<string[]> {
    let query = db
      .selectFrom("fhir_index")
      .select("id")
      .where("type", "=", type)
      .where("param", "=", param)
      .where("value", "=", value);
    if (system !== undefined) query = query.where("system", "=", system);
    return (await query.execute()).map((r) => r.id);
  }

  /** The Patient resource with this personal code, if any. */
  async patientByCode(code: string, db: Db = this.db): Promise<StoredRow | undefined> {
    const [id] = await this.idsBy("Patient", "identifier", PERSONAL_CODE_SYSTEM, code, db);
    return id ? this.get("Patient", id, db) : undefined;
  }

  /**
   * Every resource matching the query's filters, oldest first (the caller filters by access
   * and pages). Reference filters by identifier resolve the target first: no target, no match.
   */
  async search(query: SearchQuery): Promise<StoredRow[]> {
    let select = this.db
      .selectFrom("fhir_resource")
      .select(["type", "id", "patient_code", "json"])
      .where("type", "=", query.type);
    for (const filter of query.filters) {
      if (filter.kind === "date") continue;
      let values: string[];
      let system: string | undefined;
      if (filter.kind === "reference-identifier") {
        const target = targetType(query.type, filter.param);
        const ids = await this.idsBy(target, "identifier", filter.system, filter.value);
        values = ids.map((id) => `${target}/${id}`);
      } else {
        values = [filter.value];
        system = filter.kind === "token" ? filter.system : undefined;
      }
      if (values.length === 0) return [];
      select = select.where((eb) =>
        eb(
          "id",
          "in",
          eb
            .selectFrom("fhir_index")
            .select("fhir_index.id")
            .where("fhir_index.type", "=", query.type)
            .where("fhir_index.param", "=", filter.param)
            .where("fhir_index.value", "in", values)
            .$if(system !== undefined, (q) => q.where("fhir_index.system", "=", system!)),
        ),
      );
    }
    const rows = (await select.orderBy("last_updated").orderBy("id").execute()).map(rowOf);
    const dates = query.filters.filter((f) => f.kind === "date");
    if (dates.length === 0) return rows;
    return rows.filter((row) =>
      dates.every((filter) =>
        SEARCH_PARAMETERS[query.type]
          [filter.param]!.values(row.resource)
          .some((v) => dateMatches(v.value, filter.prefix, filter.value)),
      ),
    );
  }

  /** The resources a reference parameter of `rows` points at (`_include`), each once. */
  async included(rows: readonly StoredRow[], params: readonly string[]): Promise<StoredRow[]> {
    const seen = new Set(rows.map((r) => `${r.type}/${r.id}`));
    const found: StoredRow[] = [];
    for (const row of rows)
      for (const param of params)
        for (const { value } of SEARCH_PARAMETERS[row.type][param]?.values(row.resource) ?? []) {
          if (seen.has(value)) continue;
          seen.add(value);
          const [type, id] = value.split("/");
          const target = type && id ? await this.get(type as ResourceType, id) : undefined;
          if (target) found.push(target);
        }
    return found;
  }

  write<T>(work: (write: MemberWrite<HealthDb>) => Promise<T>, at?: Date): Promise<T> {
    return this.store.write(work, at);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  async #keepVersion(trx: Transaction<HealthDb>, stored: StoredResource): Promise<void> {
    await trx
      .insertInto("fhir_version")
      .values({
        type: stored.resourceType,
        id: stored.id,
        version_id: Number(stored.meta!.versionId),
        last_updated: stored.meta!.lastUpdated!,
        json: JSON.stringify(stored),
      })
      .execute();
  }

  async #index(trx: Transaction<HealthDb>, resource: StoredResource): Promise<void> {
    const type = resource.resourceType as ResourceType;
    const rows = Object.entries(SEARCH_PARAMETERS[type] ?? {}).flatMap(([param, parameter]) =>
      parameter.values(resource).map((v) => ({ type, id: resource.id, param, system: v.system, value: v.value })),
    );
    if (rows.length > 0) await trx.insertInto("fhir_index").values(rows).execute();
  }
}

/** The type a reference parameter's `:identifier` modifier resolves against. */
function targetType(type: ResourceType, param: string): ResourceType {
  if (param === "patient" || param === "subject") return "Patient";
  if (param === "practitioner") return "Practitioner";
  if (param === "organization") return "Organization";
  throw fieldError("SEARCH_INVALID", `${param}:identifier`, `${param}:identifier is not supported on ${type}`);
}

export async function openHealthStore(location: {
  dataDir: string;
  url?: string;
  schema?: string;
}): Promise<HealthStore> {
  const store = await openMemberStorage<HealthDb>({
    component: HEALTH_COMPONENT,
    migrations: healthMigrations,
    ...location,
  });
  return new HealthStore(store);
}
