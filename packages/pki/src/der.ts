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
  return parsed.result;
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
