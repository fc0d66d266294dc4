import { PortalError } from "../errors.ts";
import { askedBy, type XRoadCalls } from "../xroad/calls.ts";

/** A person as the population register describes them (service `persons`, `/persons/{code}`). */
export interface PersonRecord {
  personalCode: string;
  givenName: string;
  surname: string;
  sex?: string;
  birthDate?: string;
  status?: string;
  dateOfDeath?: string;
}

/** Another person named in a family record. */
export interface PersonRef {
  personalCode?: string;
  givenName?: string;
  surname?: string;
  name?: string;
  birthDate?: string;
  relation?: string;
}

export interface FamilyRecord {
  parents: PersonRef[];
  children: PersonRef[];
  spouse: PersonRef | null;
}

export interface AddressRecord {
  county?: string;
  municipality?: string;
  settlement?: string;
  street?: string;
  house?: string;
  apartment?: string;
  postalCode?: string;
  since?: string;
}

/** What every read through X-Road tells the person besides the data: which exchange it was. */
export interface Exchange {
  xroadId: string;
  service: string;
  purpose: string;
}

export interface PopulationOptions {
  client: string;
  service: string;
  purpose: string;
}

/**
 * Reads a person's own entry in the population register through the portal's security
 * server, always as that person (X-Road-UserId) and with the purpose of self-service, so
 * the register's Data Tracker records the read and shows it to the person.
 */
export class PopulationRegister {
  readonly #xroad: XRoadCalls;
  readonly #options: PopulationOptions;

  constructor(xroad: XRoadCalls, options: PopulationOptions) {
    this.#xroad = xroad;
    this.#options = options;
  }

  async person(code: string, actor?: string): Promise<{ person: PersonRecord; exchange: Exchange }> {
    const { body, exchange } = await this.#get(code, "", actor);
    const record = object(body, "person");
    const person: PersonRecord = {
      personalCode: text(record.personalCode) ?? "",
      givenName: text(record.givenName) ?? "",
      surname: text(record.surname) ?? "",
      ...optional("sex", text(record.sex)),
      ...optional("birthDate", text(record.birthDate)),
      ...optional("status", text(record.status)),
      ...optional("dateOfDeath", text(record.dateOfDeath)),
    };
    if (person.personalCode !== code)
      throw new PortalError("PORTAL_BAD_RESPONSE", "the register answered about another person");
    return { person, exchange };
  }

  async family(code: string, actor?: string): Promise<{ family: FamilyRecord; exchange: Exchange }> {
    const { body, exchange } = await this.#get(code, "/family", actor);
    const record = object(body, "family");
    const list = (value: unknown) => (Array.isArray(value) ? value.map(ref).filter((r) => r !== null) : []);
    return {
      family: { parents: list(record.parents), children: list(record.children), spouse: ref(record.spouse) },
      exchange,
    };
  }

  async address(code: string, actor?: string): Promise<{ address: AddressRecord | null; exchange: Exchange }> {
    let answer: { body: unknown; exchange: Exchange };
    try {
      answer = await this.#get(code, "/address", actor);
    } catch (error) {
      // The register answers 404 (ADDRESS_NOT_FOUND) for a person without a registered address.
      if (error instanceof PortalError && error.code === "PORTAL_NOT_FOUND")
        return {
          address: null,
          exchange: { xroadId: "", service: this.#options.service, purpose: this.#options.purpose },
        };
      throw error;
    }
    const { body, exchange } = answer;
    const record = object(body, "address");
    // The register wraps the address ({"address": {...}}); a bare address object is accepted too.
    const inner = record.address === null ? null : object(record.address ?? record, "address");
    if (inner === null) return { address: null, exchange };
    const address: AddressRecord = {};
    for (const key of [
      "county",
      "municipality",
      "settlement",
      "street",
      "house",
      "apartment",
      "postalCode",
      "since",
    ] as const) {
      const value = text(inner[key]);
      if (value !== undefined) address[key] = value;
    }
    return { address, exchange };
  }

  /** ACTOR, when another person than CODE's, is the one acting for them (askedBy). */
  async #get(code: string, suffix: string, actor?: string): Promise<{ body: unknown; exchange: Exchange }> {
    const response = await this.#xroad
      .get<unknown>({
        client: this.#options.client,
        service: this.#options.service,
        path: `/persons/${encodeURIComponent(code)}${suffix}`,
        ...askedBy(code, actor),
        issue: this.#options.purpose,
        // PR-PDU-REST (the Data Tracker extension of PR-REST): the purpose, percent-encoded.
        headers: { "x-road-pdu-purpose": encodeURIComponent(this.#options.purpose) },
      })
      .catch((error: unknown) => {
        // The register's 404 PERSON_NOT_FOUND, passed through by the security server: an
        // e-resident or a foreigner has no entry, which is an answer, not a failure (#10).
        if (error instanceof PortalError && error.details?.providerCode === "PERSON_NOT_FOUND")
          throw new PortalError("PORTAL_NOT_IN_REGISTER", "the population register has no entry about you", {
            details: { service: this.#options.service },
            cause: error,
          });
        throw error;
      });
    return {
      body: response.body,
      exchange: { xroadId: response.id, service: this.#options.service, purpose: this.#options.purpose },
    };
  }
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new PortalError("PORTAL_BAD_RESPONSE", `the register's ${what} answer is not a JSON object`);
  return value as Record<string, unknown>;
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value.slice(0, 500);
  if (typeof value === "number") return String(value);
  return undefined;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** A person reference: an object with some of the fields, or a bare personal code. */
function ref(value: unknown): PersonRef | null {
  if (typeof value === "string") return { personalCode: value.slice(0, 20) };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const out: PersonRef = {};
  for (const key of ["personalCode", "givenName", "surname", "name", "birthDate", "relation"] as const) {
    const v = text(record[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
