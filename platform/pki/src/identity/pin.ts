import { randomInt } from "node:crypto";
import { PkiError } from "../errors.ts";

/** PIN rules of the Estonian ID card: PIN1 (authentication) 4-12 digits, PIN2 (signing) 5-12. */
export const PIN_RULES = Object.freeze({ pin1: { min: 4, max: 12 }, pin2: { min: 5, max: 12 } });

export function assertPin(which: keyof typeof PIN_RULES, pin: string): void {
  const { min, max } = PIN_RULES[which];
  if (!new RegExp(`^\\d{${min},${max}}$`).test(pin)) {
    throw new PkiError("CARD_PIN_FORMAT", `${which.toUpperCase()} must be ${min}-${max} digits`);
  }
}

/** PINs anyone would try first: one digit repeated, or a run up or down (1234, 98765). */
function guessable(pin: string): boolean {
  const steps = new Set([...pin].slice(1).map((digit, i) => (Number(digit) - Number(pin[i]) + 10) % 10));
  return steps.size === 1 && [0, 1, 9].includes([...steps][0]!);
}

function randomDigits(length: number): string {
  for (;;) {
    const pin = Array.from({ length }, () => String(randomInt(0, 10))).join("");
    if (!guessable(pin)) return pin;
  }
}

/** A PIN envelope's PINs, as the card's issuer prints them: PIN1 4 digits, PIN2 5, from node:crypto. */
export function randomPins(): { pin1: string; pin2: string } {
  return { pin1: randomDigits(PIN_RULES.pin1.min), pin2: randomDigits(PIN_RULES.pin2.min) };
}
