// The CDOC2 header: a FlatBuffers `Header` (header.fbs / recipients.fbs of the CDOC2 schema),
// one RecipientRecord per recipient, each a capsule plus the FMK XOR-encrypted for it.
import * as flatbuffers from "flatbuffers";
import { CdocError } from "./errors.ts";
import {
  Capsule,
  FMKEncryptionMethod,
  Header,
  PayloadEncryptionMethod,
  RecipientRecord,
} from "./generated/header_generated.ts";
import {
  ECCPublicKeyCapsule,
  EccKeyDetails,
  EllipticCurve,
  KDFAlgorithmIdentifier,
  KeyDetailsUnion,
  KeyServerCapsule,
  PBKDF2Capsule,
  RSAPublicKeyCapsule,
  RsaKeyDetails,
  SymmetricKeyCapsule,
} from "./generated/recipients_generated.ts";

interface RecipientBase {
  keyLabel: string;
  encryptedFmk: Uint8Array;
}
/** ECC public key recipient: secp384r1 ECDH between an ephemeral sender key and the recipient's key. */
export interface EccRecipient extends RecipientBase {
  type: "ecc";
  /** TLS 1.3 (RFC 8446 4.2.8.2) uncompressed points: 0x04 | X | Y. */
  recipientPublicKey: Uint8Array;
  senderPublicKey: Uint8Array;
}
/** RSA public key recipient: a random KEK encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256). */
export interface RsaRecipient extends RecipientBase {
  type: "rsa";
  /** RSAPublicKey DER (RFC 8017 A.1.1). */
  recipientPublicKey: Uint8Array;
  encryptedKek: Uint8Array;
}
export interface SymmetricRecipient extends RecipientBase {
  type: "symmetric";
  salt: Uint8Array;
}
export interface PasswordRecipient extends RecipientBase {
  type: "password";
  /** HKDF salt of the KEK. */
  salt: Uint8Array;
  passwordSalt: Uint8Array;
  iterations: number;
}
/** A recipient whose capsule a CDOC2 capsule server holds (KeyServerCapsule). */
export interface KeyServerRecipient extends RecipientBase {
  type: "key-server";
  /** recipient_key_details: EccKeyDetails (secp384r1) or RsaKeyDetails. */
  keyType: "ecc" | "rsa";
  /** As in the direct capsules: a TLS 1.3 point, or RSAPublicKey DER. */
  recipientPublicKey: Uint8Array;
  keyServerId: string;
  transactionId: string;
}
/** A capsule this implementation reads but cannot open (key shares: Smart-ID/Mobile-ID share servers). */
export interface OtherRecipient extends RecipientBase {
  type: "key-shares";
}
export type Recipient =
  | EccRecipient
  | RsaRecipient
  | SymmetricRecipient
  | PasswordRecipient
  | KeyServerRecipient
  | OtherRecipient;

/** A copy of a vector (the runtime's arrays are views into the header). */
const bytes = (value: Uint8Array | null, field: string): Uint8Array => {
  if (!value) throw new CdocError("CDOC_FORMAT", `the header lacks the required field ${field}`);
  return value.slice();
};

