// Test support: persons with valid codes, attachments, and a CDOC2-looking container.
import { generatePersonalCode } from "@riik/core";

export const MARI = generatePersonalCode("1987-07-28", "female", 101);
export const JAAN = generatePersonalCode("1980-01-08", "male", 571);
export const AGENCY = "EE/GOV/70008747/police-app";
export const PORTAL = "EE/GOV/70006317/portal";

/** Bytes that begin as a CDOC2 container does ("CDOC", version 2); the inbox never looks further. */
export const CDOC2_BYTES = Buffer.concat([Buffer.from([0x43, 0x44, 0x4f, 0x43, 0x02]), Buffer.alloc(64, 7)]);

let counter = 0;
export const key = (prefix = "k") => `${prefix}-${process.pid}-${++counter}`;

export function message(recipient: string, overrides: Record<string, unknown> = {}) {
  return {
    recipient,
    subject: "Teie dokumendi kehtivus lõpeb",
    body: "Teie isikutunnistus aegub 30 päeva pärast. Konfidentsiaalne sisu.",
    idempotencyKey: key(),
    ...overrides,
  };
}
