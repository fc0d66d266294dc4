import type { PoliceRecords } from "../records/police-records.ts";
import type { SanctionsList } from "../sanctions/eu-sanctions-list.ts";

export interface BackgroundCheckRequest {
  givenName: string;
  surname: string;
  /** YYYY-MM-DD */
  dateOfBirth: string;
  /** ISO 3166-1 alpha-2 */
  citizenship: string;
  /** The travel document's number. */
  documentNumber: string;
  personalCode?: string | undefined;
}

export interface Finding {
  source: "criminal-record" | "sanctions" | "business-ban";
  reference: string;
  reason: string;
}

export interface BackgroundCheck {
  checkedAt: string;
  result: "clear" | "hit";
  findings: Finding[];
  /** Personal codes of everyone whose data the answer rests on: the person asked, and those of the records found. */
  subjects: string[];
}

/**
 * A background check as e-Residency asks it (Identity Documents Act § 20⁶: no e-residency for
 * someone with a criminal record, under sanctions or a risk to the state): the police's
 * criminal records and business bans, and the EU consolidated sanctions list. A finding is
 * for the official to weigh; the check decides nothing.
 */
export async function backgroundCheck(
  records: PoliceRecords,
  sanctions: SanctionsList,
  request: BackgroundCheckRequest,
  at = new Date(),
): Promise<BackgroundCheck> {
  const criminal = await records.criminalRecords(request, at);
  const bans = await records.businessBans(request, at);
  const findings: Finding[] = [
    ...criminal.map((record) => ({
      source: "criminal-record" as const,
      reference: record.reference,
      reason: `convicted ${record.convicted_on}: ${record.offence}`,
    })),
    ...sanctions.screen(request).map((hit) => ({ source: "sanctions" as const, ...hit })),
    ...bans.map((ban) => ({
      source: "business-ban" as const,
      reference: ban.reference,
      reason: `banned from business since ${ban.since}${ban.until ? ` until ${ban.until}` : " until lifted"}: ${ban.reason}`,
    })),
  ];
  const subjects = [
    ...(request.personalCode ? [request.personalCode] : []),
    ...[...criminal, ...bans].flatMap((row) => (row.personal_code ? [row.personal_code] : [])),
  ];
  return {
    checkedAt: at.toISOString(),
    result: findings.length > 0 ? "hit" : "clear",
    findings,
    subjects: [...new Set(subjects)],
  };
}
