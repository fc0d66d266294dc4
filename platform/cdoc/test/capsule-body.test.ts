// Property tests of the capsule body parser (parseCapsule), the one reader of capsules from
// senders (POST /key-capsules) and from key servers (a fetched capsule): valid capsules round
// trip; anything else is CAPSULE_INVALID, never another error.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { type Capsule, capsuleBody, parseCapsule } from "../src/capsule-server/capsule.ts";
import { CdocError } from "../src/errors.ts";
import { tlsPoint } from "../src/recipients/ecc-public-key.ts";
import { rsaPublicKeyDer } from "../src/recipients/rsa-public-key.ts";

const points = Array.from({ length: 4 }, () =>
  tlsPoint(generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey),
);
const rsaKey = rsaPublicKeyDer(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey);

const validCapsule: fc.Arbitrary<Capsule> = fc.oneof(
  fc.tuple(fc.constantFrom(...points), fc.constantFrom(...points)).map(([recipientId, ephemeralKeyMaterial]) => ({
    type: "ecc_secp384r1" as const,
    recipientId,
    ephemeralKeyMaterial,
  })),
  fc
    .uint8Array({ minLength: 1, maxLength: 512 })
    .map((kek) => ({ type: "rsa" as const, recipientId: rsaKey, ephemeralKeyMaterial: Buffer.from(kek) })),
);

/** Parses, and tells a refusal apart from a crash: only CAPSULE_INVALID may be thrown. */
function outcome(body: unknown): Capsule | "refused" {
  try {
    return parseCapsule(body);
  } catch (error) {
    if (error instanceof CdocError && error.code === "CAPSULE_INVALID") return "refused";
    throw error;
  }
}

test("a valid capsule's body parses back to the same bytes", () => {
  fc.assert(
    fc.property(validCapsule, (capsule) => {
      const parsed = parseCapsule(JSON.parse(JSON.stringify(capsuleBody(capsule))));
      assert.equal(parsed.type, capsule.type);
      assert.ok(parsed.recipientId.equals(capsule.recipientId));
      assert.ok(parsed.ephemeralKeyMaterial.equals(capsule.ephemeralKeyMaterial));
    }),
  );
});

test("any JSON value is a capsule or CAPSULE_INVALID", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => void outcome(value)),
    { numRuns: 500 },
  );
  const field = fc.oneof(fc.string(), fc.base64String({ maxLength: 200 }), fc.integer(), fc.constant(null));
  fc.assert(
    fc.property(
      fc.record(
        {
          recipient_id: field,
          ephemeral_key_material: field,
          capsule_type: fc.oneof(fc.constantFrom("ecc_secp384r1", "rsa", "ecc_secp256r1"), fc.string()),
          extra: fc.string(),
        },
        { requiredKeys: [] },
      ),
      (value) => void outcome(value),
    ),
    { numRuns: 500 },
  );
});

test("a changed character of a valid body is the same capsule, another valid one, or CAPSULE_INVALID", () => {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \n-_";
  fc.assert(
    fc.property(
      validCapsule,
      fc.constantFrom("recipient_id", "ephemeral_key_material"),
      fc.nat(),
      fc.constantFrom(...alphabet),
      (capsule, field, at, replacement) => {
        const body = capsuleBody(capsule);
        const text = body[field];
        const i = at % text.length;
        const changed = { ...body, [field]: text.slice(0, i) + replacement + text.slice(i + 1) };
        const result = outcome(changed);
        if (result === "refused") return;
        // Accepted only as the canonical base64 of bytes that are again a valid capsule field.
        assert.equal(
          result[field === "recipient_id" ? "recipientId" : "ephemeralKeyMaterial"].toString("base64"),
          changed[field],
        );
      },
    ),
    { numRuns: 300 },
  );
});

test("non-canonical base64 and points off the curve are refused", () => {
  const body = capsuleBody({ type: "ecc_secp384r1", recipientId: points[0]!, ephemeralKeyMaterial: points[1]! });
  for (const recipient_id of [
    `${body.recipient_id}\n`,
    ` ${body.recipient_id}`,
    body.recipient_id.replace(/=+$/, ""),
    Buffer.concat([points[0]!, Buffer.from([0])]).toString("base64"),
    Buffer.alloc(97, 4).toString("base64"),
    points[0]!.subarray(0, 65).toString("base64"),
  ]) {
    assert.equal(outcome({ ...body, recipient_id }), "refused", JSON.stringify(recipient_id));
  }
  assert.equal(outcome({ ...body, capsule_type: "ecc_secp256r1" }), "refused");
  assert.equal(outcome({ ...body, recipient_id: rsaKey.toString("base64"), capsule_type: "rsa" }) !== "refused", true);
  assert.equal(outcome({ ...body, capsule_type: "rsa" }), "refused");
});
