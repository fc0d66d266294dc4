// The vehicle register on the kit's storage: vehicles by VIN and plate with owner and
// responsible user, driving licences with categories and validity, and the roadside check.
import { randomUUID } from "node:crypto";
import { PersonalCodeError, parsePersonalCode } from "@riik/core";
import { type MemberStorage, openMemberStorage } from "@riik/kit";
import type { ValidationOptions } from "@riik/signature";
import { VehicleError } from "../errors.ts";
import { type Category, categoriesEntitling, parseCategory } from "../model/licence-categories.ts";
import { parsePlate } from "../model/plate.ts";
import { parseVin } from "../model/vin.ts";
import { transferDocument, transferSigners } from "../transfer/ownership-transfer.ts";
import {
  type OwnershipTransferTable,
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

export interface OwnershipTransfer {
  id: string;
  vin: string;
  seller: string;
  buyer: string;
  /** The exact text both parties sign (the container's one file, transfer.json). */
  document: string;
  status: "awaiting-signatures" | "completed";
  signedBy: string[];
  createdAt: string;
  completedAt: string | null;
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

const transferOf = (row: OwnershipTransferTable): OwnershipTransfer => ({
  id: row.id,
  vin: row.vin,
  seller: row.seller,
  buyer: row.buyer,
  document: row.document,
  status: row.status as OwnershipTransfer["status"],
  signedBy: row.signed_by ? row.signed_by.split(",") : [],
  createdAt: row.created_at,
  completedAt: row.completed_at,
});

export class VehicleRegister {
  constructor(
    readonly store: MemberStorage<VehicleRegisterDb>,
    /** Roots the parties' signing certificates must chain to (the configured trust services). */
    readonly trustAnchors: ValidationOptions["trustAnchors"] = [],
  ) {}

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

  /**
   * The owner starts a transfer to a buyer: the register writes the document both will sign.
   * SELLER_NOT_OWNER when the seller is not the vehicle's owner now.
   */
  async startTransfer(input: { vehicle: string; seller: string; buyer: string }, at = new Date()) {
    const seller = personalCode(input.seller, "seller");
    const buyer = personalCode(input.buyer, "buyer");
    if (seller === buyer) throw new VehicleError("TRANSFER_INVALID", "the buyer is the seller");
    const vehicle = await this.vehicle(input.vehicle);
    if (vehicle.owner !== seller)
      throw new VehicleError("SELLER_NOT_OWNER", `the seller is not the owner of ${vehicle.plate}`);
    const id = randomUUID();
    const createdAt = at.toISOString();
    const document = transferDocument({ id, vin: vehicle.vin, plate: vehicle.plate, seller, buyer, createdAt });
    return this.store.write(async ({ trx, change }) => {
      const row: OwnershipTransferTable = {
        id,
        vin: vehicle.vin,
        seller,
        buyer,
        document,
        status: "awaiting-signatures",
        signed_by: "",
        container: null,
        created_at: createdAt,
        completed_at: null,
      };
      await trx.insertInto("ownership_transfer").values(row).execute();
      const transfer = transferOf(row);
      change({ entity: "ownership_transfer", key: id, op: "upsert", data: transfer });
      return transfer;
    }, at);
  }

  async transfer(id: string): Promise<OwnershipTransfer> {
    const row = await this.store.db
      .selectFrom("ownership_transfer")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new VehicleError("TRANSFER_NOT_FOUND", `no transfer ${id}`);
    return transferOf(row);
  }

  /**
   * A container signed by one or both parties over the transfer's document. Once the seller's
   * and the buyer's valid signatures are both seen, the buyer becomes the owner (and the
   * responsible user, where the seller was it) in the same transaction, if the seller still owns it.
   */
  async signTransfer(id: string, container: Uint8Array, at = new Date()): Promise<OwnershipTransfer> {
    const current = await this.transfer(id);
    if (current.status !== "awaiting-signatures") throw new VehicleError("TRANSFER_CLOSED", `transfer ${id} is done`);
    const signers = await transferSigners(container, current.document, this.trustAnchors);
    const stranger = signers.find((code) => code !== current.seller && code !== current.buyer);
    if (stranger) throw new VehicleError("SIGNER_NOT_PARTY", "a signer is neither the seller nor the buyer");
    return this.store.write(async ({ trx, change, emit }) => {
      const row = await trx.selectFrom("ownership_transfer").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
      if (row.status !== "awaiting-signatures") throw new VehicleError("TRANSFER_CLOSED", `transfer ${id} is done`);
      const signedBy = [...new Set([...(row.signed_by ? row.signed_by.split(",") : []), ...signers])].sort();
      const complete = signedBy.includes(row.seller) && signedBy.includes(row.buyer);
      if (complete) {
        const vehicle = await trx
          .selectFrom("vehicle")
          .selectAll()
          .where("vin", "=", row.vin)
          .executeTakeFirstOrThrow();
        if (vehicle.owner !== row.seller)
          throw new VehicleError("TRANSFER_CLOSED", "the vehicle changed owner after the transfer was started");
        const user = vehicle.user === row.seller ? row.buyer : vehicle.user;
        await trx.updateTable("vehicle").set({ owner: row.buyer, user }).where("vin", "=", row.vin).execute();
        change({
          entity: "vehicle",
          key: row.vin,
          op: "upsert",
          data: { ...vehicleOf(vehicle), owner: row.buyer, user },
        });
        emit({
          type: "vehicle.owner-changed",
          data: { subjects: [row.seller, row.buyer], vin: row.vin, transfer: id },
        });
      }
      const updated: OwnershipTransferTable = {
        ...row,
        signed_by: signedBy.join(","),
        container: Buffer.from(container).toString("base64"),
        status: complete ? "completed" : "awaiting-signatures",
        completed_at: complete ? at.toISOString() : null,
      };
      await trx.updateTable("ownership_transfer").set(updated).where("id", "=", id).execute();
      const transfer = transferOf(updated);
      change({ entity: "ownership_transfer", key: id, op: "upsert", data: transfer });
      return transfer;
    }, at);
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

export async function openVehicleRegister(
  location: { dataDir: string; url?: string; schema?: string },
  options: { trustAnchors?: ValidationOptions["trustAnchors"] } = {},
): Promise<VehicleRegister> {
  return new VehicleRegister(
    await openMemberStorage<VehicleRegisterDb>({
      component: VEHICLE_REGISTER_COMPONENT,
      migrations: vehicleRegisterMigrations,
      ...location,
    }),
    options.trustAnchors,
  );
}
