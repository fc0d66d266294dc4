// Test support: real cards on loopback trust services (CA, OCSP, TSA), a real integrity
// ledger, deeds as the notary's system drafts them, and containers signed by whom a test says.

import { after } from "node:test";
import { canonicalJson, generatePersonalCode, registryCodeFor } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import { createLedgerServer, generateSigner, SIGNATURE_TYPE_ED25519 } from "@riik/ledger";
import { type CardFile, issueCard } from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import { cardFileSigner, createContainer, readContainer, signContainer, writeContainer } from "@riik/signature";
import { DEED_FILE, type Deed } from "../src/index.ts";

const PIN2 = "12345";
export const seller = generatePersonalCode("1970-03-04", "female", 21);
export const buyer = generatePersonalCode("1988-07-21", "male", 22);
export const otherBuyer = generatePersonalCode("1991-12-01", "female", 23);
export const notary = generatePersonalCode("1965-01-15", "female", 24);
/** Represents the buyer company; the police know a business ban on them. */
export const bannedRepresentative = generatePersonalCode("1975-05-05", "male", 25);
export const buyerCompany = registryCodeFor("company", 4242);
export const bank = registryCodeFor("company", 1717);

export const REGISTRAR = "EE/GOV/70000310/kinnistuosakond";
export const NOTARY_CLIENT = "EE/COM/10000018/notar";
export const COURT_CLIENT = "EE/GOV/74000000/kohus";

export const trust = await startTestTrustServices();
const cards = new Map<string, CardFile>();
for (const [code, given] of [
  [seller, "Siiri"],
  [buyer, "Bruno"],
  [otherBuyer, "Olga"],
  [notary, "Nele"],
  [bannedRepresentative, "Kalev"],
] as const)
  cards.set(
    code,
    await issueCard(trust.services, { personalCode: code, givenName: given, surname: "Maa", pin1: "1234", pin2: PIN2 }),
  );

export const ledgerSigner = generateSigner("riik.test/ledger", SIGNATURE_TYPE_ED25519);
const ledger = await createLedgerServer({
  dataDir: temporaryDirectory(),
  signer: ledgerSigner,
  origin: ledgerSigner.name,
  roundMs: 10,
});
export const ledgerUrl = await ledger.listen(0);
after(() => ledger.close());

/** An apartment's register part, owned by the seller. */
export const apartment = (number: string) => ({
  number,
  kind: "apartment" as const,
  composition: {
    units: [{ cadastralCode: "78401:101:0010", purpose: "residential" as const, areaM2: 1840 }],
    apartment: { share: "6784/100000", description: "Korteriomand nr 12, Pärnu mnt 20, Tallinn" },
  },
  owners: [{ kind: "person" as const, code: seller, share: "1/1" }],
  encumbrances: [{ kind: "servitude" as const, text: "Tehnovõrkude servituut", inFavourOf: "Elektrilevi OÜ" }],
});

export const saleDeed = (applicationId: string, registerPart: string, overrides: Partial<Deed> = {}): Deed =>
  ({
    format: "riik-land-deed/1",
    applicationId,
    kind: "transfer",
    registerPart,
    notary,
    date: "2026-11-28",
    sellers: [{ person: seller }],
    buyers: [{ person: buyer, share: "1/1" }],
    priceCents: 18_500_000,
    ...overrides,
  }) as Deed;

export const mortgageDeed = (applicationId: string, registerPart: string, owner: string): Deed => ({
  format: "riik-land-deed/1",
  applicationId,
  kind: "mortgage",
  registerPart,
  notary,
  date: "2026-11-28",
  owners: [{ person: owner }],
  mortgagee: bank,
  amountCents: 15_000_000,
});

/** The deed's bytes as the notary's system writes them. */
export const deedBytes = (deed: Deed) => new TextEncoder().encode(canonicalJson(deed));

/** A container of the deed signed by each of `signers` in turn (raw bytes). */
export async function signedDeed(deed: Deed | Uint8Array, signers: readonly string[]): Promise<Uint8Array> {
  let container = createContainer([
    { name: DEED_FILE, mediaType: "application/json", data: deed instanceof Uint8Array ? deed : deedBytes(deed) },
  ]);
  for (const code of signers)
    container = (
      await signContainer(container, await cardFileSigner(cards.get(code)!, PIN2), { tsaUrl: `${trust.url}/tsa` })
    ).container;
  return writeContainer(container);
}

/** The same container with deed.json replaced after signing. */
export function withChangedDeed(container: Uint8Array, deed: Deed): Uint8Array {
  const read = readContainer(container);
  return writeContainer({
    ...read,
    dataFiles: read.dataFiles.map((f) => ({ ...f, data: deedBytes(deed) })),
  });
}

export const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
