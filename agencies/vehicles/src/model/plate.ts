// Estonian registration plates (Transport Administration): the standard "123 ABC" — three
// digits and three letters of the Latin alphabet — and personalised plates of 2 to 9 letters
// and digits. Compared in one canonical form: upper case, no spaces.
import { VehicleError } from "../errors.ts";

const STANDARD = /^[0-9]{3}[A-Z]{3}$/;
const PERSONALISED = /^(?=.*[A-Z])[A-Z0-9]{2,9}$/;

export function parsePlate(text: string): string {
  const plate = text.replace(/\s/g, "").toUpperCase();
  if (STANDARD.test(plate) || PERSONALISED.test(plate)) return plate;
  throw new VehicleError(
    "PLATE_INVALID",
    `${JSON.stringify(text)} is not a registration plate: three digits and three letters (123 ABC), or 2-9 letters and digits with a letter`,
  );
}
