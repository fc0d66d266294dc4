// CDOC2 containers as files (CDOC2 specification, "Container format"; the framing is envelope.ts):
// encrypted into a new file for any recipient type, decrypted into a directory.
import { createPublicKey, KeyObject, randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  closeSync,
  createWriteStream,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { type CardFile, cardCertificate, cardKeyAgreement, unlockCardKey } from "@riik/pki";
import {
  additionalData,
  containerHead,
  FIXED_LENGTH,
  HMAC_LENGTH,
  MAX_HEADER_LENGTH,
  type ParsedContainer,
  parseContainer,
  statedHeaderLength,
} from "./envelope.ts";
import { CdocError } from "./errors.ts";
import { type KeyServerRecipient, type Recipient, serializeHeader } from "./header.ts";
import { contentEncryptionKey, generateFmk, headerHmac, openFmk } from "./key-derivation.ts";
import { displayLabel, formatKeyLabel } from "./key-label.ts";
import { extractPayload, tarOfFiles, writePayload } from "./payload.ts";
import { eccKekFor, eccRecipient, ecdh, tlsPoint } from "./recipients/ecc-public-key.ts";
import {
  type ClientCredentials,
  type KeyServerConfig,
  keyServerKekFor,
  keyServerRecipient,
} from "./recipients/key-server.ts";
import { passwordKekFor, passwordRecipient } from "./recipients/password.ts";
import { rsaKekFor, rsaPublicKeyDer, rsaRecipient } from "./recipients/rsa-public-key.ts";
import { symmetricKekFor, symmetricRecipient } from "./recipients/symmetric-key.ts";

/** Default bound on the decompressed payload (the tar stream): 4 GiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 ** 3;

export type EncryptionRecipient =
  /**
   * An EC (secp384r1) or RSA public key, e.g. an ID card's authentication certificate's key;
   * with `keyServer`, its capsule is kept by that CDOC2 capsule server (until `capsuleExpiry`).
   */
  | {
      type: "public-key";
      key: KeyObject;
      label?: string;
      keyLabel?: string;
      keyServer?: KeyServerConfig;
      capsuleExpiry?: Date;
    }
  | { type: "password"; label: string; password: string; iterations?: number }
  | { type: "symmetric"; label: string; key: Uint8Array };

export type DecryptionKey =
  /** `certificate` (PEM) is needed only for a key-server recipient: the client certificate of mutual TLS. */
  | { type: "private-key"; key: KeyObject; certificate?: string }
  | { type: "card"; card: CardFile; pin1: string }
  | { type: "password"; label?: string; password: string }
  | { type: "symmetric"; label?: string; key: Uint8Array };

/** Reads only the container's header part from a file. */
export function readContainerHeader(file: string): ParsedContainer {
  const fd = openSync(file, "r");
  try {
    const size = statSync(file).size;
    const fixed = Buffer.alloc(Math.min(size, FIXED_LENGTH));
    readSync(fd, fixed, 0, fixed.length, 0);
    if (fixed.length < FIXED_LENGTH) throw new CdocError("CDOC_FORMAT", "not a CDOC2 container");
    const headerLength = statedHeaderLength(fixed);
    const want = Math.min(size, FIXED_LENGTH + Math.min(headerLength, MAX_HEADER_LENGTH + 1) + HMAC_LENGTH);
    const head = Buffer.alloc(want);
    readSync(fd, head, 0, want, 0);
    return parseContainer(head, size);
  } finally {
    closeSync(fd);
  }
}

export interface RecipientSummary {
  type: Recipient["type"];
  /** The key label as stored. */
  keyLabel: string;
  /** Its human part (the `label` parameter of a machine-readable label). */
  label: string;
}

export function containerInfo(file: string): RecipientSummary[] {
  return readContainerHeader(file).recipients.map((r) => ({
    type: r.type,
    keyLabel: r.keyLabel,
    label: displayLabel(r.keyLabel),
  }));
}

async function buildRecipient(fmk: Uint8Array, spec: EncryptionRecipient): Promise<Recipient> {
  switch (spec.type) {
    case "public-key": {
      const key = spec.key.type === "public" ? spec.key : createPublicKey(spec.key);
      if (spec.keyServer) {
        const fallback = key.asymmetricKeyType === "rsa" ? "RSA public key" : "EC public key";
        const keyLabel = spec.keyLabel ?? formatKeyLabel("pub_key", { LABEL: spec.label ?? fallback });
        return keyServerRecipient(fmk, key, keyLabel, spec.keyServer, spec.capsuleExpiry);
      }
      if (key.asymmetricKeyType === "ec") {
        return eccRecipient(
          fmk,
          key,
          spec.keyLabel ?? formatKeyLabel("pub_key", { LABEL: spec.label ?? "EC public key" }),
        );
      }
      if (key.asymmetricKeyType === "rsa") {
        return rsaRecipient(
          fmk,
          key,
          spec.keyLabel ?? formatKeyLabel("pub_key", { LABEL: spec.label ?? "RSA public key" }),
        );
      }
      throw new CdocError("CDOC_ARGUMENT", `unsupported public key type ${key.asymmetricKeyType}`);
    }
    case "password":
      return passwordRecipient(fmk, spec.password, formatKeyLabel("pw", { LABEL: spec.label }), spec.iterations);
    case "symmetric":
      return symmetricRecipient(fmk, spec.key, formatKeyLabel("secret", { LABEL: spec.label }));
  }
}

/**
 * Encrypts `files` for every recipient into a new container at `out` (written to a temporary
 * file beside it, 0600, and linked into place: an existing `out` is never replaced).
 */
export async function encryptFiles(options: {
  files: readonly string[];
  recipients: readonly EncryptionRecipient[];
  out: string;
}): Promise<void> {
  const { files, recipients, out } = options;
  if (recipients.length === 0) throw new CdocError("CDOC_ARGUMENT", "name at least one recipient");
  if (files.length === 0) throw new CdocError("CDOC_ARGUMENT", "name at least one file to encrypt");
  const names = new Set<string>();
  for (const f of files) {
    if (!statSync(f, { throwIfNoEntry: false })?.isFile()) throw new CdocError("CDOC_ARGUMENT", `${f} is not a file`);
    if (names.has(basename(f))) throw new CdocError("CDOC_ARGUMENT", `two files are named ${basename(f)}`);
    names.add(basename(f));
  }
  await encryptTar({ tar: () => tarOfFiles(files), recipients, out });
}

/** Encrypts a tar stream (the payload before compression), opened once the header is built, into `out`. */
export async function encryptTar(options: {
  tar: () => Readable;
  recipients: readonly EncryptionRecipient[];
  out: string;
}): Promise<void> {
  const { recipients, out } = options;
  if (recipients.length === 0) throw new CdocError("CDOC_ARGUMENT", "name at least one recipient");
  if (existsSync(out)) throw new CdocError("CDOC_OUTPUT_EXISTS", `${out} exists`);
  const fmk = generateFmk();
  const records: Recipient[] = [];
  for (const r of recipients) records.push(await buildRecipient(fmk, r));
  const header = serializeHeader(records);
  const hmac = headerHmac(fmk, header);

  const temporary = join(dirname(resolve(out)), `.${basename(out)}.${randomBytes(6).toString("hex")}.tmp`);
  const stream = createWriteStream(temporary, { flags: "wx", mode: 0o600 });
  try {
    stream.write(containerHead(header, hmac));
    await writePayload(stream, contentEncryptionKey(fmk), additionalData(header, hmac), options.tar());
    stream.end();
    await once(stream, "finish");
    try {
      linkSync(temporary, out);
    } catch (cause) {
      throw new CdocError("CDOC_OUTPUT_EXISTS", `${out} exists`, { cause });
    }
  } finally {
    stream.destroy();
    rmSync(temporary, { force: true });
  }
}

/** Finds the recipient `key` opens and returns the FMK (header HMAC verified). */
async function unlockFmk(
  parsed: ParsedContainer,
  key: DecryptionKey,
  keyServers: readonly KeyServerConfig[],
): Promise<Uint8Array> {
  const candidates = await kekCandidates(parsed.recipients, key, keyServers);
  if (candidates.length === 0)
    throw new CdocError("CDOC_NOT_RECIPIENT", "the key is not among the container's recipients");
  for (const [record, kek] of candidates) {
    const fmk = openFmk(kek, record.encryptedFmk, parsed.header, parsed.hmac);
    if (fmk) return fmk;
  }
  throw new CdocError(
    "CDOC_HEADER_HMAC",
    key.type === "password" || key.type === "symmetric"
      ? "the header HMAC does not verify: wrong password or secret, or the header was altered"
      : "the header HMAC does not verify: the header was altered",
  );
}

type Kek = [Recipient, Uint8Array];

async function kekCandidates(
  recipients: readonly Recipient[],
  key: DecryptionKey,
  keyServers: readonly KeyServerConfig[],
): Promise<Kek[]> {
  const out: Kek[] = [];
  const labelMatches = (r: Recipient, label: string | undefined) =>
    label === undefined || label === "" || displayLabel(r.keyLabel) === label || r.keyLabel === label;
  for (const r of recipients) {
    if (key.type === "private-key" && r.type === "ecc" && key.key.asymmetricKeyType === "ec") {
      const mine = tlsPoint(createPublicKey(key.key));

      if (mine.equals(r.recipientPublicKey)) out.push([r, eccKekFor(r, (sender) => ecdh(key.key, sender))]);
    } else if (key.type === "card" && r.type === "ecc") {
      const mine = tlsPoint(cardPublicKey(key.card));
      if (mine.equals(r.recipientPublicKey)) {
        out.push([r, eccKekFor(r, (sender) => cardKeyAgreement(key.card, key.pin1, sender))]);
      }
    } else if (key.type === "private-key" && r.type === "rsa" && key.key.asymmetricKeyType === "rsa") {
      if (rsaPublicKeyDer(key.key).equals(r.recipientPublicKey)) out.push([r, rsaKekFor(r, key.key)]);
    } else if (key.type === "symmetric" && r.type === "symmetric" && labelMatches(r, key.label)) {
      out.push([r, symmetricKekFor(r, key.key)]);
    } else if (key.type === "password" && r.type === "password" && labelMatches(r, key.label)) {
      out.push([r, await passwordKekFor(r, key.password)]);
    } else if (r.type === "key-server" && key.type === "card" && keyMatches(cardPublicKey(key.card), r)) {
      // The card's authentication key signs the TLS handshake, as DigiDoc's does on the card.
      const unlocked = KeyObject.from((await unlockCardKey(key.card, "authentication", key.pin1)).privateKey);
      const credentials: ClientCredentials = {
        cert: key.card.authentication.certificate,
        key: unlocked.export({ type: "pkcs8", format: "pem" }) as string,
      };
      const recipient =
        r.keyType === "ecc"
          ? { agree: (sender: KeyObject) => cardKeyAgreement(key.card, key.pin1, sender) }
          : { rsaKey: unlocked };
      out.push([r, await keyServerKekFor(r, keyServers, credentials, recipient)]);
    } else if (r.type === "key-server" && key.type === "private-key" && keyMatches(key.key, r)) {
      if (!key.certificate) {
        throw new CdocError(
          "CDOC_ARGUMENT",
          "this recipient's capsule is on a key server: give the key's certificate for mutual TLS",
        );
      }
      const credentials = { cert: key.certificate, key: key.key.export({ type: "pkcs8", format: "pem" }) as string };
      const recipient =
        r.keyType === "ecc" ? { agree: (sender: KeyObject) => ecdh(key.key, sender) } : { rsaKey: key.key };
      out.push([r, await keyServerKekFor(r, keyServers, credentials, recipient)]);
    }
  }
  return out;
}

/** Whether `key` (public, or a private key's public half) is the record's recipient key. */
function keyMatches(key: KeyObject, record: KeyServerRecipient): boolean {
  if (record.keyType === "ecc" && key.asymmetricKeyType === "ec")
    return tlsPoint(key.type === "public" ? key : createPublicKey(key)).equals(record.recipientPublicKey);
  if (record.keyType === "rsa" && key.asymmetricKeyType === "rsa")
    return rsaPublicKeyDer(key).equals(record.recipientPublicKey);
  return false;
}

/** The public key of the card's authentication certificate, the one CDOC2 encrypts for. */
export function cardPublicKey(card: CardFile): KeyObject {
  const spki = Buffer.from(cardCertificate(card, "authentication").publicKey.rawData);
  return createPublicKey({ key: spki, format: "der", type: "spki" });
}

export interface DecryptOptions {
  file: string;
  key: DecryptionKey;
  /** Directory the files land in (created 0700 if missing); existing files are never replaced. */
  outputDir: string;
  maxOutputBytes?: number;
  /** Capsule servers a key-server recipient may name (by id), e.g. from key-server.json. */
  keyServers?: readonly KeyServerConfig[];
}

/**
 * Decrypts a container into `outputDir`. Files are written to a fresh 0700 directory inside it
 * and renamed into place only after the ChaCha20-Poly1305 tag verified: on any error nothing is left.
 */
export async function decryptFile(options: DecryptOptions): Promise<string[]> {
  const parsed = readContainerHeader(options.file);
  const fmk = await unlockFmk(parsed, options.key, options.keyServers ?? []);
  const outputDir = resolve(options.outputDir);
  mkdirSync(outputDir, { recursive: true, mode: 0o700 });
  const staging = mkdtempSync(join(outputDir, ".cdoc-"));
  try {
    const names = await extractPayload(
      options.file,
      parsed.payloadOffset,
      contentEncryptionKey(fmk),
      additionalData(parsed.header, parsed.hmac),
      staging,
      { maxBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES },
    );
    for (const name of names) {
      if (existsSync(join(outputDir, name)))
        throw new CdocError("CDOC_OUTPUT_EXISTS", `${name} exists in the output directory`);
    }
    for (const name of names) {
      const target = join(outputDir, name);
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      // link + unlink, not rename: a file appearing meanwhile is refused, never replaced.
      try {
        linkSync(join(staging, name), target);
      } catch (cause) {
        throw new CdocError("CDOC_OUTPUT_EXISTS", `${name} exists in the output directory`, { cause });
      }
      unlinkSync(join(staging, name));
    }
    return names;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
