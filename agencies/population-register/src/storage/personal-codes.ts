import { generatePersonalCode, type Sex } from "@riik/core";
import type { MemberWrite } from "@riik/kit";
import { sql, type Transaction } from "kysely";
import { PopulationRegisterError } from "../errors.ts";
import { codePrefixes, nextSerial, serialOf } from "../model/personal-codes.ts";
import type { AllocationPurpose, AllocationRecord, PopulationRegisterDb } from "./schema.ts";

/** The advisory-lock class of personal-code allocation on PostgreSQL (the object is the date as YYYYMMDD). */
const ALLOCATION_LOCK_CLASS = 0x52_52_50_43; // "RRPC"

export interface AllocationRequest {
  birthDate: string;
  sex: Sex;
  purpose: AllocationPurpose;
  client: string | null;
}

/** The highest code of a seven-digit prefix in a table keyed by personal code (an index range, never a scan). */
async function highestCode(
  trx: Transaction<PopulationRegisterDb>,
  table: "person" | "personal_code_allocation",
  prefix: string,
): Promise<string | undefined> {
  // Equal-length digit strings sort the same under every collation, so the range is exact.
  const row = await trx
    .selectFrom(table)
    .select((eb) => eb.fn.max("personal_code").as("code"))
    .where("personal_code", ">=", `${prefix}0000`)
    .where("personal_code", "<=", `${prefix}9999`)
    .executeTakeFirst();
  return row?.code ?? undefined;
}

/**
 * Hands out the next free personal code of a birth date inside the caller's write and
 * reserves it (journalled), so no later allocation or birth gets it. On PostgreSQL the
 * day's allocations queue on an advisory transaction lock; SQLite writes one at a time.
 * PERSONAL_CODES_EXHAUSTED when the day's serial 999 is taken.
 */
export async function allocatePersonalCode(
  write: MemberWrite<PopulationRegisterDb>,
  dialect: "sqlite" | "postgres",
  request: AllocationRequest,
  at: Date,
): Promise<AllocationRecord> {
  const { trx } = write;
  const day = Number(request.birthDate.replaceAll("-", ""));
  if (dialect === "postgres") await sql`select pg_advisory_xact_lock(${ALLOCATION_LOCK_CLASS}, ${day})`.execute(trx);
  let highest: number | undefined;
  for (const prefix of codePrefixes(request.birthDate))
    for (const table of ["person", "personal_code_allocation"] as const) {
      const code = await highestCode(trx, table, prefix);
      if (code !== undefined) highest = Math.max(highest ?? 0, serialOf(code));
    }
  const serial = nextSerial(highest);
  if (serial === undefined)
    throw new PopulationRegisterError(
      "PERSONAL_CODES_EXHAUSTED",
      `every personal code of ${request.birthDate} is taken (serial 999 is used)`,
      { details: { dateOfBirth: request.birthDate } },
    );
  const record: AllocationRecord = {
    personalCode: generatePersonalCode(request.birthDate, request.sex, serial),
    birthDate: request.birthDate,
    sex: request.sex,
    serial,
    purpose: request.purpose,
    client: request.client,
    allocatedAt: at.toISOString(),
  };
  await trx.insertInto("personal_code_allocation").values(allocationRow(record)).execute();
  write.change({ entity: "personal_code_allocation", key: record.personalCode, op: "upsert", data: record });
  return record;
}

export const allocationRow = (a: AllocationRecord) => ({
  personal_code: a.personalCode,
  birth_date: a.birthDate,
  sex: a.sex,
  serial: a.serial,
  purpose: a.purpose,
  client: a.client,
  allocated_at: a.allocatedAt,
});
