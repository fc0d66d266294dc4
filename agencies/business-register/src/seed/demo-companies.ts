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

/**
 * A company that is also a member of the exchange layer (the sandbox's clinic, pharmacy):
 * registered under the registry code its X-Road member code carries, its manager alone on the board.
 */
export interface MemberCompany {
  registryCode: string;
  name: string;
  /** EMTAK activity code, e.g. 86101 (hospitals), 47731 (pharmacies). */
  activity: string;
  board: DemoBoardMember;
}

async function seedMemberCompany(register: BusinessRegister, member: MemberCompany): Promise<Company> {
  const board = {
    personalCode: member.board.personalCode,
    givenName: member.board.givenName,
    surname: member.board.surname,
  };
  return register.seedCompany(
    {
      name: member.name,
      legalForm: "OÜ",
      seatAddress: "Harju maakond, Tallinn, Kesklinna linnaosa, Lossi plats 1a, 15165",
      email: `info@${member.registryCode}.example.ee`,
      activity: member.activity,
      shareCapitalCents: 250_000,
      founders: [{ ...board, shareCents: 250_000 }],
      board: [board],
      beneficialOwners: [board],
      representation: "alone",
      articles: "standard",
    },
    new Date(),
    member.registryCode,
  );
}

/**
 * Opens the register at LOCATION, seeds a company per person and the member companies, and
 * closes it: `riik up`'s first start.
 */
export async function seedDemoCompaniesIn(
  location: BusinessRegisterLocation,
  persons: readonly DemoBoardMember[],
  members: readonly MemberCompany[] = [],
): Promise<Array<{ company: Company; board: DemoBoardMember }>> {
  // Seeds need no signature check: the register opens with no trust anchor it would use.
  const register = await openBusinessRegister(location, { trustAnchors: [] });
  try {
    const companies = await seedDemoCompanies(register, persons);
    for (const member of members)
      companies.push({ company: await seedMemberCompany(register, member), board: member.board });
    return companies;
  } finally {
    await register.close();
  }
}
