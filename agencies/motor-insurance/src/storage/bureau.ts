// The motor insurers' bureau (Eesti Liikluskindlustuse Fond) on the kit's storage: insurers,
// the policies they submit, "who insures this vehicle at this moment", and the accident case
// whose every step is a timeline record anchored in the integrity ledger before it is stored.
import { randomBytes, randomUUID } from "node:crypto";
import { PersonalCodeError, parsePersonalCode, parseRegistryCode } from "@riik/core";
import { type MemberStorage, type MemberWrite, openMemberStorage } from "@riik/kit";
import type { ValidationOptions } from "@riik/signature";
import { statementSigners } from "../case/statement-signature.ts";
import { type CaseStep, recordBytes, sha256Hex, type TimelineAnchor, type TimelineRecord } from "../case/timeline.ts";
import { MotorInsuranceError } from "../errors.ts";
import {
  assertPart,
  COMMON_PART,
  type CommonPart,
  DRIVER_PART,
  type DriverPart,
  type Statement,
  statementDocument,
  type VehiclePart,
} from "../model/statement.ts";
import {
  type AccidentCaseTable,
  MOTOR_INSURANCE_COMPONENT,
  type MotorInsuranceDb,
  motorInsuranceMigrations,
  type PolicyTable,
} from "./schema.ts";

/** The business register's answer for a registry code: the company's name, or undefined when unknown. */
export type CompanyLookup = (registryCode: string) => Promise<string | undefined>;

export interface Insurer {
  registryCode: string;
  name: string;
}

export interface Policy {
  number: string;
  insurer: string;
  vin: string;
  plate: string;
  holder: { name: string; personalCode: string | null };
  validFrom: string;
  validUntil: string;
}

/** Who insures a vehicle at a moment. */
export interface Insurance {
  at: string;
  vin: string;
  plate: string;
  insurer: Insurer;
  policy: Policy;
}

export interface TimelineEntry {
  seq: number;
  step: CaseStep;
  /** The exact bytes anchored (canonical JSON): hash them to check the signature. */
  record: string;
  /** riik-ledger-signature/v1 over SHA-256(record): `riik ledger verify` checks it offline. */
  ledgerSignature: string;
}

export interface AccidentCase {
  id: string;
  status: string;
  /** Shown to driver A only, until B joins. */
  joinCode?: string;
  drivers: { A: string; B: string | null };
  insurers: { A: string; B: string | null };
  injuries: boolean;
  /** The statement both sign (canonical JSON), once B has joined. */
  statement: string | null;
  signedBy: string[];
  acceptedBy: string[];
  liability: string | null;
  createdAt: string;
  closedAt: string | null;
  timeline: TimelineEntry[];
}

/** Who asks to see a case: a person (X-Road-UserId), an insurer, or the police. */
export type Viewer = { person: string } | { insurer: string } | { police: true };

const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;
const PLATE = /^[A-Z0-9]{2,9}$/;
const list = (text: string) => (text ? text.split(",") : []);
const plateOf = (text: string) => text.replace(/[\s-]/g, "").toUpperCase();

const personalCode = (text: string, what: string): string => {
  try {
    return parsePersonalCode(text).code;
  } catch (error) {
    if (error instanceof PersonalCodeError)
      throw new MotorInsuranceError("STATEMENT_INVALID", `${what}: ${error.message}`);
    throw error;
  }
};

const policyOf = (row: PolicyTable): Policy => ({
  number: row.number,
  insurer: row.insurer_code,
  vin: row.vin,
  plate: row.plate,
  holder: { name: row.holder_name, personalCode: row.holder_code },
  validFrom: row.valid_from,
  validUntil: row.valid_until,
});

/** The moment of the accident from boxes 1 (Estonian time is given; the form has no zone, so UTC+2 is assumed). */
const accidentMoment = (common: CommonPart) => new Date(`${common.date}T${common.time}:00+02:00`);

export class MotorInsuranceBureau {
  /** One step at a time per case: each record names the previous one's hash. */
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(
    readonly store: MemberStorage<MotorInsuranceDb>,
    readonly options: {
      anchor: TimelineAnchor;
      trustAnchors: ValidationOptions["trustAnchors"];
      /** Without it the registry code is checked (digits, class, check digit) but not looked up. */
      companies?: CompanyLookup;
    },
  ) {}

