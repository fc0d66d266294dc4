import { randomBytes } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { KeyAlgorithm } from "../algorithms.ts";
import type { SigningKey } from "../keystore/signing-key.ts";
import type { CertificateRegistry } from "../registry/certificate-registry.ts";
import { normaliseSerial } from "../registry/certificate-registry.ts";
import { type CertificatePurpose, profileExtensions } from "./profiles.ts";

const DAY = 24 * 60 * 60 * 1000;

export interface IssueRequest {
  purpose: CertificatePurpose;
  subject: x509.JsonName;
  publicKey: CryptoKey;
  validityDays: number;
  personalCode?: string;
  documentNumber?: string;
  eResident?: boolean;
  altNames?: ReadonlyArray<{ type: "dns" | "ip"; value: string }>;
  actor: string;
}

/** RFC 5280 4.1.2.2: positive, at most 20 octets; 16 random octets as CA/B BR 7.1 asks. */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString("hex");
}

/** An issuing CA: its certificate, its signing key (from the key store), and the registry. */
export class CertificateAuthority {
  constructor(
    readonly name: string,
    readonly certificate: x509.X509Certificate,
    readonly keys: SigningKey,
    readonly baseUrl: string,
    readonly registry: CertificateRegistry,
  ) {}

  get algorithm(): KeyAlgorithm {
    return this.keys.algorithm;
  }

  async issue(request: IssueRequest): Promise<x509.X509Certificate> {
    const now = Date.now();
    // A few minutes back-dated so that relying parties with a slow clock accept it at once.
    const notBefore = new Date(now - 5 * 60 * 1000);
    const notAfter = new Date(Math.min(now + request.validityDays * DAY, this.certificate.notAfter.getTime()));
    const certificate = await this.keys.certificate({
      serialNumber: randomSerial(),
      subject: new x509.Name(request.subject).toString(),
      issuer: this.certificate.subject,
      notBefore,
      notAfter,
      publicKey: request.publicKey,
      extensions: await profileExtensions(request.purpose, {
        subjectKey: request.publicKey,
        issuer: this.certificate,
        issuerName: this.name,
        baseUrl: this.baseUrl,
        ...(request.eResident ? { eResident: true } : {}),
        ...(request.altNames ? { altNames: request.altNames } : {}),
      }),
    });
    await this.registry.record(
      {
        issuer: this.name,
        serial: normaliseSerial(certificate.serialNumber),
        purpose: request.purpose,
        subject: certificate.subject,
        personal_code: request.personalCode ?? null,
        document_number: request.documentNumber ?? null,
        not_before: certificate.notBefore.toISOString(),
        not_after: certificate.notAfter.toISOString(),
        issued_at: new Date(now).toISOString(),
        der: new Uint8Array(certificate.rawData),
      },
      request.actor,
    );
    return certificate;
  }
}
