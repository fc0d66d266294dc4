// The e-Business Register: companies, persons on the registry card, representation rights and
// founding applications, on the kit's storage (every write journalled, its events queued).
import { createHash, randomUUID } from "node:crypto";
import { parseRegistryCode, REGISTRY_CODE_CLASSES, registryCodeFor } from "@riik/core";
import { ClientBounds, type MemberStorage, type MemberWrite, openMemberStorage } from "@riik/kit";
import type { Kysely, Transaction } from "kysely";
import { BusinessRegisterError } from "../errors.ts";
import {
  APPLICATION_FILE,
  type Application,
  applicationDocument,
  checkApplication,
  companyFounders,
  founderCode,
  isCompanyFounder,
  type Person,
  personalCode,
  personFounders,
} from "../founding/application.ts";
import { assertSignersStillGood } from "../founding/certificate-status.ts";
import { type FoundingChecks, NO_EXTERNAL_CHECKS } from "../founding/checks.ts";
import {
  type FounderSignature,
  founderSignatures,
  openContainer,
  validSignatures,
} from "../founding/founder-signature.ts";
import { nameKey, reservedWordIn, similarKeys } from "../model/company-name.ts";
import {
  applicationPersons,
  BUSINESS_REGISTER_COMPONENT,
  type BusinessRegisterDb,
  businessRegisterMigrations,
  type CompanyPersonTable,
  type CompanyTable,
  FOUNDING_BOUND,
  journalled,
  type RepresentationTable,
  withActor,
} from "./schema.ts";

export type Role = "board" | "shareholder" | "beneficial_owner" | "contact" | "founder";

export interface Company {
  registryCode: string;
  name: string;
  legalForm: string;
  status: "registered" | "deleted";
  seatAddress: string;
  shareCapitalCents: number;
  email: string;
  activity: string;
  registered: string;
  deleted: string | null;
}
export interface RelatedPerson {
  role: Role;
  personalCode: string;
  givenName: string;
  surname: string;
  shareCents: number | null;
  since: string;
}
export interface RepresentationRight {
  registryCode: string;
  companyName: string;
  legalForm: string;
  scope: "alone" | "jointly";
  since: string;
}

/** Who asks (X-Road-UserId of the person acting, EE + personal code) and when. */
export interface WriteContext {
  at?: Date;
  actor?: string;
}

export interface BusinessRegisterLocation {
  dataDir: string;
  url?: string;
  schema?: string;
}

export interface BusinessRegisterOptions {
  /** Roots founders' signing certificates must chain to (the trust services' root). */
  trustAnchors: Parameters<typeof founderSignatures>[3];
  checks?: FoundingChecks;
  /** Applications one client may create per hour (default 100). */
  foundingHourlyLimit?: number;
}

const today = (at = new Date()) => at.toISOString().slice(0, 10);

const companyOf = (row: CompanyTable): Company => ({
  registryCode: row.registry_code,
  name: row.name,
  legalForm: row.legal_form,
  status: row.status as Company["status"],
  seatAddress: row.seat_address,
  shareCapitalCents: Number(row.share_capital_cents),
  email: row.email,
  activity: row.emtak,
  registered: row.registered,
  deleted: row.deleted,
});
const personOf = (row: CompanyPersonTable): RelatedPerson => ({
  role: row.role as Role,
  personalCode: row.personal_code,
  givenName: row.given_name,
  surname: row.surname,
  shareCents: row.share_cents === null ? null : Number(row.share_cents),
  since: row.since,
});

export class BusinessRegister {
  private readonly bounds: ClientBounds;

  constructor(
    readonly store: MemberStorage<BusinessRegisterDb>,
    private readonly options: BusinessRegisterOptions,
  ) {
    this.bounds = new ClientBounds(store.db);
  }