  // ---- insurers and policies ----

  async registerInsurer(input: { registryCode: string; name: string }, at = new Date()): Promise<Insurer> {
    parseRegistryCode(input.registryCode);
    const name = this.options.companies ? await this.options.companies(input.registryCode) : input.name;
    if (name === undefined)
      throw new MotorInsuranceError("COMPANY_UNKNOWN", `the business register knows no company ${input.registryCode}`);
    return this.store.write(async ({ trx, change }) => {
      const exists = await trx
        .selectFrom("insurer")
        .select("registry_code")
        .where("registry_code", "=", input.registryCode)
        .executeTakeFirst();
      if (exists) throw new MotorInsuranceError("INSURER_EXISTS", `${input.registryCode} is an insurer already`);
      await trx
        .insertInto("insurer")
        .values({ registry_code: input.registryCode, name, registered_at: at.toISOString() })
        .execute();
      const insurer = { registryCode: input.registryCode, name };
      change({ entity: "insurer", key: insurer.registryCode, op: "upsert", data: insurer });
      return insurer;
    }, at);
  }

  async insurers(): Promise<Insurer[]> {
    const rows = await this.store.db.selectFrom("insurer").selectAll().orderBy("name").execute();
    return rows.map((r) => ({ registryCode: r.registry_code, name: r.name }));
  }

  /**
   * The insurer an X-Road client speaks for: the member code of `INSTANCE/CLASS/MEMBER/SUB`
   * must be a registered insurer (a policy is the insurer's own word, never a third party's).
   */
  async insurerOfClient(client: string | undefined): Promise<string> {
    const member = client?.split("/")[2];
    const row =
      member &&
      (await this.store.db
        .selectFrom("insurer")
        .select("registry_code")
        .where("registry_code", "=", member)
        .executeTakeFirst());
    if (!row) throw new MotorInsuranceError("NOT_AN_INSURER", "the X-Road client is not a registered insurer");
    return row.registry_code;
  }

  async submitPolicy(
    insurer: string,
    input: {
      number: string;
      vin: string;
      plate: string;
      holder: { name: string; personalCode?: string };
      validFrom: string;
      validUntil: string;
    },
    at = new Date(),
  ): Promise<Policy> {
    const vin = input.vin.toUpperCase();
    const plate = plateOf(input.plate);
    if (!VIN.test(vin)) throw new MotorInsuranceError("POLICY_INVALID", "a VIN is 17 characters without I, O, Q");
    if (!PLATE.test(plate)) throw new MotorInsuranceError("POLICY_INVALID", "a plate is 2-9 letters and digits");
    const from = new Date(input.validFrom);
    const until = new Date(input.validUntil);
    if (Number.isNaN(from.getTime()) || Number.isNaN(until.getTime()) || until <= from)
      throw new MotorInsuranceError(
        "POLICY_INVALID",
        "validFrom and validUntil are instants, validUntil after validFrom",
      );
    const holderCode = input.holder.personalCode
      ? (() => {
          try {
            return parsePersonalCode(input.holder.personalCode).code;
          } catch (error) {
            throw new MotorInsuranceError("POLICY_INVALID", `holder: ${(error as Error).message}`);
          }
        })()
      : null;
    const row: PolicyTable = {
      number: input.number,
      insurer_code: insurer,
      vin,
      plate,
      holder_name: input.holder.name,
      holder_code: holderCode,
      valid_from: from.toISOString(),
      valid_until: until.toISOString(),
      submitted_at: at.toISOString(),
    };
    return this.store.write(async ({ trx, change, emit }) => {
      if (await trx.selectFrom("policy").select("number").where("number", "=", row.number).executeTakeFirst())
        throw new MotorInsuranceError("POLICY_EXISTS", `policy ${row.number} is registered`);
      // ISO instants of one format compare as text: [from, until) overlaps another period.
      const overlap = await trx
        .selectFrom("policy")
        .select("number")
        .where("vin", "=", vin)
        .where("valid_from", "<", row.valid_until)
        .where("valid_until", ">", row.valid_from)
        .executeTakeFirst();
      if (overlap)
        throw new MotorInsuranceError("POLICY_OVERLAP", `policy ${overlap.number} covers ${vin} in that period`);
      await trx.insertInto("policy").values(row).execute();
      const policy = policyOf(row);
      change({ entity: "policy", key: row.number, op: "upsert", data: policy });
      emit({ type: "policy.registered", data: { subjects: holderCode ? [holderCode] : [], vin, plate, insurer } });
      return policy;
    }, at);
  }

