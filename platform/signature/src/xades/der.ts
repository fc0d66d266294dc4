/** Just enough DER (X.690 8.1) to lift the issuer Name and serial out of a certificate. */
interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(bytes: Uint8Array, at: number): Tlv {
  const tag = bytes[at];
  let length = bytes[at + 1];
  if (tag === undefined || length === undefined) throw new Error("truncated DER");
  let contentStart = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error("unsupported DER length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > bytes.length) throw new Error("truncated DER");
  return { tag, start: at, contentStart, end };
}

function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(bytes, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export const tlv = (tag: number, ...content: Uint8Array[]): Uint8Array => {
  const body = Buffer.concat(content);
  return Buffer.concat([Uint8Array.of(tag), encodeLength(body.length), body]);
};

/** The DER issuer Name and serial INTEGER of a certificate (RFC 5280 4.1). */
export function issuerAndSerial(certificate: Uint8Array): { issuer: Uint8Array; serial: Uint8Array } {
  const cert = readTlv(certificate, 0);
  const tbs = children(certificate, cert)[0]!;
  const fields = children(certificate, tbs);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = fields[offset]!;
  const issuer = fields[offset + 2]!;
  return {
    issuer: certificate.slice(issuer.start, issuer.end),
    serial: certificate.slice(serial.start, serial.end),
  };
}

/** RFC 5035 IssuerSerial: SEQUENCE { issuer GeneralNames { [4] directoryName }, serialNumber } (XAdES IssuerSerialV2). */
export function issuerSerialV2(certificate: Uint8Array): Uint8Array {
  const { issuer, serial } = issuerAndSerial(certificate);
  return tlv(0x30, tlv(0x30, tlv(0xa4, issuer)), serial);
}
