import { PkiError } from "../errors.ts";

/** PIN rules of the Estonian ID card: PIN1 (authentication) 4-12 digits, PIN2 (signing) 5-12. */
export const PIN_RULES = Object.freeze({ pin1: { min: 4, max: 12 }, pin2: { min: 5, max: 12 } });

export function assertPin(which: keyof typeof PIN_RULES, pin: string): void {
  const { min, max } = PIN_RULES[which];
  if (!new RegExp(`^\\d{${min},${max}}$`).test(pin)) {
    throw new PkiError("CARD_PIN_FORMAT", `${which.toUpperCase()} must be ${min}-${max} digits`);
  }
}