  /** Who insures the vehicle (by plate or VIN) at `at`: VEHICLE_UNKNOWN, NOT_INSURED. */
  async insurance(key: { plate?: string; vin?: string }, at = new Date()): Promise<Insurance> {
    const rows = await this.store.db
      .selectFrom("policy")
      .selectAll()
      .where(key.vin ? "vin" : "plate", "=", key.vin ? key.vin.toUpperCase() : plateOf(key.plate ?? ""))
      .execute();
    if (rows.length === 0)
      throw new MotorInsuranceError("VEHICLE_UNKNOWN", "no policy has ever been registered for this vehicle");
    const moment = at.toISOString();
    const row = rows.find((r) => r.valid_from <= moment && moment < r.valid_until);
    if (!row) throw new MotorInsuranceError("NOT_INSURED", `no policy covers the vehicle at ${moment}`);
    const insurer = await this.store.db
      .selectFrom("insurer")
      .selectAll()
      .where("registry_code", "=", row.insurer_code)
      .executeTakeFirstOrThrow();
    return {
      at: moment,
      vin: row.vin,
      plate: row.plate,
      insurer: { registryCode: insurer.registry_code, name: insurer.name },
      policy: policyOf(row),
    };
  }

  // ---- the accident case ----

  /** Driver A reports: the common part and their vehicle's; the bureau finds the insurer. */
  async report(driver: string, input: { common: unknown; vehicle: unknown }, at = new Date()): Promise<AccidentCase> {
    assertPart(COMMON_PART, input.common, "the common part");
    assertPart(DRIVER_PART, input.vehicle, "vehicle A");
    const common = input.common;
    const partA = await this.#vehiclePart(driver, input.vehicle, common);
    const id = randomUUID();
    const row: AccidentCaseTable = {
      id,
      // 8 characters of base32 (40 bits): read out or typed by driver B at the scene.
      join_code: base32(randomBytes(5)),
      status: "reported",
      driver_a: partA.driver.personalCode,
      driver_b: null,
      insurer_a: partA.insurance.insurer,
      insurer_b: null,
      injuries: common.injuries ? 1 : 0,
      common: JSON.stringify(common),
      part_a: JSON.stringify(partA),
      part_b: null,
      signed_by: "",
      container: null,
      accepted_by: "",
      liability: null,
      created_at: at.toISOString(),
      closed_at: null,
    };
    await this.#step(id, `EE${row.driver_a}`, "reported", {}, at, async () => ({ insert: row }));
    return this.case(id, { person: row.driver_a });
  }

