import { type ClientId, HIDDEN_REASON_HEADER, HIDDEN_UNTIL_HEADER, isValidPersonalCode } from "@riik/core";
import { XRoadFault } from "../errors.ts";
import type { GlobalConfIndex } from "../globalconf/document.ts";
import type { HeaderMap } from "../protocol/message.ts";
import type { LocalConf, LocalService, PersonalData } from "../ss/local-conf.ts";
import { type DataUse, type NewUseRow, type SubjectRole, useToRow } from "./record.ts";

/**
 * riik's hidden-use headers (core; the PR-PDU-REST ones are accepted too) are meant for the
 * provider's security server, not passed on to the provider.
 */
export const TRACKER_REQUEST_HEADERS: ReadonlySet<string> = new Set([HIDDEN_UNTIL_HEADER, HIDDEN_REASON_HEADER]);

/** X-Road user id of a person: country code and an identifier; EE ones must be valid personal codes (EVS 585). */
export function validUserId(text: string): boolean {
  if (!/^[A-Z]{2}[0-9A-Za-z]{1,30}$/.test(text)) return false;
  return text.startsWith("EE") ? isValidPersonalCode(text.slice(2)) : true;
}

/** PR-PDU-REST 1: non-ASCII values are UTF-8 percent-encoded. */
function pdu(headers: HeaderMap, name: string): string | null {
  const raw = headers[`x-road-pdu-${name}`];
  if (raw === undefined || raw.trim() === "") return null;
  try {
    return decodeURIComponent(raw.trim());
  } catch {
    throw new XRoadFault("Client", "InvalidRequest", `X-Road-PDU-${name} is not valid percent-encoded UTF-8`);
  }
}

/** What the consumer said about the use, checked before the provider is called. */
export type UseContext = Pick<
  DataUse,
  | "userId"
  | "purpose"
  | "legalBasis"
  | "consentReference"
  | "bulk"
  | "initiatorSystem"
  | "initiatorPerson"
  | "hiddenUntil"
  | "hiddenReason"
>;

/**
 * A request for a personal-data service must say why (X-Road-Issue) and for whom
 * (X-Road-UserId); a hidden use needs the consumer's hide right, a date and a legal reason.
 */
export function checkPersonalRequest(
  headers: HeaderMap,
  provider: string,
  client: ClientId,
  local: LocalConf,
  conf: GlobalConfIndex,
): UseContext {
  return readUseHeaders(headers, () => local.dataTrackerAllowed(provider, "hide", client, conf));
}

/**
 * The use a request declares in its headers (X-Road-UserId, X-Road-Issue, PR-PDU-REST and
 * riik's hidden-use headers); anything missing or malformed is `Client.InvalidRequest`,
 * a hidden use without `mayHide()` is `Client.AccessDenied`.
 */
export function readUseHeaders(headers: HeaderMap, mayHide: () => boolean): UseContext {
  const userId = headers["x-road-userid"]?.trim() ?? "";
  const issue = headers["x-road-issue"]?.trim() ?? "";
  if (userId === "" || issue === "")
    throw new XRoadFault(
      "Client",
      "InvalidRequest",
      "this service returns personal data: the request must carry its purpose (X-Road-Issue) and its user (X-Road-UserId)",
    );
  const hiddenPdu = (headers["x-road-pdu-hidden"] ?? "").trim().toLowerCase() === "true";
  const untilText = headers[HIDDEN_UNTIL_HEADER]?.trim() || (hiddenPdu ? pdu(headers, "hidden-until") : null);
  const reasonRaw = headers[HIDDEN_REASON_HEADER]?.trim() || (hiddenPdu ? pdu(headers, "hidden-reason") : null);
  let hiddenUntil: string | null = null;
  let hiddenReason: string | null = null;
  if (untilText || reasonRaw || hiddenPdu) {
    if (!mayHide())
      throw new XRoadFault(
        "Client",
        "AccessDenied",
        "the client has no right to hide uses from the persons concerned (riik ss datatracker-hide-grant)",
      );
    const time = untilText ? Date.parse(untilText) : Number.NaN;
    if (!untilText || !/^\d{4}-\d{2}-\d{2}/.test(untilText) || !Number.isFinite(time))
      throw new XRoadFault("Client", "InvalidRequest", "X-Riik-Hidden-Until must be an ISO 8601 date or date-time");
    if (!reasonRaw)
      throw new XRoadFault("Client", "InvalidRequest", "a hidden use needs its legal reason (X-Riik-Hidden-Reason)");
    hiddenUntil = new Date(time).toISOString();
    try {
      hiddenReason = decodeURIComponent(reasonRaw);
    } catch {
      hiddenReason = reasonRaw;
    }
  }
  const personCode = pdu(headers, "initiator-person-code");
  const alternativeCode = pdu(headers, "initiator-person-alternative-code");
  const personName = pdu(headers, "initiator-person-name");
  const initiatorPerson =
    personCode || alternativeCode || personName
      ? JSON.stringify({
          ...(personCode ? { code: personCode } : {}),
          ...(alternativeCode ? { alternativeCode } : {}),
          ...(personName ? { name: personName } : {}),
        })
      : null;
  return {
    userId,
    purpose: pdu(headers, "purpose") ?? issue,
    legalBasis: pdu(headers, "legal-basis"),
    consentReference: pdu(headers, "consent-reference"),
    bulk: (headers["x-road-pdu-bulk-processing"] ?? "").trim().toLowerCase() === "true",
    initiatorSystem: pdu(headers, "initiator-org-system"),
    initiatorPerson,
    hiddenUntil,
    hiddenReason,
  };
}

