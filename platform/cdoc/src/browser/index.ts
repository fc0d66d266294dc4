// @riik/cdoc/browser: CDOC2 in a web page (no node: modules): encrypt for ID cards' public keys,
// open with a card file's authentication key behind PIN1.
import { authenticationPublicKey, type BrowserCard, unlockKeyAgreementKey } from "@riik/pki/browser";
import { agreeWith, type KeyAgreement } from "./container.ts";

export { CdocError, type CdocErrorCode } from "../errors.ts";
export { displayLabel } from "../key-label.ts";
export {
  agreeWith,
  DEFAULT_MAX_PAGE_BYTES,
  decryptWithKeyAgreement,
  encryptForPublicKeys,
  type KeyAgreement,
  type PublicKeyRecipient,
} from "./container.ts";
export type { ContainerFile } from "./payload.ts";

/** The card's authentication key as a CDOC2 recipient key: opened with PIN1, never leaving the page. */
export async function cardKeyAgreement(card: BrowserCard, pin1: string): Promise<KeyAgreement> {
  const { point } = await authenticationPublicKey(card);
  const privateKey = await unlockKeyAgreementKey(card, pin1);
  return { publicKey: point, agree: (sender) => agreeWith(privateKey, sender) };
}