  get db() {
    return this.store.db;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  // ---- reads

  async company(code: string): Promise<Company> {
    const row = await this.db
      .selectFrom("company")
      .selectAll()
      .where("registry_code", "=", parseRegistryCode(code))
      .executeTakeFirst();
    if (!row) throw new BusinessRegisterError("COMPANY_NOT_FOUND", `no company with registry code ${code}`);
    return companyOf(row);
  }

  async companies(): Promise<Company[]> {
    return (await this.db.selectFrom("company").selectAll().orderBy("registry_code").execute()).map(companyOf);
  }

  async persons(code: string): Promise<RelatedPerson[]> {
    await this.company(code);
    const rows = await this.db
      .selectFrom("company_person")
      .selectAll()
      .where("registry_code", "=", code)
      .orderBy("role")
      .orderBy("personal_code")
      .execute();
    return rows.map(personOf);
  }

  async allPersons(): Promise<Array<RelatedPerson & { registryCode: string }>> {
    const rows = await this.db
      .selectFrom("company_person")
      .selectAll()
      .orderBy("registry_code")
      .orderBy("role")
      .orderBy("personal_code")
      .execute();
    return rows.map((row) => ({ registryCode: row.registry_code, ...personOf(row) }));
  }

  /** Every company on another's registry card (founders and shareholders that are legal persons). */
  async allLegalPersons() {
    const rows = await this.db
      .selectFrom("company_legal_person")
      .selectAll()
      .orderBy("registry_code")
      .orderBy("role")
      .orderBy("holder_code")
      .execute();
    return rows.map((r) => ({
      registryCode: r.registry_code,
      role: r.role as "founder" | "shareholder",
      holderCode: r.holder_code,
      holderName: r.holder_name,
      shareCents: r.share_cents === null ? null : Number(r.share_cents),
      since: r.since,
    }));
  }

  /** The companies `code` may act for (registered companies only), with the scope of the right. */
  async representationRights(code: string): Promise<RepresentationRight[]> {
    const rows = await this.db
      .selectFrom("representation")
      .innerJoin("company", "company.registry_code", "representation.registry_code")
      .select([
        "representation.registry_code",
        "company.name",
        "company.legal_form",
        "representation.scope",
        "representation.since",
      ])
      .where("representation.personal_code", "=", personalCode(code))
      .where("company.status", "=", "registered")
      .orderBy("representation.registry_code")
      .execute();
    return rows.map((r) => ({
      registryCode: r.registry_code,
      companyName: r.name,
      legalForm: r.legal_form,
      scope: r.scope as RepresentationRight["scope"],
      since: r.since,
    }));
  }

  /**
   * The open applications a person is a founder or board member of (contract E), each with its
   * founders and whether each has signed, oldest first.
   */
  async personApplications(code: string) {
    const rows = await this.db
      .selectFrom("application")
      .innerJoin("application_person", "application_person.application_id", "application.id")
      .select(["application.id", "application.document", "application.status", "application.created"])
      .where("application_person.personal_code", "=", personalCode(code))
      .where("application.status", "=", "open")
      .orderBy("application.created")
      .orderBy("application.id")
      .execute();
    const applications = [];
    for (const row of rows) {
      const { application, signed } = await this.signedFounders(row.id, row.document);
      applications.push({
        id: row.id,
        name: application.name,
        status: row.status as "open",
        founders: signed,
        createdAt: row.created,
      });
    }
    return applications;
  }

  /** The companies a person is on the registry card of, with their roles there (contract E). */
  async personCompanies(code: string) {
    const rows = await this.db
      .selectFrom("company_person")
      .innerJoin("company", "company.registry_code", "company_person.registry_code")
      .select([
        "company.registry_code",
        "company.name",
        "company.legal_form",
        "company.status",
        "company_person.role",
        "company_person.since",
      ])
      .where("company_person.personal_code", "=", personalCode(code))
      .orderBy("company.registry_code")
      .orderBy("company_person.role")
      .execute();
    const companies = new Map<
      string,
      {
        registryCode: string;
        name: string;
        legalForm: string;
        status: Company["status"];
        roles: Array<{ role: Role; since: string }>;
      }
    >();
    for (const row of rows) {
      const company = companies.get(row.registry_code) ?? {
        registryCode: row.registry_code,
        name: row.name,
        legalForm: row.legal_form,
        status: row.status as Company["status"],
        roles: [],
      };
      company.roles.push({ role: row.role as Role, since: row.since });
      companies.set(row.registry_code, company);
    }
    return [...companies.values()];
  }

  /** An application's founders and whether each has signed. */
  private async signedFounders(id: string, document: string) {
    const application = JSON.parse(document) as Application;
    const signedBy = new Set(
      (
        await this.db
          .selectFrom("application_signature")
          .select("personal_code")
          .where("application_id", "=", id)
          .execute()
      ).map((s) => s.personal_code),
    );
    const unsigned = new Set(await this.unsignedFounders(application, signedBy));
    const signed = application.founders.map((f) =>
      isCompanyFounder(f)
        ? { registryCode: f.registryCode, name: f.name, signed: !unsigned.has(f.registryCode) }
        : {
            personalCode: f.personalCode,
            givenName: f.givenName,
            surname: f.surname,
            signed: !unsigned.has(f.personalCode),
          },
    );
    return { application, signed };
  }

  /**
   * Registered names like `name` (shown to a founder choosing one); `taken` when one is the same
   * name; `reserved` the word reserved for the state it holds (the application would be refused).
   */
  async nameCheck(
    name: string,
    db: Kysely<BusinessRegisterDb> | Transaction<BusinessRegisterDb> = this.db,
  ): Promise<{ taken: boolean; reserved: string | null; similar: Array<{ registryCode: string; name: string }> }> {
    const key = nameKey(name);
    const rows = await db
      .selectFrom("company")
      .select(["registry_code", "name", "name_key"])
      .where("status", "=", "registered")
      .execute();
    const similar = rows
      .filter((r) => similarKeys(key, r.name_key))
      .map((r) => ({ registryCode: r.registry_code, name: r.name }));
    return { taken: rows.some((r) => r.name_key === key), reserved: reservedWordIn(name) ?? null, similar };
  }

  // ---- founding

  /**
   * The representation rights of the companies founding (each registered here, else
   * COMPANY_NOT_FOUND or COMPANY_DELETED): who may sign for each.
   */
  private async foundingCompanyRepresentatives(application: Application): Promise<RepresentationTable[]> {
    const codes = companyFounders(application).map((f) => f.registryCode);
    if (codes.length === 0) return [];
    for (const code of codes) {
      const company = await this.company(code);
      if (company.status === "deleted")
        throw new BusinessRegisterError(
          "COMPANY_DELETED",
          `founding company ${code} was deleted on ${company.deleted}`,
        );
    }
    return this.db.selectFrom("representation").selectAll().where("registry_code", "in", codes).execute();
  }

  /**
   * The founders (codes) whose signature is missing: a person who has not signed; a company
   * none of whose representatives alone has signed, nor all of its joint representatives
   * (Commercial Code § 181(1)), as its registry card says now.
   */
  private async unsignedFounders(application: Application, signedBy: ReadonlySet<string>): Promise<string[]> {
    const companies = companyFounders(application).map((f) => f.registryCode);
    const rights =
      companies.length === 0
        ? []
        : await this.db
            .selectFrom("representation")
            .innerJoin("company", "company.registry_code", "representation.registry_code")
            .select(["representation.registry_code", "representation.personal_code", "representation.scope"])
            .where("representation.registry_code", "in", companies)
            .where("company.status", "=", "registered")
            .execute();
    return application.founders.map(founderCode).filter((code) => {
      if (!companies.includes(code)) return !signedBy.has(code);
      const representatives = rights.filter((r) => r.registry_code === code);
      const signed = representatives.filter((r) => signedBy.has(r.personal_code));
      const alone = signed.some((r) => r.scope === "alone");
      const jointly = representatives.length > 0 && signed.length === representatives.length;
      return !(alone || jointly);
    });
  }

  /** The companies on a company's registry card (founders and shareholders that are legal persons). */
  async legalPersons(code: string) {
    const rows = await this.db
      .selectFrom("company_legal_person")
      .selectAll()
      .where("registry_code", "=", code)
      .orderBy("role")
      .orderBy("holder_code")
      .execute();
    return rows.map((r) => ({
      role: r.role as "founder" | "shareholder",
      registryCode: r.holder_code,
      name: r.holder_name,
      shareCents: r.share_cents === null ? null : Number(r.share_cents),
      since: r.since,
    }));
  }

  /** A new application: checked, stored with the document the founders are to sign. */
  async createApplication(
    input: Application,
    context: { client?: string; at?: Date } = {},
  ): Promise<{ id: string; document: string; sha256: string; fileName: string }> {
    const application = checkApplication(input);
    const { taken, similar } = await this.nameCheck(application.name);
    if (taken) throw nameTaken(application.name, similar);
    const representatives = await this.foundingCompanyRepresentatives(application);
    const id = randomUUID();
    const { document, sha256 } = applicationDocument(application);
    const at = context.at ?? new Date();
    await this.db.transaction().execute(async (trx) => {
      await this.countApplication(trx, context.client ?? "direct", at);
      await trx
        .insertInto("application")
        .values({
          id,
          document,
          sha256,
          status: "open",
          fee_receipt: null,
          registry_code: null,
          created: at.toISOString(),
        })
        .execute();
      const concerned = new Set([...applicationPersons(application), ...representatives.map((r) => r.personal_code)]);
      for (const personal_code of concerned)
        await trx.insertInto("application_person").values({ application_id: id, personal_code }).execute();
    });
    return { id, document, sha256, fileName: APPLICATION_FILE };
  }

  /**
   * One more application of CLIENT this hour (a clock hour), in the creating transaction (so
   * a refused one counts nothing); past the bound FOUNDING_RATE_LIMITED.
   */
  private async countApplication(trx: Transaction<BusinessRegisterDb>, client: string, at: Date): Promise<void> {
    const limit = this.options.foundingHourlyLimit ?? 100;
    const bound = { name: FOUNDING_BOUND, max: limit, windowMs: 3_600_000, aligned: true };
    const admission = await this.bounds.admit(bound, client, at, trx);
    if (!admission.admitted) {
      const { retryAfterSeconds } = admission;
      throw new BusinessRegisterError(
        "FOUNDING_RATE_LIMITED",
        `${client} has created ${limit} applications this hour, the most one client may; try again in ${retryAfterSeconds} s`,
        { details: { limit, retryAfterSeconds } },
      );
    }
  }

  async application(id: string) {
    const row = await this.db.selectFrom("application").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new BusinessRegisterError("APPLICATION_NOT_FOUND", `no application ${id}`);
    const signed = await this.db
      .selectFrom("application_signature")
      .select("personal_code")
      .where("application_id", "=", id)
      .orderBy("personal_code")
      .execute();
    const application = JSON.parse(row.document) as Application;
    return {
      id: row.id,
      status: row.status as "open" | "registered",
      sha256: row.sha256,
      document: row.document,
      application,
      signedBy: signed.map((s) => s.personal_code),
      registryCode: row.registry_code,
    };
  }

  /** A founder's ASiC-E container over the application: its signers are recorded. */
  async sign(id: string, container: Uint8Array): Promise<{ signedBy: string[]; missing: string[] }> {
    const current = await this.application(id);
    if (current.status !== "open") throw closed(id);
    // Who may sign: the founders who are persons, and for a founding company its representatives.
    const representatives = await this.foundingCompanyRepresentatives(current.application);
    const eligible = new Set([
      ...personFounders(current.application).map((f) => f.personalCode),
      ...representatives.map((r) => r.personal_code),
    ]);
    const signatures: FounderSignature[] = await founderSignatures(
      container,
      current.document,
      eligible,
      this.options.trustAnchors,
    );
    await this.db.transaction().execute(async (trx) => {
      for (const s of signatures) {
        await trx
          .deleteFrom("application_signature")
          .where("application_id", "=", id)
          .where("personal_code", "=", s.personalCode)
          .execute();
        await trx
          .insertInto("application_signature")
          .values({
            application_id: id,
            personal_code: s.personalCode,
            container_sha256: s.containerSha256,
            signing_time: s.signingTime,
            certificate: s.certificate,
            ca_certificates: JSON.stringify(s.caCertificates),
          })
          .execute();
      }
    });
    const after = await this.application(id);
    return {
      signedBy: after.signedBy,
      missing: (await this.unsignedFounders(after.application, new Set(after.signedBy))).sort(),
    };
  }

  /**
   * Registration (Commercial Code § 521 ff.): every founder has signed, the state fee is paid,
   * the external checks pass; then in ONE transaction the registry code, the registry card, the
   * representation rights, the journal entries and the outbox event — or nothing.
   */
  async register(id: string, feeReceipt: string | undefined, context: WriteContext = {}): Promise<Company> {
    const { at = new Date(), actor } = context;
    const current = await this.application(id);
    if (current.status !== "open") throw closed(id);
    const application = current.application;
    const missing = await this.unsignedFounders(application, new Set(current.signedBy));
    if (missing.length > 0)
      throw new BusinessRegisterError(
        "SIGNATURES_MISSING",
        `founders ${missing.join(", ")} have not signed the application (a company through a representative)`,
        {
          details: { missing },
        },
      );
    if (!feeReceipt) throw new BusinessRegisterError("FEE_NOT_PAID", "the state fee's receipt is missing");
    // Each signer's card asked about again now: one revoked since it signed does not count.
    const signatures = await this.db
      .selectFrom("application_signature")
      .select(["personal_code", "signing_time", "certificate", "ca_certificates"])
      .where("application_id", "=", id)
      .execute();
    await assertSignersStillGood(
      signatures.map((s) => ({
        personalCode: s.personal_code,
        signingTime: s.signing_time,
        certificate: s.certificate,
        caCertificates: s.ca_certificates,
      })),
      this.options.trustAnchors,
    );
    // The checks other registers answer (issue 14), asked now: a person may have died, an
    // e-residency been revoked or a ban been imposed since the application was made.
    const checks = this.options.checks ?? NO_EXTERNAL_CHECKS;
    const contact = application.contactPerson;
    const eResidents = new Set(
      await checks.personsExist(
        [
          ...personFounders(application),
          ...application.board,
          ...application.beneficialOwners,
          ...(contact ? [contact] : []),
        ].map((p) => p.personalCode),
        actor,
      ),
    );
    // Commercial Code § 631: a board none of whose members lives in Estonia names a contact
    // person who does (here: residents are the population register's, e-residents live abroad).
    if (contact && eResidents.has(contact.personalCode))
      throw new BusinessRegisterError(
        "CONTACT_PERSON_INVALID",
        `the contact person ${contact.personalCode} does not live in Estonia (an e-resident)`,
        { details: { personalCode: contact.personalCode } },
      );
    if (!contact && application.board.every((b) => eResidents.has(b.personalCode)))
      throw new BusinessRegisterError(
        "CONTACT_PERSON_REQUIRED",
        "no board member lives in Estonia: name a contact person who does (Commercial Code § 631)",
      );
    const banned = await checks.bannedFromBusiness(
      application.board.map((b) => b.personalCode),
      actor,
    );
    if (banned.length > 0)
      throw new BusinessRegisterError(
        "BOARD_MEMBER_BANNED",
        `${banned.join(", ")} may not be a board member (prohibition on business)`,
        {
          details: { banned },
        },
      );
    return this.store.write(async (raw) => {
      const write = withActor(raw, actor);
      const { trx } = write;
      // Read in the write's own transaction (SQLite has one connection; PostgreSQL sees its own state).
      const { taken, similar } = await this.nameCheck(application.name, trx);
      if (taken) throw nameTaken(application.name, similar);
      const claimed = await trx
        .updateTable("application")
        .set({ status: "registered", fee_receipt: feeReceipt })
        .where("id", "=", id)
        .where("status", "=", "open")
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) throw closed(id);
      const company = await this.enter(write, application, at);
      const code = company.registry_code;
      await trx.updateTable("application").set({ registry_code: code }).where("id", "=", id).execute();
      await trx.deleteFrom("application_person").where("application_id", "=", id).execute();
      write.emit({
        type: "company.registered",
        data: {
          registryCode: code,
          name: application.name,
          board: application.board.map((b) => b.personalCode),
          ...(actor ? { actor } : {}),
        },
      });
      return companyOf(company);
    }, at);
  }

