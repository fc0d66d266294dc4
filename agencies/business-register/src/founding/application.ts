// The founding application of a private limited company (OÜ): its shape, the rules of meaning
// (Commercial Code § 136-140, § 148), and the one document every founder signs.
import { createHash } from "node:crypto";
import { canonicalJson, PersonalCodeError, parsePersonalCode, parseRegistryCode } from "@riik/core";
import { type Static, Type } from "typebox";
import { BusinessRegisterError } from "../errors.ts";
import { checkCompanyName } from "../model/company-name.ts";

export const PERSONAL_CODE = Type.String({
  pattern: "^[1-8][0-9]{10}$",
  description: "Estonian personal code (citizen or e-resident)",
});
const GIVEN_NAME = Type.String({ minLength: 1, maxLength: 100 });
export const PERSON = Type.Object(
  { personalCode: PERSONAL_CODE, givenName: GIVEN_NAME, surname: GIVEN_NAME },
  { additionalProperties: false },
);
export const REGISTRY_CODE = Type.String({ pattern: "^[0-9]{8}$", description: "registry code (registrikood)" });
const SHARE_CENTS = Type.Integer({ minimum: 1, description: "the founder's share, nominal value in cents" });
export const PERSON_FOUNDER = Type.Object(
  { ...PERSON.properties, shareCents: SHARE_CENTS },
  { additionalProperties: false },
);
/**
 * A company registered here founding another (Commercial Code § 137: founders may be legal
 * persons): it signs through a board member with representation rights on its registry card.
 */
export const COMPANY_FOUNDER = Type.Object(
  { registryCode: REGISTRY_CODE, name: Type.String({ minLength: 2, maxLength: 120 }), shareCents: SHARE_CENTS },
  { additionalProperties: false },
);
export const FOUNDER = Type.Union([PERSON_FOUNDER, COMPANY_FOUNDER]);
export const EMTAK = Type.String({ pattern: "^[0-9]{5}$", description: "EMTAK 2008 activity code" });

export const APPLICATION = Type.Object(
  {
    name: Type.String({ minLength: 2, maxLength: 120 }),
    legalForm: Type.Literal("OÜ"),
    seatAddress: Type.String({ minLength: 5, maxLength: 200 }),
    email: Type.String({ format: "email", maxLength: 200 }),
    activity: EMTAK,
    shareCapitalCents: Type.Integer({ minimum: 0 }),
    founders: Type.Array(FOUNDER, { minItems: 1, maxItems: 50 }),
    board: Type.Array(PERSON, { minItems: 1, maxItems: 20 }),
    /** Required when no board member has an Estonian address (Commercial Code § 631). */
    contactPerson: Type.Optional(PERSON),
    beneficialOwners: Type.Array(PERSON, { minItems: 1, maxItems: 50 }),
    /** Board members represent the company alone (§ 181(1)) unless the articles say jointly. */
    representation: Type.Union([Type.Literal("alone"), Type.Literal("jointly")]),
    articles: Type.Literal("standard"),
  },
  { additionalProperties: false },
);
export type Application = Static<typeof APPLICATION>;
export type Person = Static<typeof PERSON>;
export type Founder = Static<typeof FOUNDER>;
export type PersonFounder = Static<typeof PERSON_FOUNDER>;
export type CompanyFounder = Static<typeof COMPANY_FOUNDER>;

export const isCompanyFounder = (founder: Founder): founder is CompanyFounder => "registryCode" in founder;
export const personFounders = (application: Application): PersonFounder[] =>
  application.founders.filter((f): f is PersonFounder => !isCompanyFounder(f));
export const companyFounders = (application: Application): CompanyFounder[] =>
  application.founders.filter(isCompanyFounder);
/** A founder's code: the personal code of a person, the registry code of a company. */
export const founderCode = (founder: Founder): string =>
  isCompanyFounder(founder) ? founder.registryCode : founder.personalCode;

/** A personal code whose date and check digit are right, or PERSONAL_CODE_INVALID. */
export function personalCode(text: string): string {
  try {
    return parsePersonalCode(text).code;
  } catch (error) {
    if (error instanceof PersonalCodeError)
      throw new BusinessRegisterError("PERSONAL_CODE_INVALID", error.message, { details: { reason: error.code } });
    throw error;
  }
}

const invalid = (message: string) => new BusinessRegisterError("APPLICATION_INVALID", message);

/** The rules of meaning beyond the schema; returns the application with its name normalised. */
export function checkApplication(application: Application): Application {
  const name = checkCompanyName(application.name, application.legalForm);
  const people = [
    ...personFounders(application),
    ...application.board,
    ...application.beneficialOwners,
    ...(application.contactPerson ? [application.contactPerson] : []),
  ];
  for (const person of people) personalCode(person.personalCode);
  for (const company of companyFounders(application)) parseRegistryCode(company.registryCode);
  if (new Set(application.founders.map(founderCode)).size !== application.founders.length)
    throw invalid("a founder is listed twice");
  const unique = (list: readonly Person[], what: string) => {
    if (new Set(list.map((p) => p.personalCode)).size !== list.length)
      throw invalid(`a person is listed twice among the ${what}`);
  };
  unique(application.board, "board members");
  unique(application.beneficialOwners, "beneficial owners");
  // Share capital is the sum of the shares, each at least one cent (§ 149(1) since 2023-02-01).
  const total = application.founders.reduce((sum, f) => sum + f.shareCents, 0);
  if (application.shareCapitalCents < application.founders.length)
    throw new BusinessRegisterError(
      "CAPITAL_TOO_LOW",
      `share capital must be at least €0.01 per share: ${application.founders.length} shares need ${application.founders.length} cents`,
    );
  if (total !== application.shareCapitalCents)
    throw invalid(`the shares add up to ${total} cents, the share capital is ${application.shareCapitalCents}`);
  return { ...application, name };
}

/** The document the founders sign: the application's canonical JSON (RFC 8785 key order) and its sha256. */
export function applicationDocument(application: Application): { document: string; sha256: string } {
  const document = canonicalJson(application);
  return { document, sha256: createHash("sha256").update(document).digest("hex") };
}

/** The name of the one data file in a founder's ASiC-E container. */
export const APPLICATION_FILE = "application.json";
