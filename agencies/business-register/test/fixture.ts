// Test support: real trust services (CA, OCSP, TSA) on loopback, founders' cards, an OÜ
// application and the founders' ASiC-E signatures over its document.
import { generatePersonalCode } from "@riik/core";
import { type CardFile, issueCard } from "@riik/pki";
import { startTestTrustServices, type TestTrustServices } from "@riik/pki/testing";
import { cardFileSigner, createContainer, signContainer, writeContainer } from "@riik/signature";
import { APPLICATION_FILE, type Application } from "../src/index.ts";

export const PIN1 = "1234";
export const PIN2 = "12345";

export interface Founder {
  personalCode: string;
  givenName: string;
  surname: string;
  card: CardFile;
}

export interface FoundingSandbox {
  trust: TestTrustServices;
  tsaUrl: string;
  founder(givenName: string, surname: string, birthDate: string, sex?: "male" | "female"): Promise<Founder>;
  /** A card for a person who already has a personal code (a population register's person, an e-resident). */
  cardFor(person: { personalCode: string; givenName: string; surname: string }): Promise<Founder>;
}

export async function startFoundingSandbox(): Promise<FoundingSandbox> {
  const trust = await startTestTrustServices();
  let serial = 100;
  return {
    trust,
    tsaUrl: `${trust.url}/tsa`,
    async founder(givenName, surname, birthDate, sex = "female") {
      const personalCode = generatePersonalCode(birthDate, sex, serial++);
      const card = await issueCard(trust.services, { personalCode, givenName, surname, pin1: PIN1, pin2: PIN2 });
      return { personalCode, givenName, surname, card };
    },
    async cardFor({ personalCode, givenName, surname }) {
      const card = await issueCard(trust.services, { personalCode, givenName, surname, pin1: PIN1, pin2: PIN2 });
      return { personalCode, givenName, surname, card };
    },
  };
}

/** An OÜ application of these founders (equal shares of €1), the first on the board. */
export function applicationOf(
  name: string,
  founders: readonly Founder[],
  overrides: Partial<Application> = {},
): Application {
  const person = (f: Founder) => ({ personalCode: f.personalCode, givenName: f.givenName, surname: f.surname });
  return {
    name,
    legalForm: "OÜ",
    seatAddress: "Harju maakond, Tallinn, Kesklinna linnaosa, Narva mnt 5, 10117",
    email: "info@example.ee",
    activity: "62011",
    shareCapitalCents: founders.length * 100,
    founders: founders.map((f) => ({ ...person(f), shareCents: 100 })),
    board: founders.slice(0, 1).map(person),
    beneficialOwners: founders.map(person),
    representation: "alone",
    articles: "standard",
    ...overrides,
  };
}

/** An ASiC-E container of FILES (name → text) signed by each of `signers` in turn (B-LT). */
export async function signedFiles(
  files: Record<string, string>,
  signers: readonly Founder[],
  tsaUrl: string,
): Promise<Uint8Array> {
  let container = createContainer(
    Object.entries(files).map(([name, text]) => ({
      name,
      mediaType: "application/octet-stream",
      data: new TextEncoder().encode(text),
    })),
  );
  for (const signer of signers)
    container = (await signContainer(container, await cardFileSigner(signer.card, PIN2), { tsaUrl })).container;
  return writeContainer(container);
}

/** An ASiC-E container over `document` signed by each of `signers` in turn (B-LT, time-stamp and OCSP). */
export async function signedContainer(
  document: string,
  signers: readonly Founder[],
  tsaUrl: string,
): Promise<Uint8Array> {
  let container = createContainer([
    { name: APPLICATION_FILE, mediaType: "application/json", data: new TextEncoder().encode(document) },
  ]);
  for (const signer of signers)
    container = (await signContainer(container, await cardFileSigner(signer.card, PIN2), { tsaUrl })).container;
  return writeContainer(container);
}