  /** The registry card of an application, in the caller's write: code, company, persons, rights. */
  private async enter(
    write: MemberWrite<BusinessRegisterDb>,
    application: Application,
    at: Date,
    registryCode?: string,
  ): Promise<CompanyTable> {
    const { trx } = write;
    const code = registryCode ?? (await nextRegistryCode(trx));
    const since = today(at);
    const company: CompanyTable = {
      registry_code: code,
      name: application.name,
      name_key: nameKey(application.name),
      legal_form: application.legalForm,
      status: "registered",
      seat_address: application.seatAddress,
      share_capital_cents: application.shareCapitalCents,
      email: application.email,
      emtak: application.activity,
      registered: since,
      deleted: null,
    };
    await journalled(write, "company", "upsert", company);
    const person = (role: Role, p: Person, shareCents: number | null = null): CompanyPersonTable => ({
      registry_code: code,
      role,
      personal_code: p.personalCode,
      given_name: p.givenName,
      surname: p.surname,
      share_cents: shareCents,
      since,
    });
    const rows = [
      ...personFounders(application).map((f) => person("founder", f)),
      ...personFounders(application).map((f) => person("shareholder", f, f.shareCents)),
      ...application.board.map((b) => person("board", b)),
      ...application.beneficialOwners.map((b) => person("beneficial_owner", b)),
      ...(application.contactPerson ? [person("contact", application.contactPerson)] : []),
    ];
    for (const row of rows) await journalled(write, "company_person", "upsert", row);
    for (const founder of companyFounders(application))
      for (const role of ["founder", "shareholder"] as const)
        await journalled(write, "company_legal_person", "upsert", {
          registry_code: code,
          role,
          holder_code: founder.registryCode,
          holder_name: founder.name,
          share_cents: role === "shareholder" ? founder.shareCents : null,
          since,
        });
    for (const b of application.board)
      await journalled(write, "representation", "upsert", {
        registry_code: code,
        personal_code: b.personalCode,
        scope: application.representation,
        since,
      });
    return company;
  }

