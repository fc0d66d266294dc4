// A key incident's notices (issue 18: "notify each holder through the state inbox"): one
// message to every person with a certificate still on hold, in Estonian and English, sent by
// the card issuer over X-Road to the state inbox's message-batches (each batch all or none).
// The idempotency key `incident-ID-CODE` makes it one notice per person per incident: a run
// stopped half-way, or run again later to reach holders added since, sends nothing twice.
import { type CertificateRegistry, holdersToNotify, type IncidentReport, incidentReport } from "@riik/pki";

/** A message as the inbox's POST /message-batches takes it. */
export interface InboxMessage {
  recipient: string;
  subject: string;
  body: string;
  idempotencyKey: string;
}

/** Delivers one batch; answers, in order, whether each message's key had been used before. */
export type SendBatch = (messages: readonly InboxMessage[]) => Promise<Array<{ duplicate: boolean }>>;

export interface NoticeCounts {
  /** Holders the incident had waiting when the run began. */
  holders: number;
  /** Notices delivered now. */
  sent: number;
  /** Holders who had their notice from an earlier run. */
  alreadySent: number;
}

/** The inbox's largest batch (its MAX_BATCH). */
export const NOTICE_BATCH = 500;

const day = (iso: string) => iso.slice(0, 10);

/** The notice to RECIPIENT about INCIDENT; STATUS_URL is the public status page, when known. */
export function incidentNotice(incident: IncidentReport, recipient: string, statusUrl?: string): InboxMessage {
  const status = statusUrl ? `\n\n${statusUrl}` : "";
  return {
    recipient,
    subject: "Sinu ID-kaardi sertifikaadid on peatatud / Your ID card's certificates are suspended",
    body: [
      `${incident.title}.`,
      `Sinu ID-kaardi sertifikaadid on ${day(incident.declaredAt)} peatatud, sest kaardi võti võib olla nõrk. Uuenda sertifikaadid kaugelt ID-kaardi tarkvaraga või teeninduses hiljemalt ${day(incident.renewBy)}; uuendamata sertifikaadid tunnistatakse pärast seda kehtetuks.`,
      `Your ID card's certificates were suspended on ${day(incident.declaredAt)} because the card's key may be weak. Renew them remotely with the ID card software or at a service point by ${day(incident.renewBy)}; certificates not renewed by then are revoked.`,
    ]
      .join("\n\n")
      .concat(status),
    idempotencyKey: `incident-${incident.id}-${recipient}`,
  };
}

/**
 * Sends the incident's notices in batches of BATCH, in personal-code order, through SEND;
 * PROGRESS is told the holders done so far of the total.
 */
export async function sendIncidentNotices(
  registry: CertificateRegistry,
  id: string,
  send: SendBatch,
  options: { statusUrl?: string; batch?: number; progress?: (done: number, total: number) => void } = {},
): Promise<NoticeCounts> {
  const incident = await incidentReport(registry, id);
  const counts: NoticeCounts = { holders: incident.holdersWaiting, sent: 0, alreadySent: 0 };
  let after = "";
  for (;;) {
    const holders = await holdersToNotify(registry, id, after, options.batch ?? NOTICE_BATCH);
    if (holders.length === 0) break;
    const answers = await send(holders.map((code) => incidentNotice(incident, code, options.statusUrl)));
    for (const answer of answers) counts[answer.duplicate ? "alreadySent" : "sent"] += 1;
    after = holders.at(-1)!;
    options.progress?.(counts.sent + counts.alreadySent, Math.max(counts.holders, counts.sent + counts.alreadySent));
  }
  return counts;
}
