// Who declares: a payer by its registry code (the e-Business Register's check, imported, not
// copied), and the X-Road client the declaration came from, which must be that payer.

import { isRiikError, parseClientId, parseRegistryCode } from "@riik/core";
import { TaxBoardError } from "../errors.ts";

/** The payer's registry code, or REGISTRY_CODE_INVALID naming what is wrong. */
export function payerCode(text: string): string {
  try {
    return parseRegistryCode(text);
  } catch (error) {
    if (isRiikError(error)) throw new TaxBoardError("REGISTRY_CODE_INVALID", `payer: ${error.message}`);
    throw error;
  }
}

/**
 * The payer a declaration is accepted from: the member of the X-Road client its security server
 * states (X-Road-Client, PR-REST 4.3), which must be the payer declared. A company declares for
 * itself; an accountant's own member declaring for a client is not modelled (NOT_THE_PAYER).
 */
export function senderIsPayer(client: string | string[] | undefined, payer: string): string {
  const value = Array.isArray(client) ? client[0] : client;
  let member: string | undefined;
  try {
    member = value ? parseClientId(value).memberCode : undefined;
  } catch {
    member = undefined;
  }
  if (member !== payer)
    throw new TaxBoardError(
      "NOT_THE_PAYER",
      `a declaration for ${payer} comes from that payer's own X-Road client (X-Road-Client INSTANCE/CLASS/${payer}/SUBSYSTEM)`,
    );
  return value!;
}