  /**
   * A demo company for `riik business seed`: the same registry card and journal as a founding,
   * without the signatures and the fee (seeds stand for companies founded before the sandbox).
   * A seed may carry the registry code the company is already known by elsewhere (its X-Road
   * member code); otherwise it gets the next free one.
   */
  async seedCompany(input: Application, at = new Date(), registryCode?: string): Promise<Company> {
    const application = checkApplication(input);
    const code = registryCode === undefined ? undefined : parseRegistryCode(registryCode);
    return this.store.write(async (write) => {
      const { taken, similar } = await this.nameCheck(application.name, write.trx);
      if (taken) throw nameTaken(application.name, similar);
      const holder = code
        ? await write.trx.selectFrom("company").select("name").where("registry_code", "=", code).executeTakeFirst()
        : undefined;
      if (holder)
        throw new BusinessRegisterError("REGISTRY_CODE_TAKEN", `the registry code ${code} is ${holder.name}'s`);
      const company = await this.enter(write, application, at, code);
      write.emit({
        type: "company.registered",
        data: {
          registryCode: company.registry_code,
          name: company.name,
          board: application.board.map((b) => b.personalCode),
        },
      });
      return companyOf(company);
    }, at);
  }

  // ---- changes (each journalled, each with its event)

  async changeAddress(code: string, seatAddress: string, context: WriteContext = {}): Promise<Company> {
    return this.change(code, "company.address-changed", context, async (write, company) => {
      const row = { ...company, seat_address: seatAddress };
      await journalled(write, "company", "upsert", row);
      return row;
    });
  }

