// The notary's deed as the land register takes it (Land Register Act § 34: an entry is made on
// an application, with the notarised real right contract): the JSON document deed.json in an
// ASiC-E container (ETSI EN 319 162-1), signed by the parties and the notary. A transfer deed
// conveys the whole register part from its owners to the buyers; a mortgage deed charges it.
import { type Static, Type } from "typebox";
import { Value } from "typebox/value";
import { LandRegisterError } from "../errors.ts";
import { checkedParty, codeOf, type Party, personalCode, registryCode } from "../model/register-part.ts";
import { parseRegisterPartNumber } from "../model/register-part-number.ts";
import { assertWhole } from "../model/share.ts";

/** The one data file of a deed's container. */
export const DEED_FILE = "deed.json";
/** Larger than any real deed's JSON by far; the body limit bounds the container. */
const MAX_DEED_BYTES = 64 * 1024;

const PERSONAL_CODE = Type.String({ pattern: "^[1-8][0-9]{10}$" });
const REGISTRY_CODE = Type.String({ pattern: "^[1-9][0-9]{7}$" });
const SHARE = Type.String({ pattern: "^[1-9][0-9]{0,11}/[1-9][0-9]{0,11}$" });
const PERSON = Type.Object({ person: PERSONAL_CODE }, { additionalProperties: false });
const COMPANY = Type.Object({ company: REGISTRY_CODE, representative: PERSONAL_CODE }, { additionalProperties: false });
const PARTY = Type.Union([PERSON, COMPANY]);
const BUYER = Type.Union([
  Type.Object({ person: PERSONAL_CODE, share: SHARE }, { additionalProperties: false }),
  Type.Object({ company: REGISTRY_CODE, representative: PERSONAL_CODE, share: SHARE }, { additionalProperties: false }),
]);
const COMMON = {
  format: Type.Literal("riik-land-deed/1"),
  /** The notary's own id of the application: filing it again is idempotent. */
  applicationId: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" }),
  registerPart: Type.String({ pattern: "^[1-9][0-9]{0,9}$" }),
  /** The notary who certified the deed (signs it too). */
  notary: PERSONAL_CODE,
  date: Type.String({ pattern: "^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$" }),
};
const MONEY = Type.Integer({ minimum: 1, maximum: 1e13 });

export const TRANSFER_DEED = Type.Object(
  {
    ...COMMON,
    kind: Type.Literal("transfer"),
    sellers: Type.Array(PARTY, { minItems: 1, maxItems: 20 }),
    buyers: Type.Array(BUYER, { minItems: 1, maxItems: 20 }),
    /** The purchase price, held in the notary's deposit until the entry. */
    priceCents: MONEY,
  },
  { additionalProperties: false },
);
export const MORTGAGE_DEED = Type.Object(
  {
    ...COMMON,
    kind: Type.Literal("mortgage"),
    owners: Type.Array(PARTY, { minItems: 1, maxItems: 20 }),
    mortgagee: REGISTRY_CODE,
    amountCents: MONEY,
  },
  { additionalProperties: false },
);
export const DEED = Type.Union([TRANSFER_DEED, MORTGAGE_DEED]);
export type TransferDeed = Static<typeof TRANSFER_DEED>;
export type MortgageDeed = Static<typeof MORTGAGE_DEED>;
export type Deed = Static<typeof DEED>;

const deedInvalid = (message: string, details?: Record<string, unknown>) =>
  new LandRegisterError("DEED_INVALID", message, details ? { details } : {});

/**
 * The deed in `bytes` (UTF-8 JSON), every code checked (check digits, shares summing to 1, no
 * party on both sides); DEED_INVALID naming every bad field otherwise.
 */
export function parseDeed(bytes: Uint8Array): Deed {
  if (bytes.length > MAX_DEED_BYTES) throw deedInvalid(`deed.json is larger than ${MAX_DEED_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw deedInvalid("deed.json is not UTF-8 JSON");
  }
  if (!Value.Check(DEED, value)) {
    const fields = [...Value.Errors(DEED, value)].map((e) => `${e.instancePath || "/"}: ${e.message}`);
    throw deedInvalid("deed.json is not a deed (riik-land-deed/1)", { fields: [...new Set(fields)].slice(0, 20) });
  }
  const deed = value as Deed;
  parseRegisterPartNumber(deed.registerPart);
  personalCode(deed.notary, "notary");
  if (deed.kind === "transfer") {
    const sellers = deed.sellers.map((p) => codeOf(checkedParty(p, "seller")));
    const buyers = deed.buyers.map((p) => codeOf(checkedParty(p, "buyer")));
    if (new Set(sellers).size !== sellers.length) throw deedInvalid("a seller is named twice");
    if (new Set(buyers).size !== buyers.length) throw deedInvalid("a buyer is named twice");
    if (buyers.some((b) => sellers.includes(b))) throw deedInvalid("a party is both seller and buyer");
    assertWhole(deed.buyers.map((b) => b.share));
  } else {
    const owners = deed.owners.map((p) => codeOf(checkedParty(p, "owner")));
    if (new Set(owners).size !== owners.length) throw deedInvalid("an owner is named twice");
    registryCode(deed.mortgagee, "mortgagee");
  }
  return deed;
}

/** Everyone who must sign the deed, by personal code, with the role they sign in. */
export function requiredSigners(deed: Deed): Array<{ personalCode: string; role: string }> {
  const parties: Array<[Party, string]> =
    deed.kind === "transfer"
      ? [
          ...deed.sellers.map((p) => [p, "seller"] as [Party, string]),
          ...deed.buyers.map((p) => [p, "buyer"] as [Party, string]),
        ]
      : deed.owners.map((p) => [p, "owner"] as [Party, string]);
  return [
    ...parties.map(([party, role]) => ({
      personalCode: "person" in party ? party.person : party.representative,
      role,
    })),
    { personalCode: deed.notary, role: "notary" },
  ];
}
