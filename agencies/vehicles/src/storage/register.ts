// The vehicle register on the kit's storage: vehicles by VIN and plate with owner and
// responsible user, driving licences with categories and validity, and the roadside check.
import { PersonalCodeError, parsePersonalCode } from "@riik/core";
import { type MemberStorage, openMemberStorage } from "@riik/kit";
import { VehicleError } from "../errors.ts";
import { type Category, categoriesEntitling, parseCategory } from "../model/licence-categories.ts";
import { parsePlate } from "../model/plate.ts";
import { parseVin } from "../model/vin.ts";
import {
  VEHICLE_REGISTER_COMPONENT,
  type VehicleRegisterDb,
  type VehicleTable,
  vehicleRegisterMigrations,
} from "./schema.ts";

export interface Vehicle {
  vin: string;
  plate: string;
  make: string;
  model: string;
  category: string;
  owner: string;
  user: string;
  firstRegistered: string;
}

export interface LicenceCategory {
  category: Category;
  since: string;
  validUntil: string;
}

export interface Licence {
  personalCode: string;
  number: string;
  suspendedUntil: string | null;
  categories: LicenceCategory[];
}

/** The roadside check's answer: may this person drive this category today, and why. */
export interface DrivingRight {
  personalCode: string;
  category: Category;
  on: string;
  allowed: boolean;
  /** The held category that entitles (A for A1, CE for C), when allowed. */
  by?: Category;
  validUntil?: string;
  reason: "valid" | "no-licence" | "category-not-held" | "expired" | "suspended";
}

/** EU vehicle categories (Regulation (EU) 2018/858 annex I, 168/2013 art. 4) the register accepts. */
const VEHICLE_CATEGORY = /^(M[123]|N[123]|O[1-4]|L[1-7]e|T[1-5])$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const personalCode = (text: string, what: string): string => {
  try {
    return parsePersonalCode(text).code;
  } catch (error) {
    if (error instanceof PersonalCodeError)
      throw new VehicleError("PERSONAL_CODE_INVALID", `${what}: ${error.message}`);
    throw error;
  }
};
const vehicleOf = (row: VehicleTable): Vehicle => ({
  vin: row.vin,
  plate: row.plate,
  make: row.make,
  model: row.model,
  category: row.category,
  owner: row.owner,
  user: row.user,
  firstRegistered: row.first_registered,
});

export class VehicleRegister {
  constructor(readonly store: MemberStorage<VehicleRegisterDb>) {}

  /** First registration in Estonia: VIN checked (vin.ts), plate free, owner and user persons. */
  async registerVehicle(
    input: { vin: string; plate: string; make: string; model: string; category: string; owner: string; user?: string },
    at = new Date(),
  ): Promise<Vehicle> {
    const { vin } = parseVin(input.vin);
    const plate = parsePlate(input.plate);
    if (!VEHICLE_CATEGORY.test(input.category))
      throw new VehicleError(
        "VEHICLE_INVALID",
        `${JSON.stringify(input.category)} is not an EU vehicle category (M1, N2, L3e, …)`,
      );
    const owner = personalCode(input.owner, "owner");
    const vehicle: Vehicle = {
      vin,
      plate,
      make: input.make,
      model: input.model,
      category: input.category,
      owner,
      user: input.user ? personalCode(input.user, "responsible user") : owner,
      firstRegistered: at.toISOString().slice(0, 10),
    };
    return this.store.write(async ({ trx, change, emit }) => {
      const taken = await trx
        .selectFrom("vehicle")
        .select(["vin", "plate"])
        .where((eb) => eb.or([eb("vin", "=", vin), eb("plate", "=", plate)]))
        .execute();
      if (taken.some((t) => t.vin === vin)) throw new VehicleError("VEHICLE_EXISTS", `${vin} is registered`);
      if (taken.length > 0) throw new VehicleError("PLATE_TAKEN", `plate ${plate} is on another vehicle`);
      await trx
        .insertInto("vehicle")
        .values({
          vin,
          plate,
          make: vehicle.make,
          model: vehicle.model,
          category: vehicle.category,
          owner: vehicle.owner,
          user: vehicle.user,
          first_registered: vehicle.firstRegistered,
        })
        .execute();
      change({ entity: "vehicle", key: vin, op: "upsert", data: vehicle });
      emit({ type: "vehicle.registered", data: { subjects: [...new Set([owner, vehicle.user])], vin, plate } });
      return vehicle;
    }, at);
  }

  /** A vehicle by VIN or plate; VEHICLE_NOT_FOUND. */
  async vehicle(vinOrPlate: string): Promise<Vehicle> {
    const key = vinOrPlate.replace(/[\s-]/g, "").toUpperCase();
    const row = await this.store.db
      .selectFrom("vehicle")
      .selectAll()
      .where(key.length === 17 ? "vin" : "plate", "=", key)
      .executeTakeFirst();
    if (!row) throw new VehicleError("VEHICLE_NOT_FOUND", `no vehicle ${key}`);
    return vehicleOf(row);
  }

  async vehiclesOf(person: string): Promise<Vehicle[]> {
    const code = personalCode(person, "person");
    const rows = await this.store.db
      .selectFrom("vehicle")
      .selectAll()
      .where((eb) => eb.or([eb("owner", "=", code), eb("user", "=", code)]))
      .orderBy("plate")
      .execute();
    return rows.map(vehicleOf);
  }

