import { Type } from "typebox";
import type { PropertyConfig } from "../config/portal-config.ts";
import { PortalError } from "../errors.ts";
import { PersonalService, type XRoadCalls } from "../xroad/calls.ts";

// "My property" (issue #15): what the registers of rights hold of the person logged in — the
// land register's register parts they own (parts I-IV) and the vehicle register's vehicles
// and driving licence — each asked over X-Road as the person (X-Road-UserId), so every read
// is in their Data Tracker. Answers are checked against the shapes below; the rest is dropped.

const SHARE = Type.String({ pattern: "^[0-9]{1,12}/[0-9]{1,12}$" });
const TEXT = Type.String({ maxLength: 2000 });

const REGISTER_PART = Type.Object({
  number: Type.String({ pattern: "^[1-9][0-9]{0,9}$" }),
  kind: Type.Union([Type.Literal("property"), Type.Literal("apartment")]),
  composition: Type.Object({
    units: Type.Array(Type.Object({ cadastralCode: TEXT, purpose: TEXT, areaM2: Type.Integer({ minimum: 0 }) }), {
      maxItems: 100,
    }),
    apartment: Type.Optional(Type.Object({ share: SHARE, description: TEXT })),
  }),
  owners: Type.Array(
    Type.Object({
      kind: Type.Union([Type.Literal("person"), Type.Literal("company")]),
      code: Type.String({ pattern: "^[0-9]{8}([0-9]{3})?$" }),
      share: SHARE,
    }),
    { maxItems: 100 },
  ),
  encumbrances: Type.Array(Type.Object({ kind: TEXT, text: TEXT }), { maxItems: 100 }),
  mortgages: Type.Array(
    Type.Object({ rank: Type.Integer(), amountCents: Type.Integer(), currency: TEXT, mortgagee: TEXT }),
    { maxItems: 100 },
  ),
});
const REGISTER_PARTS = Type.Object({ registerParts: Type.Array(REGISTER_PART, { maxItems: 500 }) });

const VEHICLE = Type.Object({
  vin: TEXT,
  plate: TEXT,
  make: TEXT,
  model: TEXT,
  category: TEXT,
  owner: TEXT,
  user: TEXT,
  firstRegistered: TEXT,
});
const VEHICLES = Type.Object({ vehicles: Type.Array(VEHICLE, { maxItems: 500 }) });

const LICENCE = Type.Object({
  number: TEXT,
  suspendedUntil: Type.Union([TEXT, Type.Null()]),
  categories: Type.Array(Type.Object({ category: TEXT, since: TEXT, validUntil: TEXT }), { maxItems: 30 }),
});

export interface OwnedPart {
  number: string;
  kind: "property" | "apartment";
  /** The apartment's description, or the first unit's cadastral code. */
  description: string;
  /** The person's share of it. */
  share: string;
  areaM2: number;
  owners: Array<{ kind: "person" | "company"; code: string; share: string }>;
  encumbrances: number;
  mortgages: Array<{ rank: number; amountCents: number; mortgagee: string }>;
}

export interface OwnedVehicle {
  plate: string;
  vin: string;
  make: string;
  model: string;
  category: string;
  /** owner, user (the responsible user), or both. */
  role: "owner" | "user" | "owner and user";
  firstRegistered: string;
}

export interface DrivingLicence {
  number: string;
  suspendedUntil: string | null;
  categories: Array<{ category: string; since: string; validUntil: string }>;
}

/** GET /api/property: the person's register parts, vehicles and driving licence (null: none). */
export interface PropertyResponse {
  registerParts: OwnedPart[];
  vehicles: OwnedVehicle[];
  licence: DrivingLicence | null;
}

export class MyProperty {
  readonly #registerParts: PersonalService;
  readonly #vehicles: PersonalService;
  readonly #licences: PersonalService;

  constructor(xroad: XRoadCalls, client: string, config: PropertyConfig, purpose: string) {
    const at = (service: string) => new PersonalService(xroad, { client, service, purpose });
    this.#registerParts = at(config.registerPartsService);
    this.#vehicles = at(config.vehiclesService);
    this.#licences = at(config.licencesService);
  }

  async of(code: string): Promise<PropertyResponse> {
    const [parts, vehicles, licence] = await Promise.all([
      this.#registerParts.read(code, `/persons/EE${code}/register-parts`, REGISTER_PARTS),
      this.#vehicles.read(code, `/persons/${code}/vehicles`, VEHICLES),
      // No licence is the register's 404 LICENCE_NOT_FOUND.
      this.#licences.read(code, `/persons/${code}/licence`, LICENCE).catch((error: unknown) => {
        if (error instanceof PortalError && error.code === "PORTAL_NOT_FOUND") return null;
        throw error;
      }),
    ]);
    return {
      registerParts: parts.registerParts.map((part) => ({
        number: part.number,
        kind: part.kind,
        description: part.composition.apartment?.description ?? part.composition.units[0]?.cadastralCode ?? "",
        share: part.owners.find((o) => o.kind === "person" && o.code === code)?.share ?? "",
        areaM2: part.composition.units.reduce((sum, unit) => sum + unit.areaM2, 0),
        owners: part.owners,
        encumbrances: part.encumbrances.length,
        mortgages: part.mortgages.map(({ rank, amountCents, mortgagee }) => ({ rank, amountCents, mortgagee })),
      })),
      vehicles: vehicles.vehicles.map((v) => ({
        plate: v.plate,
        vin: v.vin,
        make: v.make,
        model: v.model,
        category: v.category,
        role: v.owner === code && v.user === code ? "owner and user" : v.owner === code ? "owner" : "user",
        firstRegistered: v.firstRegistered,
      })),
      licence: licence && {
        number: licence.number,
        suspendedUntil: licence.suspendedUntil,
        categories: licence.categories,
      },
    };
  }
}