  async changeCapital(code: string, shareCapitalCents: number, context: WriteContext = {}): Promise<Company> {
    return this.change(code, "company.capital-changed", context, async (write, company) => {
      const shares = await write.trx
        .selectFrom("company_person")
        .select("share_cents")
        .where("registry_code", "=", code)
        .where("role", "=", "shareholder")
        .execute();
      if (shareCapitalCents < Math.max(1, shares.length))
        throw new BusinessRegisterError(
          "CAPITAL_TOO_LOW",
          `share capital must be at least €0.01 per share (${shares.length} shares)`,
        );
      const row = { ...company, share_capital_cents: shareCapitalCents };
      await journalled(write, "company", "upsert", row);
      return row;
    });
  }

  /** The management board replaced: board rows and representation rights follow in the same write. */
  async changeBoard(
    code: string,
    board: readonly Person[],
    scope: "alone" | "jointly" = "alone",
    context: WriteContext = {},
  ): Promise<Company> {
    const { at = new Date(), actor } = context;
    if (board.length === 0)
      throw new BusinessRegisterError("CHANGE_INVALID", "a company needs at least one board member");
    for (const member of board) personalCode(member.personalCode);
    if (new Set(board.map((b) => b.personalCode)).size !== board.length)
      throw new BusinessRegisterError("CHANGE_INVALID", "a person is listed twice on the board");
    const checks = this.options.checks ?? NO_EXTERNAL_CHECKS;
    const codes = board.map((b) => b.personalCode);
    await checks.personsExist(codes, actor);
    const banned = await checks.bannedFromBusiness(codes, actor);
    if (banned.length > 0)
      throw new BusinessRegisterError("BOARD_MEMBER_BANNED", `${banned.join(", ")} may not be a board member`, {
        details: { banned },
      });
    return this.change(code, "company.board-changed", context, async (write, company) => {
      const since = today(at);
      const old = await write.trx
        .selectFrom("company_person")
        .selectAll()
        .where("registry_code", "=", code)
        .where("role", "=", "board")
        .execute();
      const kept = new Map(old.map((o) => [o.personal_code, o]));
      for (const o of old)
        if (!board.some((b) => b.personalCode === o.personal_code))
          await journalled(write, "company_person", "delete", o);
      const rights = await write.trx
        .selectFrom("representation")
        .selectAll()
        .where("registry_code", "=", code)
        .execute();
      for (const r of rights) await journalled(write, "representation", "delete", r);
      for (const b of board) {
        const previous = kept.get(b.personalCode);
        await journalled(write, "company_person", "upsert", {
          registry_code: code,
          role: "board",
          personal_code: b.personalCode,
          given_name: b.givenName,
          surname: b.surname,
          share_cents: null,
          since: previous?.since ?? since,
        });
        await journalled(write, "representation", "upsert", {
          registry_code: code,
          personal_code: b.personalCode,
          scope,
          since,
        });
      }
      return company;
    });
  }