  /** Issues or renews a licence: its number and the categories held with their validity (all replaced). */
  async issueLicence(
    person: string,
    number: string,
    categories: ReadonlyArray<{ category: string; since: string; validUntil: string }>,
    at = new Date(),
  ): Promise<Licence> {
    const code = personalCode(person, "holder");
    if (!/^[A-Z]{2}[0-9]{6}$/.test(number))
      throw new VehicleError("LICENCE_INVALID", `licence number ${JSON.stringify(number)}: two letters and six digits`);
    if (categories.length === 0) throw new VehicleError("LICENCE_INVALID", "a licence holds at least one category");
    const held = categories.map((c) => {
      if (!DATE.test(c.since) || !DATE.test(c.validUntil) || c.validUntil < c.since)
        throw new VehicleError("LICENCE_INVALID", `category ${c.category}: dates YYYY-MM-DD, valid until after since`);
      return { category: parseCategory(c.category), since: c.since, validUntil: c.validUntil };
    });
    if (new Set(held.map((c) => c.category)).size !== held.length)
      throw new VehicleError("LICENCE_INVALID", "a category is listed twice");
    return this.store.write(async ({ trx, change, emit }) => {
      const other = await trx
        .selectFrom("licence")
        .select("personal_code")
        .where("number", "=", number)
        .where("personal_code", "!=", code)
        .executeTakeFirst();
      if (other) throw new VehicleError("LICENCE_INVALID", `licence number ${number} belongs to another person`);
      await trx
        .insertInto("licence")
        .values({ personal_code: code, number, suspended_until: null })
        .onConflict((c) => c.column("personal_code").doUpdateSet({ number }))
        .execute();
      await trx.deleteFrom("licence_category").where("personal_code", "=", code).execute();
      await trx
        .insertInto("licence_category")
        .values(
          held.map((c) => ({ personal_code: code, category: c.category, since: c.since, valid_until: c.validUntil })),
        )
        .execute();
      const licence = await this.#licence(trx, code);
      change({ entity: "licence", key: code, op: "upsert", data: licence });
      emit({ type: "licence.issued", data: { subjects: [code], number } });
      return licence!;
    }, at);
  }

  /** Suspends the right to drive until a date (inclusive), or lifts it (null). */
  async suspendLicence(person: string, until: string | null, at = new Date()): Promise<Licence> {
    const code = personalCode(person, "holder");
    if (until !== null && !DATE.test(until)) throw new VehicleError("LICENCE_INVALID", "until must be YYYY-MM-DD");
    return this.store.write(async ({ trx, change }) => {
      const updated = await trx
        .updateTable("licence")
        .set({ suspended_until: until })
        .where("personal_code", "=", code)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new VehicleError("LICENCE_NOT_FOUND", `${code} holds no licence`);
      const licence = (await this.#licence(trx, code))!;
      change({ entity: "licence", key: code, op: "upsert", data: licence });
      return licence;
    }, at);
  }

  async licence(person: string): Promise<Licence> {
    const code = personalCode(person, "holder");
    const licence = await this.#licence(this.store.db, code);
    if (!licence) throw new VehicleError("LICENCE_NOT_FOUND", `${code} holds no licence`);
    return licence;
  }

  /**
   * The roadside check: may the person drive `category` on `on` (the ID card is the licence, so
   * the police ask by personal code). Allowed when a held category entitles to it
   * (licence-categories.ts), is valid that day and the licence is not suspended.
   */
  async drivingRight(person: string, wanted: string, on: string): Promise<DrivingRight> {
    const code = personalCode(person, "person");
    const category = parseCategory(wanted);
    if (!DATE.test(on)) throw new VehicleError("LICENCE_INVALID", "the day must be YYYY-MM-DD");
    const answer = (rest: Omit<DrivingRight, "personalCode" | "category" | "on">): DrivingRight => ({
      personalCode: code,
      category,
      on,
      ...rest,
    });
    const licence = await this.#licence(this.store.db, code);
    if (!licence) return answer({ allowed: false, reason: "no-licence" });
    const entitling = categoriesEntitling(
      licence.categories.map((c) => c.category),
      category,
    );
    if (entitling.length === 0) return answer({ allowed: false, reason: "category-not-held" });
    if (licence.suspendedUntil !== null && licence.suspendedUntil >= on)
      return answer({ allowed: false, reason: "suspended" });
    const valid = licence.categories
      .filter((c) => entitling.includes(c.category) && c.since <= on && c.validUntil >= on)
      .sort((a, b) => b.validUntil.localeCompare(a.validUntil))[0];
    if (!valid) return answer({ allowed: false, reason: "expired" });
    return answer({ allowed: true, by: valid.category, validUntil: valid.validUntil, reason: "valid" });
  }

  close(): Promise<void> {
    return this.store.close();
  }

  async #licence(db: MemberStorage<VehicleRegisterDb>["db"], code: string): Promise<Licence | undefined> {
    const row = await db.selectFrom("licence").selectAll().where("personal_code", "=", code).executeTakeFirst();
    if (!row) return undefined;
    const categories = await db
      .selectFrom("licence_category")
      .selectAll()
      .where("personal_code", "=", code)
      .orderBy("category")
      .execute();
    return {
      personalCode: code,
      number: row.number,
      suspendedUntil: row.suspended_until,
      categories: categories.map((c) => ({
        category: c.category as Category,
        since: c.since,
        validUntil: c.valid_until,
      })),
    };
  }
}

export async function openVehicleRegister(location: {
  dataDir: string;
  url?: string;
  schema?: string;
}): Promise<VehicleRegister> {
  return new VehicleRegister(
    await openMemberStorage<VehicleRegisterDb>({
      component: VEHICLE_REGISTER_COMPONENT,
      migrations: vehicleRegisterMigrations,
      ...location,
    }),
  );
}
