import {
  type BusinessRegister,
  type BusinessRegisterLocation,
  type Company,
  openBusinessRegister,
} from "../storage/register.ts";

export interface DemoBoardMember {
  personalCode: string;
  givenName: string;
  surname: string;
}

/**
 * Demo private limited companies (OÜ) for a sandbox: company i has PERSONS[i] alone on its
 * board (so they can act for it through the authentication service) and PERSONS[i+1] as a
 * second founder. Registered directly, without founders' signatures: seeds, not applications.
 */
export async function seedDemoCompanies(
  register: BusinessRegister,
  persons: readonly DemoBoardMember[],
  count = persons.length,
): Promise<Array<{ company: Company; board: DemoBoardMember }>> {
  const companies: Array<{ company: Company; board: DemoBoardMember }> = [];
  for (let i = 0; i < Math.min(count, persons.length); i++) {
    const board = persons[i]!;
    const partner = persons[(i + 1) % persons.length]!;
    const ref = ({ personalCode, givenName, surname }: DemoBoardMember) => ({ personalCode, givenName, surname });
    const founders = board.personalCode === partner.personalCode ? [board] : [board, partner];
    companies.push({
      board,
      company: await register.seedCompany({
        name: `${board.surname} ja Partnerid ${i + 1} OÜ`,
        legalForm: "OÜ",
        seatAddress: "Harju maakond, Tallinn, Kesklinna linnaosa, Lossi plats 1a, 15165",
        email: `info${i + 1}@example.ee`,
        activity: "62011",
        shareCapitalCents: founders.length * 125_000,
        founders: founders.map((f) => ({ ...ref(f), shareCents: 125_000 })),
        board: [ref(board)],
        beneficialOwners: founders.map(ref),
        representation: "alone",
        articles: "standard",
      }),
    });
  }
  return companies;
}

/** Opens the register at LOCATION, seeds a company per person and closes it: `riik up`'s first start. */
export async function seedDemoCompaniesIn(
  location: BusinessRegisterLocation,
  persons: readonly DemoBoardMember[],
): Promise<Array<{ company: Company; board: DemoBoardMember }>> {
  // Seeds need no signature check: the register opens with no trust anchor it would use.
  const register = await openBusinessRegister(location, { trustAnchors: [] });
  try {
    return await seedDemoCompanies(register, persons);
  } finally {
    await register.close();
  }
}
