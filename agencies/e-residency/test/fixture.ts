// What the e-Residency tests share: trust services on loopback with officials' cards, the
// agency as a registration authority, a decision container signer, and a valid form.
import { generatePersonalCode } from "@riik/core";
import { type CardFile, issueCard, RegistrationAuthorities } from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import { cardFileSigner, createContainer, signContainer, writeContainer } from "@riik/signature";
import { DECISION_FILE } from "../src/index.ts";

export const PIN2 = "12345";
export const official = generatePersonalCode("1975-05-05", "female", 41);
export const clerk = generatePersonalCode("1988-08-08", "male", 42);

export const trust = await startTestTrustServices();
export const cards = new Map<string, CardFile>();
for (const [code, given] of [
  [official, "Kadri"],
  [clerk, "Tõnu"],
] as const)
  cards.set(
    code,
    await issueCard(trust.services, {
      personalCode: code,
      givenName: given,
      surname: "Kask",
      pin1: "1234",
      pin2: PIN2,
    }),
  );

/** The agency as a registration authority allowed to order cards. */
export const registrationAuthority = {
  url: trust.url,
  token: (await new RegistrationAuthorities(trust.services.registry).add("e-residency", { allow: ["cards"] })).token,
};

/** `content` as decision.json (or another file name), signed by each of `signers`; base64. */
export async function signedDecision(
  content: string,
  signers: readonly string[],
  name = DECISION_FILE,
): Promise<string> {
  let container = createContainer([{ name, mediaType: "application/json", data: new TextEncoder().encode(content) }]);
  for (const code of signers)
    container = (
      await signContainer(container, await cardFileSigner(cards.get(code)!, PIN2), { tsaUrl: `${trust.url}/tsa` })
    ).container;
  return Buffer.from(writeContainer(container)).toString("base64");
}

/** A tiny JPEG's first bytes are all the agency looks at (the signature FF D8 FF). */
export const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]).toString(
  "base64",
);

export const form = (overrides: Record<string, unknown> = {}) => ({
  givenName: "Ada",
  surname: "Lovelace",
  dateOfBirth: "1990-12-10",
  sex: "female",
  citizenship: "GB",
  documentNumber: "P1234567",
  documentExpires: "2031-01-01",
  email: "ada@example.org",
  photo: JPEG,
  reason: "to found a company",
  pickupLocation: "berlin",
  ...overrides,
});
