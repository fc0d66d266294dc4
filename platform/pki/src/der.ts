import * as asn1js from "asn1js";
import { PkiError, type PkiErrorCode } from "./errors.ts";

/** Largest DER object any riik endpoint parses (requests are a few hundred bytes). */
export const MAX_DER_BYTES = 64 * 1024;

/**
 * Parses one DER/BER object that must fill `bytes` exactly, then builds a pkijs object from
 * it. Every parser of untrusted ASN.1 in riik goes through here, so every failure (bad
 * tags, bad lengths, trailing bytes, wrong structure) becomes the caller's typed code.
 */
export function parseDer<T>(
  bytes: Uint8Array,
  what: string,
  code: PkiErrorCode,
  build: (schema: asn1js.AsnType) => T,
): T {
  const block = parseDerBlock(bytes, what, code);
  try {
    return build(block);
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw new PkiError(
      code,
      `${what} does not have the ASN.1 structure its specification gives: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

/** The one DER object that must fill `bytes` exactly, as an asn1js block (see parseDer). */
export function parseDerBlock(bytes: Uint8Array, what: string, code: PkiErrorCode): asn1js.AsnType {
  if (bytes.byteLength === 0) throw new PkiError(code, `${what} is empty`);
  if (bytes.byteLength > MAX_DER_BYTES) throw new PkiError(code, `${what} is larger than ${MAX_DER_BYTES} bytes`);
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(view);
  } catch (cause) {
    // asn1js throws (rather than reporting) on some malformed primitives, e.g. times.
    throw new PkiError(code, `${what} is not valid DER: ${(cause as Error).message}`, { cause });
  }
  if (parsed.offset === -1 || parsed.result.error) {
    throw new PkiError(code, `${what} is not valid DER: ${parsed.result.error || "bad encoding"}`);
  }
  if (parsed.offset !== bytes.byteLength) {
    throw new PkiError(code, `${what} has ${bytes.byteLength - parsed.offset} bytes after the DER object`);
  }
  const inconsistent = inconsistentLength(parsed.result);
  if (inconsistent) throw new PkiError(code, `${what} is not valid DER: ${inconsistent}`);
  return parsed.result;
}

/**
 * DER as X.690 10.1 and 8.1.3 have it: definite lengths in the fewest octets, and every
 * constructed value exactly as long as its length octets say; INTEGER and ENUMERATED have
 * at least one content octet (8.3.1). asn1js reads children past a too-short length and
 * accepts long-form lengths, so a changed length octet would otherwise still parse (and a
 * signed object whose unsigned wrapper changed still verify).
 */
function inconsistentLength(block: asn1js.AsnType): string | undefined {
  const { idBlock, lenBlock, valueBlock } = block as unknown as {
    idBlock: { isConstructed: boolean; tagClass: number; tagNumber: number };
    lenBlock: { isIndefiniteForm: boolean; longFormUsed: boolean; length: number; blockLength: number };
    valueBlock: { value?: unknown };
  };
  if (lenBlock.isIndefiniteForm) return "indefinite length (BER, not DER)";
  const minimal = lenBlock.length < 0x80 ? 1 : 1 + Math.ceil(Math.log2(lenBlock.length + 1) / 8);
  if (lenBlock.blockLength !== minimal) return `the length ${lenBlock.length} is not in its shortest form`;
  if (idBlock.tagClass === 1 && (idBlock.tagNumber === 2 || idBlock.tagNumber === 10) && lenBlock.length === 0)
    return "an INTEGER or ENUMERATED without content octets";
  if (!idBlock.isConstructed || !Array.isArray(valueBlock.value)) return undefined;
  const children = valueBlock.value as asn1js.AsnType[];
  const content = children.reduce((sum, child) => sum + child.blockLength, 0);
  if (content !== lenBlock.length)
    return `a constructed value declares ${lenBlock.length} content octets but holds ${content}`;
  for (const child of children) {
    const inner = inconsistentLength(child);
    if (inner) return inner;
  }
  return undefined;
}

export const hex = (bytes: ArrayBuffer | Uint8Array): string =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("hex");

export const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/**
 * One DER TLV (X.690 8.1): tag, definite length, contents. The OCSP responder assembles its
 * fixed-shape answers from these and from byte strings taken verbatim from the request,
 * because building them through pkijs objects cost more than signing them.
 */
export function derTlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((sum, part) => sum + part.byteLength, 0);
  const lengthBytes: number[] = [];
  if (length < 0x80) lengthBytes.push(length);
  else {
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest % 256);
    lengthBytes.unshift(0x80 | lengthBytes.length);
  }
  return Buffer.concat([Uint8Array.of(tag, ...lengthBytes), ...contents]);
}

/** GeneralizedTime in the DER form RFC 5280 4.1.2.5.2 requires: YYYYMMDDHHMMSSZ, no fraction. */
export const derGeneralizedTime = (date: Date): Uint8Array =>
  derTlv(0x18, Buffer.from(`${date.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`, "ascii"));

/**
 * An ECDSA signature value as RFC 5480 2.2.3 / RFC 3279 2.2.3 encode it: the DER
 * `SEQUENCE { r INTEGER, s INTEGER }`, both positive and in their fewest octets. WebCrypto
 * wants r‖s, and the conversion pkijs does reads any two values whatever their tags, so
 * without this check re-tagged encodings of a valid signature would verify.
 */
export function assertDerEcdsaSignature(bytes: Uint8Array, what: string, code: PkiErrorCode): void {
  const block = parseDerBlock(bytes, what, code);
  const children = block instanceof asn1js.Sequence ? block.valueBlock.value : [];
  const integers = children.filter((child): child is asn1js.Integer => child instanceof asn1js.Integer);
  const minimalPositive = (value: Uint8Array) =>
    value.length > 0 && (value[0]! & 0x80) === 0 && !(value[0] === 0 && value.length > 1 && (value[1]! & 0x80) === 0);
  if (
    block.idBlock.tagClass !== 1 ||
    block.idBlock.tagNumber !== 16 ||
    !block.idBlock.isConstructed ||
    children.length !== 2 ||
    integers.length !== 2 ||
    !integers.every(
      (integer) =>
        integer.idBlock.tagClass === 1 &&
        integer.idBlock.tagNumber === 2 && // asn1js's Enumerated is an Integer too
        !integer.idBlock.isConstructed &&
        minimalPositive(integer.valueBlock.valueHexView),
    )
  )
    throw new PkiError(code, `${what} is not a DER ECDSA signature (SEQUENCE of two positive INTEGERs)`);
}