  /** Deletion from the register: the company stays on record as deleted; its representation rights end. */
  async deleteCompany(code: string, context: WriteContext = {}): Promise<Company> {
    const at = context.at ?? new Date();
    return this.change(code, "company.deleted", context, async (write, company) => {
      const rights = await write.trx
        .selectFrom("representation")
        .selectAll()
        .where("registry_code", "=", code)
        .execute();
      for (const r of rights) await journalled(write, "representation", "delete", r);
      const row = { ...company, status: "deleted", deleted: today(at) };
      await journalled(write, "company", "upsert", row);
      return row;
    });
  }

  private async change(
    code: string,
    event: string,
    { at, actor }: WriteContext,
    work: (write: MemberWrite<BusinessRegisterDb>, company: CompanyTable) => Promise<CompanyTable>,
  ): Promise<Company> {
    parseRegistryCode(code);
    return this.store.write(async (raw) => {
      const write = withActor(raw, actor);
      const company = await write.trx
        .selectFrom("company")
        .selectAll()
        .where("registry_code", "=", code)
        .executeTakeFirst();
      if (!company) throw new BusinessRegisterError("COMPANY_NOT_FOUND", `no company with registry code ${code}`);
      if (company.status === "deleted")
        throw new BusinessRegisterError("COMPANY_DELETED", `company ${code} was deleted on ${company.deleted}`);
      const row = await work(write, company);
      write.emit({ type: event, data: { registryCode: code, ...(actor ? { actor } : {}) } });
      return companyOf(row);
    }, at);
  }

