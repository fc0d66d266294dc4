import { createHash } from "node:crypto";
import { canonicalJson, xroadUserId } from "@riik/core";
import type { RepresentedParty } from "@riik/kit";
import type { BusinessRegisterConfig } from "../config/portal-config.ts";
import { PortalError } from "../errors.ts";
import type { XRoadCalls } from "../xroad/calls.ts";

/** A company as the register's `companies` service describes it (GET /companies/{code}). */
export interface CompanyRecord {
  registryCode: string;
  name: string;
  legalForm: string;
  status: string;
  seatAddress: string;
  shareCapitalCents: number;
  email: string;
  activity: string;
  registered: string;
  deleted: string | null;
}

/** A person on a company's registry card (GET /companies/{code}/persons). */
export interface CompanyPerson {
  role: string;
  personalCode: string;
  givenName: string;
  surname: string;
  shareCents: number | null;
  since: string;
}

/** One of "My companies": a company whose registry card names the person, with their roles there. */
export interface MyCompany {
  registryCode: string;
  name: string;
  legalForm?: string;
  status?: string;
  roles: string[];
}

/** A founding application the person is a founder or board member of, not yet registered (contract E). */
export interface ApplicationSummary {
  id: string;
  name: string;
  status: string;
  founders: Array<{ personalCode: string; givenName: string; surname: string; signed: boolean }>;
  createdAt: string;
}

/** The application as the register keeps it (GET /applications/{id}). */
export interface ApplicationState {
  id: string;
  status: string;
  sha256: string;
  application: FoundingApplication;
  signedBy: string[];
  registryCode: string | null;
}

/** The founding application's fields (the business register's APPLICATION schema). */
export interface FoundingApplication {
  name: string;
  legalForm: "OÜ";
  seatAddress: string;
  email: string;
  activity: string;
  shareCapitalCents: number;
  founders: Array<{ personalCode: string; givenName: string; surname: string; shareCents: number }>;
  board: Array<{ personalCode: string; givenName: string; surname: string }>;
  contactPerson?: { personalCode: string; givenName: string; surname: string };
  beneficialOwners: Array<{ personalCode: string; givenName: string; surname: string }>;
  representation: "alone" | "jointly";
  articles: "standard";
}

/**
 * Who a call is made by: the logged-in person (X-Road-UserId) and, while they act for a
 * company, that company (X-Road-Represented-Party COM/registry code, PR-THIRDPARTY 2.2).
 */
export interface Asker {
  personalCode: string;
  company?: string;
}

const PURPOSE = "e-Business Register self-service";

/**
 * The e-Business Register through the portal's security server (contract E of issue #14):
 * a person's companies and applications, a company's registry card, the name check, and the
 * founding of an OÜ. Every call names the person (X-Road-UserId), so the register records
 * who asked; answers are read tolerantly and checked for what the page relies on.
 */
export class BusinessRegisterClient {
  readonly #xroad: XRoadCalls;
  readonly #client: string;
  readonly #config: BusinessRegisterConfig;

  constructor(xroad: XRoadCalls, client: string, config: BusinessRegisterConfig) {
    this.#xroad = xroad;
    this.#client = client;
    this.#config = config;
  }

  get stateFeeCents(): number {
    return this.#config.stateFeeCents;
  }

