import type { X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { checkOcsp, ocspUrlOf } from "@riik/pki";
import { certificateHash } from "../globalconf/document.ts";

export interface CertificateStatus {
  status: "good" | "revoked" | "unknown" | "error";
  message: string;
  checkedAt: number;
  /** The DER OCSP response, kept with logged messages as evidence. */
  response?: Uint8Array;
}

/**
 * OCSP answers for the certificates of other security servers (authentication and
 * signing), cached within the freshness the global configuration allows. An answer older
 * than 80% of that is refreshed in the background while the cached one is still used.
 */
export class OcspCache {
  readonly #entries = new Map<string, CertificateStatus>();
  readonly #pending = new Map<string, Promise<CertificateStatus>>();
  freshnessMs = 60_000;

  /** The cached status, if fresh; never waits. */
  peek(hash: string): CertificateStatus | undefined {
    const entry = this.#entries.get(hash);
    return entry && Date.now() - entry.checkedAt < this.freshnessMs ? entry : undefined;
  }

  async status(certificate: X509Certificate, issuers: readonly X509Certificate[]): Promise<CertificateStatus> {
    const hash = certificateHash(certificate);
    const entry = this.#entries.get(hash);
    const age = entry ? Date.now() - entry.checkedAt : Number.POSITIVE_INFINITY;
    if (entry && entry.status !== "error" && age < this.freshnessMs) {
      if (age > this.freshnessMs * 0.8) void this.#fetch(hash, certificate, issuers);
      return entry;
    }
    return this.#fetch(hash, certificate, issuers);
  }

  #fetch(hash: string, certificate: X509Certificate, issuers: readonly X509Certificate[]): Promise<CertificateStatus> {
    const inFlight = this.#pending.get(hash);
    if (inFlight) return inFlight;
    const work = (async (): Promise<CertificateStatus> => {
      const checkedAt = Date.now();
      const issuer = issuers.find((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey));
      if (!issuer)
        return { status: "error", message: "not issued by a server CA of the global configuration", checkedAt };
      const cert = new x509.X509Certificate(new Uint8Array(certificate.raw));
      const url = ocspUrlOf(cert);
      if (!url) return { status: "error", message: "the certificate names no OCSP responder", checkedAt };
      try {
        const check = await checkOcsp(cert, new x509.X509Certificate(new Uint8Array(issuer.raw)), url, {
          timeoutMs: 5000,
        });
        const status = check.status.status;
        return {
          status,
          message:
            status === "good"
              ? "good"
              : `OCSP says ${status}${check.status.status === "revoked" && check.status.reason === 6 ? " (suspended, certificateHold)" : ""}`,
          checkedAt,
          response: check.response,
        };
      } catch (error) {
        return { status: "error", message: `OCSP check failed: ${(error as Error).message}`, checkedAt };
      }
    })();
    this.#pending.set(hash, work);
    return work.then((result) => {
      this.#pending.delete(hash);
      this.#entries.set(hash, result);
      return result;
    });
  }

  clear(): void {
    this.#entries.clear();
  }
}
