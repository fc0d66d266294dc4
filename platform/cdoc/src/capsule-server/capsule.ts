// The key capsule as the CDOC2 Key Capsules API carries it (cdoc2-key-capsules OpenAPI 3.0.1,
// CDOC2 specification Appendix C): {recipient_id, ephemeral_key_material, capsule_type}, bytes
// as base64. ecc_secp384r1: both are TLS 1.3 points (RFC 8446 4.2.8.2), the recipient's key and
// the sender's ephemeral key; rsa: RSAPublicKey DER (RFC 8017 A.1.1) and the RSA-OAEP encrypted KEK.
import { createPublicKey } from "node:crypto";
import { type Static, Type } from "typebox";
import { CdocError } from "../errors.ts";
import { keyFromTlsPoint } from "../recipients/ecc-public-key.ts";

/** The capsule types riik stores: the ID card's curve, and RSA (the spec's enum also has ecc_secp256r1). */
export const CAPSULE_TYPES = ["ecc_secp384r1", "rsa"] as const;
export type CapsuleType = (typeof CAPSULE_TYPES)[number];

/** The API's bounds: 65 bytes (an EC point) to 2100 (a 16 kbit RSA public key is 2086 bytes). */
const MAX_BYTES = 2100;
const base64Field = (minBytes: number, what: string) =>
  Type.String({
    // base64 of minBytes..MAX_BYTES bytes, padding included; canonical form is checked in parseCapsule.
    minLength: Math.ceil(minBytes / 3) * 4,
    maxLength: Math.ceil(MAX_BYTES / 3) * 4,
    pattern: "^[A-Za-z0-9+/]*={0,2}$",
    description: what,
  });

/** The request and answer body (components.schemas.Capsule). */
export const CAPSULE_BODY = Type.Object(
  {
    recipient_id: base64Field(65, "the recipient's public key, as capsule_type defines"),
    ephemeral_key_material: base64Field(1, "the sender's ephemeral public key (EC) or the encrypted KEK (RSA)"),
    capsule_type: Type.Union([Type.Literal("ecc_secp384r1"), Type.Literal("rsa")], {
      description: "ecc_secp384r1 or rsa",
    }),
  },
  { additionalProperties: false },
);
export type CapsuleBody = Static<typeof CAPSULE_BODY>;

export interface Capsule {
  type: CapsuleType;
  recipientId: Buffer;
  ephemeralKeyMaterial: Buffer;
}

/** Strict base64: only the canonical encoding of its bytes (no whitespace, exact padding). */
function canonicalBase64(text: unknown, field: string): Buffer {
  const bytes = typeof text === "string" ? Buffer.from(text, "base64") : undefined;
  if (!bytes || bytes.toString("base64") !== text) {
    throw new CdocError("CAPSULE_INVALID", `${field} is not canonical base64`, { details: { field } });
  }
  if (bytes.length === 0 || bytes.length > MAX_BYTES) {
    throw new CdocError("CAPSULE_INVALID", `${field} must be 1 to ${MAX_BYTES} bytes`, { details: { field } });
  }
  return bytes;
}

/**
 * Reads a capsule body (from a sender, or from a key server's answer): the bytes each type
 * defines, keys checked as keys (an EC point on secp384r1, an RSAPublicKey that parses), as
 * the reference's CapsuleValidator does. Anything else is CAPSULE_INVALID.
 */
export function parseCapsule(body: unknown): Capsule {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new CdocError("CAPSULE_INVALID", "a capsule is a JSON object");
  const fields = body as Record<string, unknown>;
  const extra = Object.keys(fields).filter(
    (k) => !["recipient_id", "ephemeral_key_material", "capsule_type"].includes(k),
  );
  if (extra.length > 0)
    throw new CdocError("CAPSULE_INVALID", `unknown capsule field ${extra[0]}`, { details: { field: extra[0] } });
  const type = fields.capsule_type;
  if (!CAPSULE_TYPES.includes(type as CapsuleType)) {
    throw new CdocError("CAPSULE_INVALID", `capsule_type must be one of ${CAPSULE_TYPES.join(", ")}`, {
      details: { field: "capsule_type" },
    });
  }
  const recipientId = canonicalBase64(fields.recipient_id, "recipient_id");
  const ephemeralKeyMaterial = canonicalBase64(fields.ephemeral_key_material, "ephemeral_key_material");
  if (type === "ecc_secp384r1") {
    for (const [field, point] of [
      ["recipient_id", recipientId],
      ["ephemeral_key_material", ephemeralKeyMaterial],
    ] as const) {
      try {
        keyFromTlsPoint(point);
      } catch (cause) {
        throw new CdocError("CAPSULE_INVALID", `${field} is not a secp384r1 point 0x04|X|Y`, {
          cause,
          details: { field },
        });
      }
    }
  } else {
    let key: ReturnType<typeof createPublicKey>;
    try {
      key = createPublicKey({ key: recipientId, format: "der", type: "pkcs1" });
    } catch (cause) {
      throw new CdocError("CAPSULE_INVALID", "recipient_id is not an RSAPublicKey (DER)", {
        cause,
        details: { field: "recipient_id" },
      });
    }
    // Canonical: the DER the key re-encodes to, so one key has one recipient_id to compare.
    if (!key.export({ format: "der", type: "pkcs1" }).equals(recipientId))
      throw new CdocError("CAPSULE_INVALID", "recipient_id is not DER", { details: { field: "recipient_id" } });
  }
  return { type: type as CapsuleType, recipientId, ephemeralKeyMaterial };
}

export function capsuleBody(capsule: Capsule): CapsuleBody {
  return {
    recipient_id: capsule.recipientId.toString("base64"),
    ephemeral_key_material: capsule.ephemeralKeyMaterial.toString("base64"),
    capsule_type: capsule.type,
  };
}

/** The reference's transaction id: "KC" and 16 random bytes in hex (34 characters); the API allows 18 to 34. */
export const TRANSACTION_ID = Type.String({ minLength: 18, maxLength: 34, pattern: "^[A-Za-z0-9]+$" });
