import { randomUUID } from "node:crypto";
import { type MemberStorage, openMemberStorage, parsePersonalCode } from "@riik/kit";
import { namesMatch, nameTokens } from "../sanctions/names.ts";
import type { RecordsFile } from "./records-file.ts";
import {
  type BackgroundCheckTable,
  type BusinessBanTable,
  type CriminalRecordTable,
  POLICE_COMPONENT,
  type PoliceDb,
  policeMigrations,
} from "./schema.ts";

export interface PoliceRecordsLocation {
  dataDir: string;
  /** postgres://…; falls back to RIIK_DATABASE_URL; absent means SQLite (police.sqlite) in dataDir. */
  url?: string | undefined;
  schema?: string;
}

/** Who a record is searched for: by personal code when known, else by name and date of birth. */
export interface PersonSought {
  givenName: string;
  surname: string;
  dateOfBirth: string;
  personalCode?: string | undefined;
}

const today = (at: Date) => at.toISOString().slice(0, 10);

/** The same person: the same personal code, or (either without one) the names and date of birth. */
function samePerson(
  sought: PersonSought,
  row: { personal_code: string | null; given_name: string; surname: string; date_of_birth: string },
): boolean {
  if (sought.personalCode !== undefined && row.personal_code !== null) return sought.personalCode === row.personal_code;
  return (
    row.date_of_birth === sought.dateOfBirth &&
    namesMatch(
      nameTokens(`${sought.givenName} ${sought.surname}`),
      nameTokens(`${row.given_name} ${row.surname}`),
      true,
    )
  );
}

/** The police's records on the kit's storage; every change of a record is journalled. */
export class PoliceRecords {
  private constructor(readonly store: MemberStorage<PoliceDb>) {}

  static async open(location: PoliceRecordsLocation): Promise<PoliceRecords> {
    return new PoliceRecords(
      await openMemberStorage<PoliceDb>({ component: POLICE_COMPONENT, migrations: policeMigrations, ...location }),
    );
  }

  get db() {
    return this.store.db;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** Adds or replaces each record by its reference, all in one transaction; returns how many of each. */
  async import(file: RecordsFile): Promise<{ criminalRecords: number; businessBans: number }> {
    return this.store.write(async ({ trx, change }) => {
      for (const record of file.criminalRecords) {
        const row: CriminalRecordTable = {
          reference: record.reference,
          personal_code: record.personalCode ?? null,
          given_name: record.givenName,
          surname: record.surname,
          date_of_birth: record.dateOfBirth,
          citizenship: record.citizenship ?? null,
          offence: record.offence,
          convicted_on: record.convictedOn,
          expunged_on: record.expungedOn ?? null,
        };
        await trx.deleteFrom("criminal_record").where("reference", "=", row.reference).execute();
        await trx.insertInto("criminal_record").values(row).execute();
        change({ entity: "criminal_record", key: row.reference, op: "upsert", data: row });
      }
      for (const ban of file.businessBans) {
        const row: BusinessBanTable = {
          reference: ban.reference,
          personal_code: ban.personalCode,
          given_name: ban.givenName,
          surname: ban.surname,
          date_of_birth: ban.dateOfBirth ?? parsePersonalCode(ban.personalCode).birthDate,
          reason: ban.reason,
          since: ban.since,
          until: ban.until ?? null,
        };
        await trx.deleteFrom("business_ban").where("reference", "=", row.reference).execute();
        await trx.insertInto("business_ban").values(row).execute();
        change({ entity: "business_ban", key: row.reference, op: "upsert", data: row });
      }
      return { criminalRecords: file.criminalRecords.length, businessBans: file.businessBans.length };
    });
  }

  /** Criminal records of the person not expunged at `at`. */
  async criminalRecords(sought: PersonSought, at = new Date()): Promise<CriminalRecordTable[]> {
    const day = today(at);
    const rows = await this.db
      .selectFrom("criminal_record")
      .selectAll()
      .where((eb) =>
        eb.or([
          eb("date_of_birth", "=", sought.dateOfBirth),
          ...(sought.personalCode ? [eb("personal_code", "=", sought.personalCode)] : []),
        ]),
      )
      .where((eb) => eb.or([eb("expunged_on", "is", null), eb("expunged_on", ">", day)]))
      .orderBy("reference")
      .execute();
    return rows.filter((row) => samePerson(sought, row));
  }

  /** Bans on business of the person in force at `at`. */
  async businessBans(sought: PersonSought, at = new Date()): Promise<BusinessBanTable[]> {
    const day = today(at);
    const rows = await this.db
      .selectFrom("business_ban")
      .selectAll()
      .where((eb) =>
        eb.or([
          eb("date_of_birth", "=", sought.dateOfBirth),
          ...(sought.personalCode ? [eb("personal_code", "=", sought.personalCode)] : []),
        ]),
      )
      .where("since", "<=", day)
      .where((eb) => eb.or([eb("until", "is", null), eb("until", ">=", day)]))
      .orderBy("reference")
      .execute();
    return rows.filter((row) => samePerson(sought, row));
  }

  /** The ban in force that lasts longest (one until lifted outlasts any), if any. */
  async businessBanOf(personalCode: string, at = new Date()): Promise<BusinessBanTable | undefined> {
    const { birthDate } = parsePersonalCode(personalCode);
    const bans = (
      await this.businessBans({ personalCode, dateOfBirth: birthDate, givenName: "", surname: "" }, at)
    ).filter((ban) => ban.personal_code === personalCode);
    return bans.sort((a, b) => (a.until === null ? 1 : b.until === null ? -1 : a.until.localeCompare(b.until))).at(-1);
  }

  async logCheck(row: Omit<BackgroundCheckTable, "id">): Promise<string> {
    const id = randomUUID();
    await this.db
      .insertInto("background_check")
      .values({ id, ...row })
      .execute();
    return id;
  }

  checks(): Promise<BackgroundCheckTable[]> {
    return this.db.selectFrom("background_check").selectAll().orderBy("checked_at").execute();
  }
}