  // ---- annual reports

  /**
   * An annual report (Accounting Act § 14; submitted within six months of the year's end, its
   * approval signed by the management board, Commercial Code § 179): an ASiC-E container of the
   * report's files, signed by a board member with representation rights (all of them when they
   * represent jointly). Listed on the company; one per financial year.
   */
  async submitAnnualReport(
    code: string,
    financialYear: number,
    container: Uint8Array,
    context: WriteContext = {},
  ): Promise<AnnualReport> {
    const { at = new Date(), actor } = context;
    const company = await this.company(code);
    if (company.status === "deleted")
      throw new BusinessRegisterError("COMPANY_DELETED", `company ${code} was deleted on ${company.deleted}`);
    const registeredYear = Number(company.registered.slice(0, 4));
    if (!Number.isInteger(financialYear) || financialYear < registeredYear || financialYear >= at.getUTCFullYear())
      throw new BusinessRegisterError(
        "ANNUAL_REPORT_INVALID",
        `a report is for a financial year that has ended since the company was registered (${registeredYear}–${at.getUTCFullYear() - 1}), not ${financialYear}`,
      );
    const { files } = openContainer(container);
    if (files.length === 0)
      throw new BusinessRegisterError("ANNUAL_REPORT_INVALID", "the container holds no report file");
    const signatures = await validSignatures(container, this.options.trustAnchors);
    const rights = await this.db.selectFrom("representation").selectAll().where("registry_code", "=", code).execute();
    const signers = new Set(signatures.map((s) => s.personalCode));
    const representatives = rights.filter((r) => signers.has(r.personal_code));
    if (representatives.length === 0)
      throw new BusinessRegisterError(
        "SIGNER_NOT_REPRESENTATIVE",
        `${signatures.map((s) => s.signerName).join(", ")} may not sign for company ${code}: no board member with representation rights signed`,
      );
    // Joint representation (§ 181(1) second sentence): every board member who represents jointly signs.
    const missing = rights
      .filter((r) => r.scope === "jointly" && !signers.has(r.personal_code))
      .map((r) => r.personal_code);
    if (representatives.every((r) => r.scope === "jointly") && missing.length > 0)
      throw new BusinessRegisterError(
        "SIGNATURES_MISSING",
        `the board represents jointly: ${missing.join(", ")} must sign too`,
        { details: { missing } },
      );
    await assertSignersStillGood(
      signatures.map((s) => ({ ...s, caCertificates: JSON.stringify(s.caCertificates) })),
      this.options.trustAnchors,
    );
    const row = {
      registry_code: code,
      financial_year: financialYear,
      files: JSON.stringify(
        files.map((f) => ({
          name: f.name,
          size: f.data.byteLength,
          sha256: createHash("sha256").update(f.data).digest("hex"),
        })),
      ),
      signed_by: JSON.stringify(representatives.map((r) => r.personal_code).sort()),
      container_sha256: signatures[0]!.containerSha256,
      submitted: at.toISOString(),
    };
    await this.store.write(async (raw) => {
      const write = withActor(raw, actor);
      const existing = await write.trx
        .selectFrom("annual_report")
        .select("submitted")
        .where("registry_code", "=", code)
        .where("financial_year", "=", financialYear)
        .executeTakeFirst();
      if (existing)
        throw new BusinessRegisterError(
          "ANNUAL_REPORT_EXISTS",
          `company ${code}'s annual report for ${financialYear} was submitted on ${existing.submitted}`,
        );
      await journalled(write, "annual_report", "upsert", row);
      await write.trx
        .insertInto("annual_report_container")
        .values({
          registry_code: code,
          financial_year: financialYear,
          container: Buffer.from(container).toString("base64"),
        })
        .execute();
      write.emit({
        type: "company.annual-report-submitted",
        data: { registryCode: code, financialYear, ...(actor ? { actor } : {}) },
      });
    }, at);
    return annualReportOf(row);
  }

