import { PopulationRegisterError } from "../errors.ts";

/** YYYY-MM-DD that is a day of the calendar (not 2026-02-30). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** Today's date (UTC), the register's "now" for events. */
export const dayOf = (now: Date): string => now.toISOString().slice(0, 10);

/** The date `years` years after `date` (29 February → 28 February in a common year, as Estonian law counts ages). */
export function addYears(date: string, years: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const shifted = new Date(Date.UTC(y + years, m - 1, d));
  if (shifted.getUTCMonth() !== m - 1) shifted.setUTCDate(0);
  return shifted.toISOString().slice(0, 10);
}

/**
 * A date a vital event may carry: a calendar day, not after today, not before 1800 (personal
 * codes begin with the 1800s, EVS 585), else DATE_INVALID naming the field.
 */
export function assertEventDate(field: string, text: string, today: string): void {
  const why = !isCalendarDate(text)
    ? "is not a calendar date"
    : text > today
      ? `is in the future (today is ${today})`
      : text < "1800-01-01"
        ? "is before 1800"
        : undefined;
  if (why)
    throw new PopulationRegisterError("DATE_INVALID", `${field} ${text.slice(0, 20)} ${why}`, {
      details: { field },
    });
}
