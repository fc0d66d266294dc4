// A register part (registriosa) of the land register with its four parts (Land Register Act
// § 3): I the composition (cadastral units, intended purpose, area; for an apartment
// ownership its share of the land and the apartment), II the owners and their shares, III
// encumbrances and notations, IV mortgages. The rules here are pure; storage keeps the parts.
import { PersonalCodeError, parsePersonalCode, parseRegistryCode, RegistryCodeError } from "@riik/core";
import { LandRegisterError } from "../errors.ts";
import { parseCadastralCode } from "./cadastral-code.ts";
import { assertWhole, parseShare } from "./share.ts";

/** Intended purposes of cadastral units (Government Regulation of 23.10.2008 no 155, § 2). */
export const PURPOSES = [
  "residential",
  "commercial",
  "production",
  "profit-yielding",
  "transport",
  "public-buildings",
  "other",
] as const;
export type Purpose = (typeof PURPOSES)[number];

export interface CadastralUnit {
  cadastralCode: string;
  purpose: Purpose;
  /** Area in square metres, as the cadastre measured it. */
  areaM2: number;
}

/** Part I. An apartment ownership (Apartment Ownership Act § 2) adds its share of the land and building. */
export interface Composition {
  units: CadastralUnit[];
  apartment?: { share: string; description: string };
}

/** A person by personal code, or a company by registry code acting through a representative. */
export type Party = { person: string } | { company: string; representative: string };

/** Part II. */
export interface Owner {
  kind: "person" | "company";
  code: string;
  share: string;
}

/** Part III: a servitude, a right of pre-emption, a notation (a prohibition, a pending claim). */
export interface Encumbrance {
  kind: "servitude" | "usufruct" | "pre-emption" | "notation";
  text: string;
  inFavourOf?: string;
}

/** Part IV. */
export interface Mortgage {
  rank: number;
  amountCents: number;
  currency: "EUR";
  /** Registry code of the mortgagee (a bank). */
  mortgagee: string;
  journal: number;
}

export interface RegisterPartContent {
  number: string;
  kind: "property" | "apartment";
  composition: Composition;
  owners: Owner[];
  encumbrances: Encumbrance[];
  mortgages: Mortgage[];
}

export function personalCode(text: string, what: string): string {
  try {
    return parsePersonalCode(text).code;
  } catch (error) {
    if (error instanceof PersonalCodeError)
      throw new LandRegisterError("PERSONAL_CODE_INVALID", `${what}: ${error.message}`);
    throw error;
  }
}

export function registryCode(text: string, what: string): string {
  try {
    return parseRegistryCode(text);
  } catch (error) {
    if (error instanceof RegistryCodeError)
      throw new LandRegisterError("REGISTRY_CODE_INVALID", `${what}: ${error.message}`);
    throw error;
  }
}

/** The one who signs for a party: the person, or the company's representative. */
export const signerOf = (party: Party): string => ("person" in party ? party.person : party.representative);
/** The owner code a party is entered under. */
export const codeOf = (party: Party): string => ("person" in party ? party.person : party.company);
export const checkedParty = (party: Party, what: string): Party =>
  "person" in party
    ? { person: personalCode(party.person, what) }
    : {
        company: registryCode(party.company, what),
        representative: personalCode(party.representative, `${what}'s representative`),
      };

const invalid = (message: string) => new LandRegisterError("REGISTER_PART_INVALID", message);

/** Part I checked: units with valid, distinct cadastral codes and positive areas; an apartment's share. */
export function checkedComposition(kind: RegisterPartContent["kind"], composition: Composition): Composition {
  if (composition.units.length === 0) throw invalid("part I holds at least one cadastral unit");
  const codes = composition.units.map((u) => parseCadastralCode(u.cadastralCode).code);
  if (new Set(codes).size !== codes.length) throw invalid("a cadastral unit is listed twice in part I");
  for (const unit of composition.units)
    if (!Number.isSafeInteger(unit.areaM2) || unit.areaM2 <= 0)
      throw invalid(`${unit.cadastralCode}: the area is a positive whole number of m²`);
  if (kind === "apartment" && !composition.apartment)
    throw invalid("an apartment ownership names its share of the land and the apartment");
  if (kind === "property" && composition.apartment) throw invalid("only an apartment ownership has an apartment");
  if (composition.apartment) parseShare(composition.apartment.share);
  return composition;
}

/** Part II checked: every code valid, nobody twice, the shares sum to exactly 1. */
export function checkedOwners(owners: readonly Owner[]): Owner[] {
  const checked = owners.map((o) => ({
    kind: o.kind,
    code: o.kind === "person" ? personalCode(o.code, "owner") : registryCode(o.code, "owner"),
    share: o.share,
  }));
  if (new Set(checked.map((o) => o.code)).size !== checked.length) throw invalid("an owner is listed twice in part II");
  assertWhole(checked.map((o) => o.share));
  return checked;
}
