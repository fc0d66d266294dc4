// The land register on the kit's storage: register parts (parts I-IV), the journal where the
// notaries' applications take their rank by arrival, the registrar's decisions, and a chain
// of entries per register part, each anchored in the integrity ledger before it is stored.
import { canonicalJson } from "@riik/core";
import { type MemberStorage, type MemberWrite, openMemberStorage } from "@riik/kit";
import type { ValidationOptions } from "@riik/signature";
import { type Deed, parseDeed, requiredSigners } from "../deed/deed.ts";
import { deedOf, deedSigners } from "../deed/deed-signatures.ts";
import { LandRegisterError } from "../errors.ts";
import { type EntryAnchor, type EntryRecord, recordBytes, sha256Hex } from "../journal/entry-record.ts";
import {
  type Composition,
  checkedComposition,
  checkedOwners,
  codeOf,
  type Encumbrance,
  type Owner,
  type RegisterPartContent,
  signerOf,
} from "../model/register-part.ts";
import { parseRegisterPartNumber } from "../model/register-part-number.ts";
import {
  type ApplicationTable,
  LAND_REGISTER_COMPONENT,
  type LandRegisterDb,
  landRegisterMigrations,
  landRegisterRows,
  type PartEntryTable,
  type RegisterPartTable,
} from "./schema.ts";

export interface RegisterEntry {
  seq: number;
  decision: EntryRecord["decision"];
  journal: number | null;
  /** The exact bytes anchored (canonical JSON): hash them with SHA-256 to check the signature. */
  record: string;
  ledgerSignature: string;
}

/** A register part as the public reads it: parts I-IV and the anchored entries. */
export interface RegisterPart extends RegisterPartContent {
  openedAt: string;
  entries: RegisterEntry[];
}

export interface Application {
  applicationId: string;
  journal: number;
  registerPart: string;
  kind: Deed["kind"];
  status: "pending" | "entered" | "refused";
  filedBy: string;
  filedAt: string;
  decidedAt: string | null;
  refusal: string | null;
  /** The entry that decided it. */
  entry: number | null;
  /** deed.json exactly as signed. */
  deed: string;
}

/** The file (toimik): the applications with their signed deeds. */
export interface FiledApplication extends Application {
  /** The signed ASiC-E container (base64). */
  container: string;
}

/**
 * Is this person banned from business (Commercial Code § 312; the police's business-bans
 * service)? A throw means no answer: the filing is refused (BAN_CHECK_UNAVAILABLE).
 */
export type BusinessBanCheck = (personalCode: string) => Promise<boolean>;

export interface LandRegisterOptions {
  anchor: EntryAnchor;
  /** Roots the parties' and notaries' signing certificates must chain to. */
  trustAnchors: ValidationOptions["trustAnchors"];
  businessBans?: BusinessBanCheck;
}

const applicationOf = (row: ApplicationTable): Application => ({
  applicationId: row.application_id,
  journal: Number(row.journal_no),
  registerPart: row.part_number,
  kind: row.kind as Deed["kind"],
  status: row.status as Application["status"],
  filedBy: row.filed_by,
  filedAt: row.filed_at,
  decidedAt: row.decided_at,
  refusal: row.refusal,
  entry: row.entry_seq === null ? null : Number(row.entry_seq),
  deed: row.deed,
});

const contentOf = (row: RegisterPartTable): RegisterPartContent => JSON.parse(row.content);
const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** Does the deed still fit the register part as it is now? Typed refusal otherwise. */
function assertConforms(content: RegisterPartContent, deed: Deed): void {
  const owners = content.owners.map((o) => o.code);
  if (deed.kind === "transfer") {
    const stranger = deed.sellers.map(codeOf).find((code) => !owners.includes(code));
    if (stranger)
      throw new LandRegisterError("SELLER_NOT_OWNER", `a seller is not an owner of register part ${content.number}`, {
        details: { seller: stranger },
      });
    if (!sameSet(owners, deed.sellers.map(codeOf)))
      throw new LandRegisterError(
        "SELLER_NOT_OWNER",
        "a transfer deed conveys the whole register part: every owner sells",
        {
          details: { owners },
        },
      );
  } else if (!sameSet(owners, deed.owners.map(codeOf)))
    // A mortgage is created by the owner (Law of Property Act § 325): the deed must be theirs.
    throw new LandRegisterError("SIGNATURE_MISSING", "a mortgage is signed by every owner of the register part", {
      details: {
        missing: owners.filter((o) => !deed.owners.map(codeOf).includes(o)).map((o) => ({ code: o, role: "owner" })),
      },
    });
}