  /** The annual reports on a company's file, newest year first. */
  async annualReports(code: string): Promise<AnnualReport[]> {
    await this.company(code);
    const rows = await this.db
      .selectFrom("annual_report")
      .selectAll()
      .where("registry_code", "=", code)
      .orderBy("financial_year", "desc")
      .execute();
    return rows.map(annualReportOf);
  }

  // ---- change feed

  /** Journal entries after `cursor` (a journal seq), at most `limit`, and the cursor to ask with next. */
  async changes(cursor: number, limit: number) {
    const rows = await this.db
      .selectFrom("change_journal")
      .selectAll()
      .where("seq", ">", cursor)
      .orderBy("seq")
      .limit(limit)
      .execute();
    const entries = rows.map((r) => ({
      seq: Number(r.seq),
      at: String(r.at),
      entity: r.entity,
      key: r.key,
      op: r.op as "upsert" | "delete",
      data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
    }));
    return { entries, next: entries.at(-1)?.seq ?? cursor };
  }
}

export interface AnnualReport {
  financialYear: number;
  files: Array<{ name: string; size: number; sha256: string }>;
  signedBy: string[];
  containerSha256: string;
  submitted: string;
}
const annualReportOf = (row: {
  financial_year: number;
  files: string;
  signed_by: string;
  container_sha256: string;
  submitted: string;
}): AnnualReport => ({
  financialYear: Number(row.financial_year),
  files: JSON.parse(row.files),
  signedBy: JSON.parse(row.signed_by),
  containerSha256: row.container_sha256,
  submitted: row.submitted,
});

const closed = (id: string) =>
  new BusinessRegisterError("APPLICATION_CLOSED", `application ${id} is already registered`);
const nameTaken = (name: string, similar: unknown) =>
  new BusinessRegisterError(
    "NAME_TAKEN",
    `a company with the name ${JSON.stringify(name)} (or one differing only in case, punctuation or legal form) is registered`,
    {
      details: { similar },
    },
  );

/** The next free company code (class 1): one past the highest, from 1600000x upwards. */
async function nextRegistryCode(trx: Transaction<BusinessRegisterDb>): Promise<string> {
  const row = await trx
    .selectFrom("company")
    .select((eb) => eb.fn.max("registry_code").as("code"))
    .where("registry_code", ">=", `${REGISTRY_CODE_CLASSES.company}0000000`)
    .where("registry_code", "<", `${REGISTRY_CODE_CLASSES.company + 1}0000000`)
    .executeTakeFirst();
  const highest = row?.code ? Number(String(row.code).slice(1, 7)) : 599_999;
  return registryCodeFor("company", Math.max(highest, 599_999) + 1);
}

export async function openBusinessRegister(
  location: BusinessRegisterLocation,
  options: BusinessRegisterOptions,
): Promise<BusinessRegister> {
  const store = await openMemberStorage<BusinessRegisterDb>({
    component: BUSINESS_REGISTER_COMPONENT,
    migrations: businessRegisterMigrations,
    ...location,
  });
  return new BusinessRegister(store, options);
}
