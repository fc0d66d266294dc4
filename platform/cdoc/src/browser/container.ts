// CDOC2 containers in the page, for ID cards (ECCPublicKeyCapsule, secp384r1): encrypted for the
// authentication keys the portal looked up, opened with a card file's key behind PIN1. The key
// schedule, header and framing are the same modules the command line uses; ECDH is WebCrypto's,
// so the card's key stays a non-extractable CryptoKey in the page.
import { equalBytes } from "@noble/ciphers/utils.js";
import { additionalData, containerHead, parseContainer } from "../envelope.ts";
import { CdocError } from "../errors.ts";
import { type EccRecipient, serializeHeader } from "../header.ts";
import { contentEncryptionKey, eccKek, generateFmk, headerHmac, openFmk, xor } from "../key-derivation.ts";
import { type ContainerFile, openPayload, sealPayload } from "./payload.ts";

/** A recipient by public key: the TLS 1.3 point (0x04 | X | Y) of a P-384 key and its key label. */
export interface PublicKeyRecipient {
  keyLabel: string;
  publicKey: Uint8Array;
}

/** The recipient's side of ECDH: its public point, and the shared secret with a sender point. */
export interface KeyAgreement {
  publicKey: Uint8Array;
  agree(senderPublicKey: Uint8Array): Promise<Uint8Array>;
}

/** Bound on the inflated tar in the page: it all lands in memory. */
export const DEFAULT_MAX_PAGE_BYTES = 256 * 1024 * 1024;

const P384 = { name: "ECDH", namedCurve: "P-384" } as const;
const subtle = () => globalThis.crypto.subtle;
const buffer = (bytes: Uint8Array) => bytes.slice() as Uint8Array<ArrayBuffer>;

/** ECDH on P-384 between a WebCrypto private key and a TLS point; a point off the curve is CDOC_FORMAT. */
export async function agreeWith(privateKey: CryptoKey, point: Uint8Array): Promise<Uint8Array> {
  let publicKey: CryptoKey;
  try {
    publicKey = await subtle().importKey("raw", buffer(point), P384, false, []);
  } catch (cause) {
    throw new CdocError("CDOC_FORMAT", "an EC point is not 0x04|X|Y on P-384", { cause });
  }
  return new Uint8Array(await subtle().deriveBits({ name: "ECDH", public: publicKey }, privateKey, 384));
}

/** A new container of `files` for every recipient, each by an ephemeral-static ECDH. */
export async function encryptForPublicKeys(
  files: readonly ContainerFile[],
  recipients: readonly PublicKeyRecipient[],
): Promise<Uint8Array> {
  if (recipients.length === 0) throw new CdocError("CDOC_ARGUMENT", "name at least one recipient");
  if (files.length === 0) throw new CdocError("CDOC_ARGUMENT", "name at least one file to encrypt");
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) throw new CdocError("CDOC_ARGUMENT", `two files are named ${f.name}`);
    names.add(f.name);
  }
  const fmk = generateFmk();
  const records: EccRecipient[] = [];
  for (const r of recipients) {
    const sender = await subtle().generateKey(P384, true, ["deriveBits"]);
    const senderPoint = new Uint8Array(await subtle().exportKey("raw", sender.publicKey));
    const kek = eccKek(await agreeWith(sender.privateKey, r.publicKey), r.publicKey, senderPoint);
    records.push({
      type: "ecc",
      keyLabel: r.keyLabel,
      encryptedFmk: xor(fmk, kek),
      recipientPublicKey: r.publicKey,
      senderPublicKey: senderPoint,
    });
  }
  const header = serializeHeader(records);
  const hmac = headerHmac(fmk, header);
  const payload = await sealPayload(contentEncryptionKey(fmk), additionalData(header, hmac), files);
  const head = containerHead(header, hmac);
  const container = new Uint8Array(head.length + payload.length);
  container.set(head);
  container.set(payload, head.length);
  return container;
}

/**
 * The files of `container` for the recipient whose key `key` agrees with. The header HMAC is
 * verified before the payload is touched, and the payload's tag before anything is inflated.
 */
export async function decryptWithKeyAgreement(
  container: Uint8Array,
  key: KeyAgreement,
  maxBytes = DEFAULT_MAX_PAGE_BYTES,
): Promise<ContainerFile[]> {
  const parsed = parseContainer(container);
  const mine = parsed.recipients.filter(
    (r): r is EccRecipient => r.type === "ecc" && equalBytes(r.recipientPublicKey, key.publicKey),
  );
  if (mine.length === 0) {
    const onServer = parsed.recipients.some(
      (r) => r.type === "key-server" && equalBytes(r.recipientPublicKey, key.publicKey),
    );
    throw onServer
      ? new CdocError(
          "CDOC_UNSUPPORTED",
          "this card's key is kept on a key capsule server, which a browser cannot reach with the card: open it with riik cdoc decrypt",
        )
      : new CdocError("CDOC_NOT_RECIPIENT", "the card is not among the container's recipients");
  }
  for (const record of mine) {
    const kek = eccKek(await key.agree(record.senderPublicKey), record.recipientPublicKey, record.senderPublicKey);
    const fmk = openFmk(kek, record.encryptedFmk, parsed.header, parsed.hmac);
    if (fmk) {
      const aad = additionalData(parsed.header, parsed.hmac);
      return openPayload(contentEncryptionKey(fmk), aad, container.subarray(parsed.payloadOffset), maxBytes);
    }
  }
  throw new CdocError("CDOC_HEADER_HMAC", "the header HMAC does not verify: the header was altered");
}