/** The register part after the deed is entered. */
function applied(content: RegisterPartContent, deed: Deed, journal: number): RegisterPartContent {
  if (deed.kind === "transfer")
    return {
      ...content,
      owners: deed.buyers.map((b) => ({ kind: "person" in b ? "person" : "company", code: codeOf(b), share: b.share })),
    };
  const rank = Math.max(0, ...content.mortgages.map((m) => m.rank)) + 1;
  return {
    ...content,
    mortgages: [
      ...content.mortgages,
      { rank, amountCents: deed.amountCents, currency: "EUR", mortgagee: deed.mortgagee, journal },
    ],
  };
}

const personsAmong = (owners: readonly Owner[]) => owners.filter((o) => o.kind === "person").map((o) => o.code);

export class LandRegister {
  /** Per register part: one entry decided at a time in this process (the seq check covers others). */
  readonly #locks = new Map<string, Promise<unknown>>();
  /** Journal numbers are given one at a time in this process (the unique index covers others). */
  #filing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly store: MemberStorage<LandRegisterDb>,
    readonly options: LandRegisterOptions,
  ) {}

  /** The registrar opens a register part (parts I, II and III); entry 1, anchored. */
  async openRegisterPart(
    by: string,
    input: {
      number: string;
      kind: RegisterPartContent["kind"];
      composition: Composition;
      owners: Owner[];
      encumbrances?: Encumbrance[];
    },
    at = new Date(),
  ): Promise<RegisterPart> {
    const content: RegisterPartContent = {
      number: parseRegisterPartNumber(input.number),
      kind: input.kind,
      composition: checkedComposition(input.kind, input.composition),
      owners: checkedOwners(input.owners),
      encumbrances: input.encumbrances ?? [],
      mortgages: [],
    };
    await this.#entry(content.number, async (current) => {
      if (current)
        throw new LandRegisterError("REGISTER_PART_EXISTS", `register part ${content.number} is open already`);
      return { decision: "opened", by, content, at };
    });
    return this.registerPart(content.number);
  }

  /** A register part, parts I-IV and its entries; REGISTER_PART_NOT_FOUND. */
  async registerPart(number: string): Promise<RegisterPart> {
    const row = await this.#part(parseRegisterPartNumber(number));
    const entries = await this.store.db
      .selectFrom("part_entry")
      .selectAll()
      .where("part_number", "=", row.number)
      .orderBy("seq")
      .execute();
    return {
      ...contentOf(row),
      openedAt: row.opened_at,
      entries: entries.map((e) => ({
        seq: Number(e.seq),
        decision: e.decision as RegisterEntry["decision"],
        journal: e.journal_no === null ? null : Number(e.journal_no),
        record: e.record,
        ledgerSignature: e.ledger_signature,
      })),
    };
  }

  /** The register parts a person (personal code) or company (registry code) owns, parts I-IV. */
  async partsOf(code: string): Promise<RegisterPartContent[]> {
    const rows = await this.store.db
      .selectFrom("register_part")
      .innerJoin("part_owner", "part_owner.part_number", "register_part.number")
      .selectAll("register_part")
      .where("part_owner.owner_code", "=", code)
      .orderBy("register_part.number")
      .execute();
    return rows.map(contentOf);
  }

  /** The file of a register part: its applications with their signed deeds, by rank. */
  async file(number: string): Promise<FiledApplication[]> {
    const row = await this.#part(parseRegisterPartNumber(number));
    const rows = await this.store.db
      .selectFrom("application")
      .selectAll()
      .where("part_number", "=", row.number)
      .orderBy("journal_no")
      .execute();
    return rows.map((r) => ({ ...applicationOf(r), container: r.container }));
  }

  async application(id: string): Promise<Application> {
    const row = await this.store.db
      .selectFrom("application")
      .selectAll()
      .where("application_id", "=", id)
      .executeTakeFirst();
    if (!row) throw new LandRegisterError("APPLICATION_NOT_FOUND", `no application ${id}`);
    return applicationOf(row);
  }

  /**
   * The notary files a signed deed. It takes the next journal number (its rank) and waits for
   * the registrar; filing the same container under the same id again answers the application
   * filed (`created: false`). Refused, with nothing recorded, when the deed is not signed by
   * everyone it needs, the seller is not the owner, or a company buyer's representative is banned.
   */
  async fileApplication(
    client: string,
    container: Uint8Array,
    at = new Date(),
  ): Promise<{ application: Application; created: boolean }> {
    const { deed, bytes } = deedOf(container);
    const containerSha256 = sha256Hex(container);
    const filed = await this.#filed(deed.applicationId, containerSha256);
    if (filed) return { application: filed, created: false };
    const part = contentOf(await this.#part(deed.registerPart));
    const signers = await deedSigners(container, this.options.trustAnchors);
    const missing = requiredSigners(deed).filter((r) => !signers.includes(r.personalCode));
    if (missing.length > 0)
      throw new LandRegisterError(
        "SIGNATURE_MISSING",
        `not signed by ${missing.map((m) => `the ${m.role} ${m.personalCode}`).join(", ")}`,
        { details: { missing: missing.map((m) => ({ code: m.personalCode, role: m.role })) } },
      );
    assertConforms(part, deed);
    if (deed.kind === "transfer") await this.#assertNotBanned(deed);
    const run = this.#filing
      .catch(() => undefined)
      .then(() =>
        this.store.write(async (write) => {
          const { trx, emit } = write;
          const again = await trx
            .selectFrom("application")
            .selectAll()
            .where("application_id", "=", deed.applicationId)
            .executeTakeFirst();
          if (again) return { application: this.#same(again, containerSha256), created: false };
          const last = await trx
            .selectFrom("application")
            .select((eb) => eb.fn.max("journal_no").as("last"))
            .executeTakeFirst();
          const row: ApplicationTable = {
            application_id: deed.applicationId,
            journal_no: Number(last?.last ?? 0) + 1,
            part_number: deed.registerPart,
            kind: deed.kind,
            filed_by: client,
            deed: Buffer.from(bytes).toString("utf8"),
            container: Buffer.from(container).toString("base64"),
            container_sha256: containerSha256,
            status: "pending",
            refusal: null,
            entry_seq: null,
            filed_at: at.toISOString(),
            decided_at: null,
          };
          await trx.insertInto("application").values(row).execute();
          landRegisterRows.record(write, "application", "upsert", row);
          const application = applicationOf(row);
          emit({
            type: "land.application-filed",
            data: {
              subjects: personsAmong(part.owners),
              registerPart: row.part_number,
              journal: row.journal_no,
              application: row.application_id,
            },
          });
          return { application, created: true };
        }, at),
      );
    this.#filing = run;
    return run;
  }

  /**
   * The registrar's decision on the application with journal number `journal`: enter it (the
   * register part changes as the deed says) or refuse it. An application waits until every
   * earlier one on the same register part is decided (RANK_BLOCKED); an entry that no longer
   * fits the register part (its seller sold first to another) is refused with the typed code
   * and nothing is written.
   */
  async decide(
    registrar: string,
    journal: number,
    decision: { enter: true } | { enter: false; reason: string },
    at = new Date(),
  ): Promise<Application> {
    const row = await this.store.db
      .selectFrom("application")
      .selectAll()
      .where("journal_no", "=", journal)
      .executeTakeFirst();
    if (!row) throw new LandRegisterError("APPLICATION_NOT_FOUND", `no application with journal number ${journal}`);
    await this.#entry(row.part_number, async (current, trx) => {
      const now = await trx
        .selectFrom("application")
        .selectAll()
        .where("journal_no", "=", journal)
        .executeTakeFirstOrThrow();
      if (now.status !== "pending")
        throw new LandRegisterError("APPLICATION_DECIDED", `journal number ${journal} is ${now.status} already`);
      const earlier = await trx
        .selectFrom("application")
        .select("journal_no")
        .where("part_number", "=", now.part_number)
        .where("status", "=", "pending")
        .where("journal_no", "<", journal)
        .orderBy("journal_no")
        .executeTakeFirst();
      if (earlier)
        throw new LandRegisterError(
          "RANK_BLOCKED",
          `journal number ${earlier.journal_no} on register part ${now.part_number} ranks first and awaits its decision`,
          { details: { waitingBehind: Number(earlier.journal_no) } },
        );
      const content = contentOf(current!);
      const deed = parseDeed(Buffer.from(now.deed, "utf8"));
      if (decision.enter) assertConforms(content, deed);
      return {
        decision: decision.enter ? "entered" : "refused",
        by: registrar,
        content: decision.enter ? applied(content, deed, journal) : content,
        at,
        application: now,
        ...(decision.enter ? {} : { reason: decision.reason }),
      };
    });
    return this.application(row.application_id);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  async #filed(id: string, containerSha256: string): Promise<Application | undefined> {
    const row = await this.store.db
      .selectFrom("application")
      .selectAll()
      .where("application_id", "=", id)
      .executeTakeFirst();
    return row ? this.#same(row, containerSha256) : undefined;
  }

  #same(row: ApplicationTable, containerSha256: string): Application {
    if (row.container_sha256 !== containerSha256)
      throw new LandRegisterError(
        "APPLICATION_ID_REUSED",
        `application ${row.application_id} was filed with another container (journal number ${row.journal_no})`,
      );
    return applicationOf(row);
  }

  async #part(number: string): Promise<RegisterPartTable> {
    const row = await this.store.db
      .selectFrom("register_part")
      .selectAll()
      .where("number", "=", number)
      .executeTakeFirst();
    if (!row) throw new LandRegisterError("REGISTER_PART_NOT_FOUND", `no register part ${number}`);
    return row;
  }

  /** A company buying acts through its representative, who may not be banned from business. */
  async #assertNotBanned(deed: Extract<Deed, { kind: "transfer" }>): Promise<void> {
    const check = this.options.businessBans;
    if (!check) return;
    const representatives = deed.buyers.filter((b) => "company" in b).map(signerOf);
    for (const code of representatives) {
      let banned: boolean;
      try {
        banned = await check(code);
      } catch (cause) {
        throw new LandRegisterError(
          "BAN_CHECK_UNAVAILABLE",
          "the business ban check did not answer; nothing was filed, try again",
          { cause },
        );
      }
      if (banned)
        throw new LandRegisterError("BUYER_BANNED", "the buyer company's representative is banned from business", {
          details: { representative: code },
        });
    }
  }

  /**
   * One entry on a register part: `decide` sees the part as it is (undefined before it is
   * opened) and says what the entry is; the record, chained to the part's last one, is anchored
   * in the ledger, then the part, the owners' index, the application, the entry, the journal
   * and the event are written in one transaction. A decision that throws writes nothing; a
   * transaction that fails leaves only an unused anchor.
   */
  async #entry(
    number: string,
    decide: (
      current: RegisterPartTable | undefined,
      db: MemberStorage<LandRegisterDb>["db"],
    ) => Promise<{
      decision: EntryRecord["decision"];
      by: string;
      content: RegisterPartContent;
      at: Date;
      application?: ApplicationTable;
      reason?: string;
    }>,
  ): Promise<void> {
    const previous = this.#locks.get(number) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const current = await this.store.db
          .selectFrom("register_part")
          .selectAll()
          .where("number", "=", number)
          .executeTakeFirst();
        const entry = await decide(current, this.store.db);
        const last = current
          ? await this.store.db
              .selectFrom("part_entry")
              .select("record")
              .where("part_number", "=", number)
              .where("seq", "=", current.seq)
              .executeTakeFirstOrThrow()
          : undefined;
        const seq = (current ? Number(current.seq) : 0) + 1;
        const contentJson = canonicalJson(entry.content);
        const record: EntryRecord = {
          format: "riik-land-entry/1",
          registerPart: number,
          seq,
          decision: entry.decision,
          journal: entry.application ? Number(entry.application.journal_no) : null,
          application: entry.application?.application_id ?? null,
          at: entry.at.toISOString(),
          by: entry.by,
          deed: entry.application ? sha256Hex(entry.application.deed) : null,
          content: sha256Hex(contentJson),
          ...(entry.reason ? { reason: entry.reason } : {}),
          previous: last ? sha256Hex(last.record) : null,
        };
        const bytes = recordBytes(record);
        const signature = await this.options.anchor.anchor(Buffer.from(sha256Hex(bytes), "hex"));
        await this.store.write(async (write: MemberWrite<LandRegisterDb>) => {
          const { trx, emit } = write;
          const part: RegisterPartTable = {
            number,
            kind: entry.content.kind,
            content: contentJson,
            seq,
            opened_at: current?.opened_at ?? entry.at.toISOString(),
          };
          if (current) {
            const updated = await trx
              .updateTable("register_part")
              .set({ content: contentJson, seq })
              .where("number", "=", number)
              .where("seq", "=", current.seq)
              .executeTakeFirst();
            if (Number(updated.numUpdatedRows) !== 1)
              throw new LandRegisterError("RANK_BLOCKED", `register part ${number} changed meanwhile; decide again`);
          } else await trx.insertInto("register_part").values(part).execute();
          landRegisterRows.record(write, "register_part", "upsert", part);
          const before = current ? contentOf(current).owners : [];
          if (entry.decision !== "refused") {
            // Only the owners who changed, each journalled: the replica's part_owner is the register's.
            const owners = new Set(entry.content.owners.map((o) => o.code));
            const had = new Set(before.map((o) => o.code));
            for (const code of had)
              if (!owners.has(code))
                await landRegisterRows.write(write, "part_owner", "delete", { part_number: number, owner_code: code });
            for (const code of owners)
              if (!had.has(code))
                await landRegisterRows.write(write, "part_owner", "upsert", { part_number: number, owner_code: code });
          }
          if (entry.application) {
            const decided: ApplicationTable = {
              ...entry.application,
              status: entry.decision === "entered" ? "entered" : "refused",
              refusal: entry.reason ?? null,
              entry_seq: seq,
              decided_at: entry.at.toISOString(),
            };
            const updated = await trx
              .updateTable("application")
              .set({
                status: decided.status,
                refusal: decided.refusal,
                entry_seq: decided.entry_seq,
                decided_at: decided.decided_at,
              })
              .where("application_id", "=", decided.application_id)
              .where("status", "=", "pending")
              .executeTakeFirst();
            if (Number(updated.numUpdatedRows) !== 1)
              throw new LandRegisterError("APPLICATION_DECIDED", `journal number ${record.journal} is decided already`);
            landRegisterRows.record(write, "application", "upsert", decided);
          }
          const written: PartEntryTable = {
            part_number: number,
            seq,
            journal_no: record.journal,
            decision: entry.decision,
            record: bytes,
            ledger_signature: signature,
          };
          await trx.insertInto("part_entry").values(written).execute();
          landRegisterRows.record(write, "part_entry", "upsert", written);
          emit({
            type: `land.${entry.decision}`,
            data: {
              subjects: [...new Set([...personsAmong(before), ...personsAmong(entry.content.owners)])],
              registerPart: number,
              seq,
              journal: record.journal,
            },
          });
        }, entry.at);
      });
    this.#locks.set(number, run);
    try {
      await run;
    } finally {
      if (this.#locks.get(number) === run) this.#locks.delete(number);
    }
  }
}

export async function openLandRegister(
  location: { dataDir: string; url?: string; schema?: string },
  options: LandRegisterOptions,
): Promise<LandRegister> {
  return new LandRegister(
    await openMemberStorage<LandRegisterDb>({
      component: LAND_REGISTER_COMPONENT,
      migrations: landRegisterMigrations,
      ...location,
    }),
    options,
  );
}