  /** Driver B joins with A's code and fills in their vehicle's part. */
  async join(driver: string, joinCode: string, vehicle: unknown, at = new Date()): Promise<AccidentCase> {
    const found = await this.store.db
      .selectFrom("accident_case")
      .select("id")
      .where("join_code", "=", joinCode.toUpperCase())
      .executeTakeFirst();
    if (!found) throw new MotorInsuranceError("JOIN_CODE_INVALID", "no case waits for a driver with this code");
    assertPart(DRIVER_PART, vehicle, "vehicle B");
    await this.#step(found.id, `EE${driver}`, "joined", {}, at, async (row) => {
      if (row.status !== "reported") throw new MotorInsuranceError("JOIN_CODE_INVALID", "the case has its two drivers");
      if (row.driver_a === driver) throw new MotorInsuranceError("SIGNER_NOT_DRIVER", "driver A cannot join as B");
      const partB = await this.#vehiclePart(driver, vehicle, JSON.parse(row.common) as CommonPart);
      return {
        update: {
          join_code: null,
          status: "joined",
          driver_b: driver,
          insurer_b: partB.insurance.insurer,
          part_b: JSON.stringify(partB),
        },
      };
    });
    return this.case(found.id, { person: driver });
  }

  /** A driver corrects their own part (or the common part) before anyone has signed: STATEMENT_SIGNED after. */
  async amend(id: string, driver: string, input: { common?: unknown; vehicle?: unknown }, at = new Date()) {
    if (input.common !== undefined) assertPart(COMMON_PART, input.common, "the common part");
    if (input.vehicle !== undefined) assertPart(DRIVER_PART, input.vehicle, "the vehicle part");
    const row = await this.#row(id);
    if (row.signed_by !== "")
      throw new MotorInsuranceError("STATEMENT_SIGNED", "the statement is signed; a change would void the signature");
    const role = row.driver_a === driver ? "A" : row.driver_b === driver ? "B" : undefined;
    if (!role) throw new MotorInsuranceError("NOT_A_PARTY", "only the case's drivers change its statement");
    const common = (input.common as CommonPart | undefined) ?? (JSON.parse(row.common) as CommonPart);
    const part = input.vehicle
      ? await this.#vehiclePart(driver, input.vehicle, common)
      : (JSON.parse(role === "A" ? row.part_a : row.part_b!) as VehiclePart);
    await this.store.write(async ({ trx, change }) => {
      const updated = await trx
        .updateTable("accident_case")
        .set({
          common: JSON.stringify(common),
          injuries: common.injuries ? 1 : 0,
          ...(role === "A" ? { part_a: JSON.stringify(part) } : { part_b: JSON.stringify(part) }),
        })
        .where("id", "=", id)
        .where("signed_by", "=", "")
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0)
        throw new MotorInsuranceError("STATEMENT_SIGNED", "the statement was signed meanwhile");
      change({ entity: "accident_case", key: id, op: "upsert", data: { amendedBy: driver, role } });
    }, at);
    return this.case(id, { person: driver });
  }

  /** A container over the statement signed by one or both drivers; each new signer is a step. */
  async sign(id: string, container: Uint8Array, at = new Date()): Promise<AccidentCase> {
    const row = await this.#row(id);
    const document = this.#statement(row);
    if (!document)
      throw new MotorInsuranceError("CASE_STEP_INVALID", "driver B has not joined; there is no statement yet");
    const signers = await statementSigners(container, document, this.options.trustAnchors);
    for (const signer of signers)
      if (signer !== row.driver_a && signer !== row.driver_b)
        throw new MotorInsuranceError("SIGNER_NOT_DRIVER", "a signer is not a driver of this case");
    for (const [role, driver] of [
      ["A", row.driver_a],
      ["B", row.driver_b!],
    ] as const) {
      if (!signers.includes(driver)) continue;
      await this.#step(id, `EE${driver}`, `signed-by-${role}`, {}, at, async (current) => {
        if (this.#statement(current) !== document)
          throw new MotorInsuranceError("SIGNED_OTHER_STATEMENT", "the statement changed meanwhile");
        const signedBy = list(current.signed_by);
        if (signedBy.includes(driver)) return undefined;
        const all = [...signedBy, driver].sort();
        const both = all.includes(current.driver_a) && all.includes(current.driver_b!);
        return {
          update: {
            signed_by: all.join(","),
            container: Buffer.from(container).toString("base64"),
            status: both ? "signed" : current.status,
          },
        };
      });
    }
    return this.case(id, { person: signers[0]! });
  }

  /** An insurer of the case takes it on (each once), once both drivers have signed. */
  async accept(id: string, insurer: string, at = new Date()): Promise<AccidentCase> {
    await this.#step(id, insurer, "accepted-by-insurer", { insurer }, at, async (row) => {
      this.#ownInsurer(row, insurer);
      if (!["signed", "accepted"].includes(row.status))
        throw new MotorInsuranceError("CASE_STEP_INVALID", "a case is accepted once both drivers have signed");
      const accepted = list(row.accepted_by);
      if (accepted.includes(insurer)) throw new MotorInsuranceError("CASE_STEP_INVALID", "accepted already");
      return { update: { accepted_by: [...accepted, insurer].join(","), status: "accepted" } };
    });
    return this.case(id, { insurer });
  }

  /** Who is liable: A, B or shared (by an insurer that accepted the case). */
  async decideLiability(id: string, insurer: string, liable: "A" | "B" | "shared", at = new Date()) {
    await this.#step(id, insurer, "liability-decided", { liable }, at, async (row) => {
      this.#ownInsurer(row, insurer);
      if (row.status !== "accepted" || !list(row.accepted_by).includes(insurer))
        throw new MotorInsuranceError("CASE_STEP_INVALID", "liability is decided by an insurer that accepted the case");
      return { update: { liability: liable, status: "decided" } };
    });
    return this.case(id, { insurer });
  }

  /** The liable party's insurer pays or refuses the claim. */
  async settleClaim(id: string, insurer: string, outcome: { paid: boolean; amountCents: number }, at = new Date()) {
    await this.#step(id, insurer, outcome.paid ? "claim-paid" : "claim-refused", outcome, at, async (row) => {
      this.#ownInsurer(row, insurer);
      if (row.status !== "decided")
        throw new MotorInsuranceError("CASE_STEP_INVALID", "a claim is settled after liability is decided");
      const liableInsurers =
        row.liability === "A"
          ? [row.insurer_a]
          : row.liability === "B"
            ? [row.insurer_b]
            : [row.insurer_a, row.insurer_b];
      if (!liableInsurers.includes(insurer))
        throw new MotorInsuranceError("CASE_STEP_INVALID", "the claim is settled by the liable driver's insurer");
      return { update: { status: outcome.paid ? "paid" : "refused" } };
    });
    return this.case(id, { insurer });
  }

  async closeCase(id: string, insurer: string, at = new Date()): Promise<AccidentCase> {
    await this.#step(id, insurer, "closed", {}, at, async (row) => {
      this.#ownInsurer(row, insurer);
      if (row.status !== "paid" && row.status !== "refused")
        throw new MotorInsuranceError("CASE_STEP_INVALID", "a case is closed once its claim is settled");
      return { update: { status: "closed", closed_at: at.toISOString() } };
    });
    return this.case(id, { insurer });
  }

  /**
   * The case as `viewer` may see it: its drivers and their insurers always, the police only
   * when injuries are reported (Traffic Act § 169: a crash with injuries is theirs to handle).
   */
  async case(id: string, viewer: Viewer): Promise<AccidentCase> {
    const row = await this.#row(id);
    const allowed =
      "person" in viewer
        ? viewer.person === row.driver_a || viewer.person === row.driver_b
        : "insurer" in viewer
          ? viewer.insurer === row.insurer_a || viewer.insurer === row.insurer_b
          : row.injuries === 1;
    if (!allowed) throw new MotorInsuranceError("NOT_A_PARTY", "the case is shown to its drivers and their insurers");
    const events = await this.store.db
      .selectFrom("case_event")
      .selectAll()
      .where("case_id", "=", id)
      .orderBy("seq")
      .execute();
    return {
      id,
      status: row.status,
      ...(row.join_code && "person" in viewer && viewer.person === row.driver_a ? { joinCode: row.join_code } : {}),
      drivers: { A: row.driver_a, B: row.driver_b },
      insurers: { A: row.insurer_a, B: row.insurer_b },
      injuries: row.injuries === 1,
      statement: this.#statement(row),
      signedBy: list(row.signed_by),
      acceptedBy: list(row.accepted_by),
      liability: row.liability,
      createdAt: row.created_at,
      closedAt: row.closed_at,
      timeline: events.map((e) => ({
        seq: e.seq,
        step: e.step as CaseStep,
        record: e.record,
        ledgerSignature: e.ledger_signature,
      })),
    };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  async #row(id: string): Promise<AccidentCaseTable> {
    const row = await this.store.db.selectFrom("accident_case").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new MotorInsuranceError("CASE_NOT_FOUND", `no case ${id}`);
    return row;
  }

  #ownInsurer(row: AccidentCaseTable, insurer: string): void {
    if (insurer !== row.insurer_a && insurer !== row.insurer_b)
      throw new MotorInsuranceError("NOT_A_PARTY", "the insurer insures neither vehicle of the case");
  }

  /** The statement's bytes, once both parts are in. */
  #statement(row: AccidentCaseTable): string | null {
    if (!row.part_b) return null;
    const statement: Statement = {
      format: "riik-accident-statement/1",
      case: row.id,
      common: JSON.parse(row.common),
      A: JSON.parse(row.part_a),
      B: JSON.parse(row.part_b),
    };
    return statementDocument(statement);
  }

  /** A driver's part with box 8 filled in from the register: the policy covering the vehicle at the accident. */
  async #vehiclePart(driver: string, part: DriverPart, common: CommonPart): Promise<VehiclePart> {
    const code = personalCode(driver, "the driver acting");
    if (part.driver.personalCode !== code)
      throw new MotorInsuranceError("SIGNER_NOT_DRIVER", "a driver fills in their own vehicle's part");
    const moment = accidentMoment(common);
    if (Number.isNaN(moment.getTime())) throw new MotorInsuranceError("STATEMENT_INVALID", "box 1: no such date");
    const found = await this.insurance({ plate: part.vehicle.plate }, moment);
    return {
      ...part,
      insurance: {
        insurer: found.insurer.registryCode,
        insurerName: found.insurer.name,
        policy: found.policy.number,
        validUntil: found.policy.validUntil,
      },
    };
  }

  /**
   * One step: the record (chained to the last one) is anchored in the ledger, then the case
   * change, the record with its signature, the journal entry and the outbox event are written
   * in one transaction. `decide` sees the case as it is under the per-case lock; undefined
   * means nothing to do. A step whose transaction fails leaves only an unused anchor.
   */
  async #step(
    id: string,
    by: string,
    step: CaseStep,
    data: Record<string, unknown>,
    at: Date,
    decide: (
      row: AccidentCaseTable,
    ) => Promise<{ insert?: AccidentCaseTable; update?: Partial<AccidentCaseTable> } | undefined>,
  ): Promise<void> {
    const previous = this.#locks.get(id) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const existing = await this.store.db
          .selectFrom("accident_case")
          .selectAll()
          .where("id", "=", id)
          .executeTakeFirst();
        const change = await decide(existing ?? ({} as AccidentCaseTable));
        if (!change) return;
        const next = { ...(existing ?? change.insert!), ...change.update };
        const last = await this.store.db
          .selectFrom("case_event")
          .select(["seq", "record"])
          .where("case_id", "=", id)
          .orderBy("seq", "desc")
          .executeTakeFirst();
        const statement = this.#statement(next);
        const record: TimelineRecord = {
          format: "riik-accident-event/1",
          case: id,
          seq: (last?.seq ?? 0) + 1,
          step,
          at: at.toISOString(),
          by,
          statement: statement ? sha256Hex(statement) : null,
          data,
          previous: last ? sha256Hex(last.record) : null,
        };
        const bytes = recordBytes(record);
        const signature = await this.options.anchor.anchor(Buffer.from(sha256Hex(bytes), "hex"));
        await this.store.write(async ({ trx, change: journal, emit }: MemberWrite<MotorInsuranceDb>) => {
          if (change.insert) await trx.insertInto("accident_case").values(change.insert).execute();
          else await trx.updateTable("accident_case").set(change.update!).where("id", "=", id).execute();
          await trx
            .insertInto("case_event")
            .values({ case_id: id, seq: record.seq, step, record: bytes, ledger_signature: signature })
            .execute();
          journal({
            entity: "accident_case",
            key: id,
            op: "upsert",
            data: { status: next.status, step, seq: record.seq },
          });
          // Both drivers and both insurers are told of every step (the portal and the insurers read the outbox).
          emit({
            type: "accident.step",
            data: {
              subjects: [next.driver_a, ...(next.driver_b ? [next.driver_b] : [])],
              case: id,
              step,
              insurers: [next.insurer_a, ...(next.insurer_b ? [next.insurer_b] : [])],
              police: next.injuries === 1,
            },
          });
        }, at);
      });
    this.#locks.set(id, run);
    try {
      await run;
    } finally {
      if (this.#locks.get(id) === run) this.#locks.delete(id);
    }
  }
}

/** RFC 4648 base32 without padding (no 0/1/8/9 to mistake for O/I/B/g). */
function base32(bytes: Uint8Array): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

export async function openMotorInsuranceBureau(
  location: { dataDir: string; url?: string; schema?: string },
  options: MotorInsuranceBureau["options"],
): Promise<MotorInsuranceBureau> {
  return new MotorInsuranceBureau(
    await openMemberStorage<MotorInsuranceDb>({
      component: MOTOR_INSURANCE_COMPONENT,
      migrations: motorInsuranceMigrations,
      ...location,
    }),
    options,
  );
}