  /** Companies on whose registry card the person is (GET /persons/{code}/companies). */
  async companiesOf(asker: Asker): Promise<MyCompany[]> {
    const body = await this.#send(
      this.#config.applicationsService,
      "GET",
      `/persons/${asker.personalCode}/companies`,
      asker,
    );
    const list = array(record(body, "companies").companies);
    const byCode = new Map<string, MyCompany>();
    for (const item of list) {
      const entry = record(item, "company");
      const registryCode = text(entry.registryCode);
      if (!registryCode || !/^[0-9]{8}$/.test(registryCode)) continue;
      // The register answers roles as {role, since} (PERSON_COMPANIES); a plain string is taken too.
      const roleOf = (item: unknown) =>
        text(item !== null && typeof item === "object" ? (item as { role?: unknown }).role : item);
      const roles = [...array(entry.roles).map(roleOf), text(entry.role)].filter(
        (role): role is string => typeof role === "string",
      );
      const known = byCode.get(registryCode);
      if (known) {
        for (const role of roles) if (!known.roles.includes(role)) known.roles.push(role);
        continue;
      }
      byCode.set(registryCode, {
        registryCode,
        name: text(entry.name ?? entry.companyName) ?? registryCode,
        ...optional("legalForm", text(entry.legalForm)),
        ...optional("status", text(entry.status)),
        roles: [...new Set(roles)],
      });
    }
    return [...byCode.values()];
  }

  /** The registry card: the company and the persons on it. */
  async company(code: string, asker: Asker): Promise<{ company: CompanyRecord; persons: CompanyPerson[] }> {
    const [companyBody, personsBody] = await Promise.all([
      this.#send(this.#config.companiesService, "GET", `/companies/${code}`, asker),
      this.#send(this.#config.companyPersonsService, "GET", `/companies/${code}/persons`, asker),
    ]);
    const c = record(companyBody, "company");
    const company: CompanyRecord = {
      registryCode: text(c.registryCode) ?? "",
      name: text(c.name) ?? "",
      legalForm: text(c.legalForm) ?? "",
      status: text(c.status) ?? "",
      seatAddress: text(c.seatAddress) ?? "",
      shareCapitalCents: typeof c.shareCapitalCents === "number" ? c.shareCapitalCents : 0,
      email: text(c.email) ?? "",
      activity: text(c.activity) ?? "",
      registered: text(c.registered) ?? "",
      deleted: text(c.deleted) ?? null,
    };
    if (company.registryCode !== code)
      throw new PortalError("PORTAL_BAD_RESPONSE", "the register answered about another company");
    const persons = array(record(personsBody, "persons").persons).map((item) => {
      const p = record(item, "person");
      return {
        role: text(p.role) ?? "",
        personalCode: text(p.personalCode) ?? "",
        givenName: text(p.givenName) ?? "",
        surname: text(p.surname) ?? "",
        shareCents: typeof p.shareCents === "number" ? p.shareCents : null,
        since: text(p.since) ?? "",
      };
    });
    return { company, persons };
  }

  /** Whether a name is free, and registered names like it (GET /name-check). */
  async nameCheck(
    name: string,
    asker: Asker,
  ): Promise<{ taken: boolean; reserved: string | null; similar: Array<{ registryCode: string; name: string }> }> {
    const body = record(
      // The register's open `companies` service: a name check names no person.
      await this.#send(this.#config.companiesService, "GET", `/name-check?name=${encodeURIComponent(name)}`, asker),
      "name check",
    );
    return {
      taken: body.taken === true,
      reserved: text(body.reserved) ?? null,
      similar: array(body.similar)
        .map((item) => record(item, "similar name"))
        .map((s) => ({ registryCode: text(s.registryCode) ?? "", name: text(s.name) ?? "" })),
    };
  }

  async createApplication(application: FoundingApplication, asker: Asker): Promise<{ id: string; sha256: string }> {
    const body = record(
      await this.#send(this.#config.applicationsService, "POST", "/applications", asker, application),
      "application",
    );
    const id = text(body.id);
    const sha256 = text(body.sha256);
    if (!id || !sha256) throw new PortalError("PORTAL_BAD_RESPONSE", "the register's answer names no application");
    return { id, sha256 };
  }

  /** The application, checked: the document every founder signs is its canonical JSON, whose sha256 the register states. */
  async application(id: string, asker: Asker): Promise<ApplicationState & { document: string }> {
    const body = record(
      await this.#send(this.#config.applicationsService, "GET", `/applications/${encodeURIComponent(id)}`, asker),
      "application",
    );
    const application = record(body.application, "application") as unknown as FoundingApplication;
    const document = canonicalJson(application);
    const sha256 = text(body.sha256) ?? "";
    if (createHash("sha256").update(document).digest("hex") !== sha256)
      throw new PortalError(
        "PORTAL_APPLICATION_MISMATCH",
        "the application's document does not match the sha256 the register states; nothing is signed",
      );
    return {
      id: text(body.id) ?? id,
      status: text(body.status) ?? "",
      sha256,
      application,
      signedBy: array(body.signedBy)
        .map(text)
        .filter((c): c is string => typeof c === "string"),
      registryCode: text(body.registryCode) ?? null,
      document,
    };
  }

  /** Applications the person founds or sits on the board of, not registered yet (GET /persons/{code}/applications). */
  async applicationsOf(asker: Asker): Promise<ApplicationSummary[]> {
    const body = record(
      await this.#send(this.#config.applicationsService, "GET", `/persons/${asker.personalCode}/applications`, asker),
      "applications",
    );
    return array(body.applications).map((item) => {
      const a = record(item, "application");
      return {
        id: text(a.id) ?? "",
        name: text(a.name) ?? "",
        status: text(a.status) ?? "",
        createdAt: text(a.createdAt) ?? "",
        founders: array(a.founders).map((f) => {
          const founder = record(f, "founder");
          return {
            personalCode: text(founder.personalCode) ?? "",
            givenName: text(founder.givenName) ?? "",
            surname: text(founder.surname) ?? "",
            signed: founder.signed === true,
          };
        }),
      };
    });
  }

  /** A founder's ASiC-E container (POST /applications/{id}/signatures): who has signed and who has not. */
  async sign(id: string, container: Uint8Array, asker: Asker): Promise<{ signedBy: string[]; missing: string[] }> {
    const body = record(
      await this.#send(
        this.#config.applicationsService,
        "POST",
        `/applications/${encodeURIComponent(id)}/signatures`,
        asker,
        {
          container: Buffer.from(container).toString("base64"),
        },
      ),
      "signatures",
    );
    const codes = (value: unknown) =>
      array(value)
        .map(text)
        .filter((c): c is string => typeof c === "string");
    return { signedBy: codes(body.signedBy), missing: codes(body.missing) };
  }

  /** Registration with the state fee's receipt (POST /applications/{id}/registration): the company. */
  async register(id: string, feeReceipt: string, asker: Asker): Promise<{ registryCode: string; name: string }> {
    const body = record(
      await this.#send(
        this.#config.applicationsService,
        "POST",
        `/applications/${encodeURIComponent(id)}/registration`,
        asker,
        { feeReceipt },
      ),
      "company",
    );
    const registryCode = text(body.registryCode);
    if (!registryCode) throw new PortalError("PORTAL_BAD_RESPONSE", "the register's answer names no registry code");
    return { registryCode, name: text(body.name) ?? "" };
  }

  async #send(service: string, method: "GET" | "POST", path: string, asker: Asker, body?: unknown): Promise<unknown> {
    const representedParty: RepresentedParty | undefined = asker.company
      ? { partyClass: "COM", partyCode: asker.company }
      : undefined;
    const answer = await this.#xroad.send<unknown>({
      client: this.#client,
      service,
      method,
      path,
      ...(body === undefined ? {} : { body }),
      userId: xroadUserId(asker.personalCode),
      ...(representedParty ? { representedParty } : {}),
      issue: PURPOSE,
      headers: { "x-road-pdu-purpose": encodeURIComponent(PURPOSE) },
    });
    return answer.body;
  }
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new PortalError("PORTAL_BAD_RESPONSE", `the register's ${what} answer is not a JSON object`);
  return value as Record<string, unknown>;
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? value.slice(0, 1000) : [];
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value.slice(0, 500);
  if (typeof value === "number") return String(value);
  return undefined;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
