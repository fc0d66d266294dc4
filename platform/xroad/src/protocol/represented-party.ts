import { validUserId } from "../datatracker/capture.ts";
import { XRoadFault } from "../errors.ts";

/**
 * `X-Road-Represented-Party`: the third party a client acts for (PR-THIRDPARTY 1.1 §2.2,
 * `XRoadRepresentedPartyType` = optional `partyClass` + mandatory `partyCode`), carried in r1
 * the way X-Road's own REST proxy reads it (`RestRequest.decodeRepresentedParty`):
 *
 *   X-Road-Represented-Party: [partyClass "/"] partyCode
 *
 * each part UTF-8 and percent-encoded on its own, "/" between them not encoded (as every
 * identifier of PR-REST 4.2, 4.3). riik's rules on top (README, "Represented party"):
 *
 * - a part is 1-255 characters of PR-REST 4.8 (letters, digits, `'()+,-.=?`) once decoded;
 * - a party WITHOUT a class is a natural person, written as X-Road writes a person's user id
 *   (PR-REST 4.3 X-Road-UserId: a two-letter country code and the code, `EE38001085718`;
 *   an `EE` code must be a valid personal identification code, EVS 585);
 * - a party WITH a class is an organisation: `partyClass` is a member class as in PR-MESS
 *   (`COM`, `GOV`, …, PR-THIRDPARTY §2.2 "similar to memberClass"), `partyCode` its code.
 */
export const REPRESENTED_PARTY_HEADER = "x-road-represented-party";

export interface RepresentedParty {
  /** Absent for a person. */
  readonly partyClass?: string;
  readonly partyCode: string;
}

/** PR-REST 4.8 identifier characters. */
const PART = /^[A-Za-z0-9'()+,\-.=?]{1,255}$/;

const bad = (why: string) =>
  new XRoadFault("Client", "BadRequest", `malformed X-Road-Represented-Party: ${why} (PR-THIRDPARTY 2.2, PR-REST 4.2)`);

function decodePart(name: string, raw: string): string {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw bad(`${name} is not valid percent-encoded UTF-8`);
  }
  if (!PART.test(value)) throw bad(`${name} must be 1-255 of the characters A-Z a-z 0-9 '()+,-.=? (PR-REST 4.8)`);
  return value;
}

/** Reads one header value; anything else than the grammar above is `Client.BadRequest`. */
export function parseRepresentedParty(value: string): RepresentedParty {
  const text = value.trim();
  if (text === "") throw bad("the value is empty");
  const parts = text.split("/");
  if (parts.length > 2) throw bad('at most two parts, [partyClass "/"] partyCode');
  if (parts.length === 1) {
    const partyCode = decodePart("partyCode", parts[0]!);
    if (!validUserId(partyCode))
      throw bad(
        "a party without a class is a person: a country code and a personal code such as EE38001085718; an organisation is CLASS/CODE",
      );
    return Object.freeze({ partyCode });
  }
  return Object.freeze({
    partyClass: decodePart("partyClass", parts[0]!),
    partyCode: decodePart("partyCode", parts[1]!),
  });
}

/** The canonical header value: each part percent-encoded on its own. */
export function formatRepresentedParty(party: RepresentedParty): string {
  const code = encodeURIComponent(party.partyCode);
  return party.partyClass === undefined ? code : `${encodeURIComponent(party.partyClass)}/${code}`;
}

/** The person a party is, if it is one: their X-Road user id. */
export const representedPerson = (party: RepresentedParty): string | undefined =>
  party.partyClass === undefined ? party.partyCode : undefined;

/**
 * The represented party of a request (its header lines, Node's `headersDistinct` or the signed
 * head's): none, or exactly one line. Two lines are refused rather than one chosen: the
 * provider's information system and the Data Tracker must read the same party
 * (PR-THIRDPARTY §2.3: `representedParty` occurs at most once).
 */
export function representedPartyOf(headers: Record<string, string[] | undefined>): RepresentedParty | undefined {
  const lines = headers[REPRESENTED_PARTY_HEADER];
  if (lines === undefined || lines.length === 0) return undefined;
  if (lines.length > 1) throw bad("the header occurs more than once");
  return parseRepresentedParty(lines[0]!);
}