export function serializeHeader(recipients: readonly Recipient[]): Uint8Array {
  const b = new flatbuffers.Builder(1024);
  const records = recipients.map((r) => {
    let type: Capsule;
    let capsule: number;
    switch (r.type) {
      case "ecc":
        type = Capsule.recipients_ECCPublicKeyCapsule;
        capsule = ECCPublicKeyCapsule.createECCPublicKeyCapsule(
          b,
          EllipticCurve.secp384r1,
          ECCPublicKeyCapsule.createRecipientPublicKeyVector(b, r.recipientPublicKey),
          ECCPublicKeyCapsule.createSenderPublicKeyVector(b, r.senderPublicKey),
        );
        break;
      case "rsa":
        type = Capsule.recipients_RSAPublicKeyCapsule;
        capsule = RSAPublicKeyCapsule.createRSAPublicKeyCapsule(
          b,
          RSAPublicKeyCapsule.createRecipientPublicKeyVector(b, r.recipientPublicKey),
          RSAPublicKeyCapsule.createEncryptedKekVector(b, r.encryptedKek),
        );
        break;
      case "symmetric":
        type = Capsule.recipients_SymmetricKeyCapsule;
        capsule = SymmetricKeyCapsule.createSymmetricKeyCapsule(b, SymmetricKeyCapsule.createSaltVector(b, r.salt));
        break;
      case "password":
        type = Capsule.recipients_PBKDF2Capsule;
        capsule = PBKDF2Capsule.createPBKDF2Capsule(
          b,
          PBKDF2Capsule.createSaltVector(b, r.salt),
          PBKDF2Capsule.createPasswordSaltVector(b, r.passwordSalt),
          KDFAlgorithmIdentifier.PBKDF2WithHmacSHA256,
          r.iterations,
        );
        break;
      case "key-server": {
        type = Capsule.recipients_KeyServerCapsule;
        const details =
          r.keyType === "ecc"
            ? EccKeyDetails.createEccKeyDetails(
                b,
                EllipticCurve.secp384r1,
                EccKeyDetails.createRecipientPublicKeyVector(b, r.recipientPublicKey),
              )
            : RsaKeyDetails.createRsaKeyDetails(
                b,
                RsaKeyDetails.createRecipientPublicKeyVector(b, r.recipientPublicKey),
              );
        capsule = KeyServerCapsule.createKeyServerCapsule(
          b,
          r.keyType === "ecc" ? KeyDetailsUnion.EccKeyDetails : KeyDetailsUnion.RsaKeyDetails,
          details,
          b.createString(r.keyServerId),
          b.createString(r.transactionId),
        );
        break;
      }
      default:
        throw new CdocError("CDOC_ARGUMENT", `cannot write a ${r.type} recipient`);
    }
    return RecipientRecord.createRecipientRecord(
      b,
      type,
      capsule,
      b.createString(r.keyLabel),
      RecipientRecord.createEncryptedFmkVector(b, r.encryptedFmk),
      FMKEncryptionMethod.XOR,
    );
  });
  const header = Header.createHeader(
    b,
    Header.createRecipientsVector(b, records),
    PayloadEncryptionMethod.CHACHA20POLY1305,
  );
  b.finish(header);
  return b.asUint8Array().slice();
}

/** Reads the header's recipients; anything malformed is CDOC_FORMAT, never a runtime error. */
export function parseHeader(data: Uint8Array): Recipient[] {
  try {
    const header = Header.getRootAsHeader(new flatbuffers.ByteBuffer(data));
    if (header.payloadEncryptionMethod() !== PayloadEncryptionMethod.CHACHA20POLY1305) {
      throw new CdocError("CDOC_UNSUPPORTED", "the payload encryption method is not CHACHA20POLY1305");
    }
    // The runtime does not bounds-check vector lengths (reads past the end give 0): each element is a
    // 4-byte offset inside the header, so a longer vector is malformed, not a loop of billions.
    const count = header.recipientsLength();
    if (count > data.length / 4) throw new CdocError("CDOC_FORMAT", "the recipients vector overruns the header");
    const recipients: Recipient[] = [];
    for (let i = 0; i < count; i++) {
      const record = header.recipients(i);
      if (!record) throw new CdocError("CDOC_FORMAT", "a recipient record is missing");
      recipients.push(parseRecord(record));
    }
    if (recipients.length === 0) throw new CdocError("CDOC_FORMAT", "the header names no recipients");
    return recipients;
  } catch (cause) {
    if (cause instanceof CdocError) throw cause;
    throw new CdocError("CDOC_FORMAT", "the CDOC2 header is not a valid FlatBuffers Header", { cause });
  }
}

