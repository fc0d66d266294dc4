// The cadastral code (katastritunnus) of a cadastral unit as the Land Board's cadastre writes
// it: the cadastral zone (5 digits), the block (3) and the unit's number within it (4), joined
// by colons — 78401:101:0010 (Land Cadastre Act § 6). Only that exact form is accepted.
import { LandRegisterError } from "../errors.ts";

const CADASTRAL_CODE = /^(\d{5}):(\d{3}):(\d{4})$/;

export interface CadastralCode {
  code: string;
  zone: string;
  block: string;
  unit: string;
}

export function parseCadastralCode(text: string): CadastralCode {
  const match = CADASTRAL_CODE.exec(text);
  if (!match)
    throw new LandRegisterError(
      "CADASTRAL_CODE_INVALID",
      `a cadastral code is zone:block:unit of 5, 3 and 4 digits (78401:101:0010), got ${JSON.stringify(text.slice(0, 20))}`,
    );
  const [, zone, block, unit] = match as unknown as [string, string, string, string];
  if (Number(unit) === 0)
    throw new LandRegisterError("CADASTRAL_CODE_INVALID", "a cadastral unit's number is not 0000");
  return { code: text, zone, block, unit };
}