/** The person the request names by the declared path parameter, if any (undefined: no such parameter in the path). */
function pathSubjects(personal: PersonalData, pathOnly: string): string[] | undefined {
  const segment = personal.subjectPath?.exec(pathOnly)?.[1];
  if (segment === undefined) return undefined;
  let value: string;
  try {
    value = decodeURIComponent(segment);
  } catch {
    value = segment;
  }
  const id = /^\d{11}$/.test(value) ? `EE${value}` : value;
  // A malformed code in the path names nobody the provider can have answered about.
  return validUserId(id) ? [id] : [];
}

/**
 * Whose data the response carries: the subjects header the provider set and the declared
 * path parameter. A successful response that says neither is refused (fail closed); an
 * explicitly empty header says "nobody". An error answer (status >= 400) carries no
 * personal data: the use attempted is recorded for the person the path names, if any.
 */
export function subjectsOf(
  personal: PersonalData,
  pathOnly: string,
  status: number,
  responseHeaders: HeaderMap,
): string[] {
  const fromPath = pathSubjects(personal, pathOnly);
  if (status >= 400) return fromPath ?? [];
  const subjects = new Set(fromPath);
  const header = responseHeaders[personal.subjectsHeader];
  if (header !== undefined) {
    for (const part of header.split(",")) {
      const id = part.trim();
      if (id === "") continue;
      if (!validUserId(id))
        throw new XRoadFault(
          "Server.ServerProxy",
          "ServiceFailed",
          `the provider named a data subject that is not an X-Road user id (${personal.subjectsHeader}); the response is refused`,
        );
      subjects.add(id);
    }
  }
  if (fromPath === undefined && header === undefined)
    throw new XRoadFault(
      "Server.ServerProxy",
      "ServiceFailed",
      `the response of a personal-data service does not say whose data it carries (${personal.subjectsHeader}); refused (fail closed)`,
    );
  return [...subjects];
}

/** The exchange a use belongs to, as the provider's server verified it. */
export interface UseExchange {
  provider: string;
  service: LocalService;
  serviceId: string;
  clientId: string;
  queryId: string;
  /** X-Road-Represented-Party, canonical; null when the client acted for itself. */
  representedParty: string | null;
  /** The represented party when it is a person (their user id). */
  representedPerson: string | undefined;
}

/**
 * One row per person (record.ts): each data subject, and the represented person when the
 * answer did not carry their data, so a use made in someone's name is in that person's
 * protocol too (role REPRESENTED, README "Represented party").
 */
export function useRows(subjects: string[], context: UseContext, exchange: UseExchange): NewUseRow[] {
  const loggedAt = new Date().toISOString();
  const people: Array<[string, SubjectRole | null]> = subjects.map((subject) => [subject, null]);
  const person = exchange.representedPerson;
  if (person !== undefined && !subjects.includes(person)) people.push([person, "REPRESENTED"]);
  return people.map(([subject, subjectRole]) => {
    const use: DataUse = {
      providerId: exchange.provider,
      subject,
      loggedAt,
      queryId: exchange.queryId,
      clientId: exchange.clientId,
      serviceId: exchange.serviceId,
      userId: context.userId,
      purpose: context.purpose,
      processingType: "DATA_RESPONSE",
      legalBasis: context.legalBasis,
      consentReference: context.consentReference,
      bulk: context.bulk,
      initiatorSystem: context.initiatorSystem,
      initiatorPerson: context.initiatorPerson,
      hiddenUntil: context.hiddenUntil,
      hiddenReason: context.hiddenReason,
      representedParty: exchange.representedParty,
      subjectRole,
    };
    return useToRow(use);
  });
}