function parseRecord(record: RecipientRecord): Recipient {
  const keyLabel = record.keyLabel();
  if (keyLabel === null) throw new CdocError("CDOC_FORMAT", "the header lacks the required field key_label");
  if (record.fmkEncryptionMethod() !== FMKEncryptionMethod.XOR) {
    throw new CdocError("CDOC_UNSUPPORTED", "the FMK encryption method is not XOR");
  }
  const base = { keyLabel, encryptedFmk: bytes(record.encryptedFmkArray(), "encrypted_fmk") };
  switch (record.capsuleType()) {
    case Capsule.recipients_ECCPublicKeyCapsule: {
      const c: ECCPublicKeyCapsule = record.capsule(new ECCPublicKeyCapsule());
      if (c.curve() !== EllipticCurve.secp384r1) throw new CdocError("CDOC_UNSUPPORTED", "the curve is not secp384r1");
      return {
        type: "ecc",
        ...base,
        recipientPublicKey: bytes(c.recipientPublicKeyArray(), "recipient_public_key"),
        senderPublicKey: bytes(c.senderPublicKeyArray(), "sender_public_key"),
      };
    }
    case Capsule.recipients_RSAPublicKeyCapsule: {
      const c: RSAPublicKeyCapsule = record.capsule(new RSAPublicKeyCapsule());
      return {
        type: "rsa",
        ...base,
        recipientPublicKey: bytes(c.recipientPublicKeyArray(), "recipient_public_key"),
        encryptedKek: bytes(c.encryptedKekArray(), "encrypted_kek"),
      };
    }
    case Capsule.recipients_SymmetricKeyCapsule: {
      const c: SymmetricKeyCapsule = record.capsule(new SymmetricKeyCapsule());
      return { type: "symmetric", ...base, salt: bytes(c.saltArray(), "salt") };
    }
    case Capsule.recipients_PBKDF2Capsule: {
      const c: PBKDF2Capsule = record.capsule(new PBKDF2Capsule());
      if (c.kdfAlgorithmIdentifier() !== KDFAlgorithmIdentifier.PBKDF2WithHmacSHA256) {
        throw new CdocError("CDOC_UNSUPPORTED", "the password KDF is not PBKDF2WithHmacSHA256");
      }
      return {
        type: "password",
        ...base,
        salt: bytes(c.saltArray(), "salt"),
        passwordSalt: bytes(c.passwordSaltArray(), "password_salt"),
        iterations: c.kdfIterations(),
      };
    }
    case Capsule.recipients_KeyServerCapsule:
      return { type: "key-server", ...base, ...keyServerCapsule(record.capsule(new KeyServerCapsule())) };
    case Capsule.recipients_KeySharesCapsule:
      return { type: "key-shares", ...base };
    default:
      throw new CdocError("CDOC_UNSUPPORTED", `unknown capsule type ${record.capsuleType()}`);
  }
}

function keyServerCapsule(c: KeyServerCapsule): Omit<KeyServerRecipient, "type" | "keyLabel" | "encryptedFmk"> {
  const keyServerId = c.keyserverId();
  const transactionId = c.transactionId();
  if (keyServerId === null) throw new CdocError("CDOC_FORMAT", "the header lacks the required field keyserver_id");
  if (transactionId === null) throw new CdocError("CDOC_FORMAT", "the header lacks the required field transaction_id");
  switch (c.recipientKeyDetailsType()) {
    case KeyDetailsUnion.EccKeyDetails: {
      const details: EccKeyDetails = c.recipientKeyDetails(new EccKeyDetails());
      if (details.curve() !== EllipticCurve.secp384r1)
        throw new CdocError("CDOC_UNSUPPORTED", "the curve is not secp384r1");
      const recipientPublicKey = bytes(details.recipientPublicKeyArray(), "recipient_public_key");
      return { keyType: "ecc", recipientPublicKey, keyServerId, transactionId };
    }
    case KeyDetailsUnion.RsaKeyDetails: {
      const details: RsaKeyDetails = c.recipientKeyDetails(new RsaKeyDetails());
      const recipientPublicKey = bytes(details.recipientPublicKeyArray(), "recipient_public_key");
      return { keyType: "rsa", recipientPublicKey, keyServerId, transactionId };
    }
    default:
      throw new CdocError(
        "CDOC_UNSUPPORTED",
        `unknown key server recipient key details ${c.recipientKeyDetailsType()}`,
      );
  }
}
