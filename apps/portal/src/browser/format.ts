// Dates, sizes and numbers as the chosen language writes them.

import { state } from "./app.ts";

export function locale(): string {
  return state.language === "et" ? "et-EE" : "en-GB";
}

export function dateText(value: string | undefined, withTime = false): string {
  if (!value) return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(
    locale(),
    withTime ? { dateStyle: "medium", timeStyle: "medium" } : { dateStyle: "long", timeZone: "UTC" },
  ).format(date);
}

export function sizeText(bytes: number): string {
  const [value, unit] =
    bytes < 1024 ? [bytes, "B"] : bytes < 1024 * 1024 ? [bytes / 1024, "KB"] : [bytes / (1024 * 1024), "MB"];
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: unit === "B" ? 0 : 1 }).format(value)} ${unit}`;
}

/** An amount in euro cents, as the language writes money. */
export function moneyText(cents: number): string {
  return new Intl.NumberFormat(locale(), { style: "currency", currency: "EUR" }).format(cents / 100);
}
