import { createPrivateKey, diffieHellman, type KeyObject, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import * as x509 from "@peculiar/x509";
import { PkiError } from "../errors.ts";
import { importKeyObjects } from "../keystore/file-key-store.ts";
import { assertPin } from "./pin.ts";

/**
 * A software ID card: what a physical card holds, as one JSON file. Each private key is
 * encrypted PKCS#8 PEM under its PIN (PBES2, AES-256-CBC), so `openssl pkey -passin
 * pass:PIN` opens it with the right PIN only. Unlike a chip there is no retry counter:
 * anyone holding the file can guess PINs offline, so a card file is a sandbox credential.
 */
export interface CardFile {
  format: "riik-card/1";
  kind: "id-card" | "e-resident";
  personalCode: string;
  givenName: string;
  surname: string;
  documentNumber: string;
  authentication: { certificate: string; privateKey: string };
  signing: { certificate: string; privateKey: string };
}

export type CardKeyRole = "authentication" | "signing";

export function readCardFile(path: string): CardFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new PkiError("CARD_FORMAT", `cannot read card file ${path}`, { cause });
  }
  return parseCardFile(text);
}

export function parseCardFile(text: string): CardFile {
  let value: any;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new PkiError("CARD_FORMAT", "the card file is not JSON", { cause });
  }
  const bad: string[] = [];
  if (value?.format !== "riik-card/1") bad.push("format");
  if (value?.kind !== "id-card" && value?.kind !== "e-resident") bad.push("kind");
  for (const field of ["personalCode", "givenName", "surname", "documentNumber"])
    if (typeof value?.[field] !== "string") bad.push(field);
  for (const role of ["authentication", "signing"]) {
    if (typeof value?.[role]?.certificate !== "string") bad.push(`${role}.certificate`);
    if (typeof value?.[role]?.privateKey !== "string") bad.push(`${role}.privateKey`);
  }
  if (bad.length > 0)
    throw new PkiError("CARD_FORMAT", `the card file lacks or has bad fields: ${bad.join(", ")}`, {
      details: { fields: bad },
    });
  return value as CardFile;
}

/**
 * Refuses a card-file target before any certificate is issued: the file must not exist, and
 * its directory must be a directory or not exist yet (it is then created, mode 0700).
 */
export function assertCardFileTarget(path: string): string {
  const target = resolve(path);
  if (existsSync(target))
    throw new PkiError("CARD_FILE_EXISTS", `${path} exists; a card file is never overwritten, choose another --out`);
  const dir = dirname(target);
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new PkiError("CARD_FILE_WRITE", `${dir} is not a directory`);
  return target;
}

/**
 * Writes a card file all at once or not at all: a temporary file (0600, fsynced) beside the
 * target, then a hard link to the target name, which fails if it appeared meanwhile (no
 * overwrite, unlike rename), then the temporary name is removed.
 */
export function writeCardFile(path: string, card: CardFile): void {
  const target = assertCardFileTarget(path);
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const temporary = `${target}.${randomBytes(6).toString("hex")}.partial`;
  const fd = openSync(temporary, "wx", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(card, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, target);
  } catch (cause) {
    const exists = (cause as NodeJS.ErrnoException).code === "EEXIST";
    throw new PkiError(exists ? "CARD_FILE_EXISTS" : "CARD_FILE_WRITE", `cannot write ${path}`, { cause });
  } finally {
    unlinkSync(temporary);
  }
}

export function cardCertificate(card: CardFile, role: CardKeyRole): x509.X509Certificate {
  return new x509.X509Certificate(card[role].certificate);
}

/** Unlocks a card key with its PIN (PIN1 for authentication, PIN2 for signing). */
export async function unlockCardKey(card: CardFile, role: CardKeyRole, pin: string): Promise<CryptoKeyPair> {
  assertPin(role === "authentication" ? "pin1" : "pin2", pin);
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey({ key: card[role].privateKey, passphrase: pin });
  } catch (cause) {
    throw new PkiError("CARD_WRONG_PIN", `wrong ${role === "authentication" ? "PIN1" : "PIN2"}`, { cause });
  }
  return importKeyObjects(key);
}

/**
 * ECDH (SEC 1 3.3.1) with the card's authentication key, unlocked by PIN1: what an ID card's
 * chip computes to open a CDOC2 container encrypted for its holder. Returns the shared x-coordinate.
 */
export function cardKeyAgreement(card: CardFile, pin1: string, peerPublicKey: KeyObject): Buffer {
  assertPin("pin1", pin1);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: card.authentication.privateKey, passphrase: pin1 });
  } catch (cause) {
    throw new PkiError("CARD_WRONG_PIN", "wrong PIN1", { cause });
  }
  try {
    return diffieHellman({ privateKey: key, publicKey: peerPublicKey });
  } catch (cause) {
    throw new PkiError("PKI_ARGUMENT", "the peer key does not match the card's authentication key curve", { cause });
  }
}
