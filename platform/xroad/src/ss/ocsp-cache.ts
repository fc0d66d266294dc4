import type { X509Certificate } from "node:crypto";
import { checkOcsp, ocspUrlOf } from "@riik/pki";
import { peculiar, trustedPath } from "../crypto/trust-path.ts";
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
      const path = await trustedPath(certificate, issuers, new Date(checkedAt));
      if (!path.ok)
        return {
          status: "error",
          message:
            path.reason === "EXPIRED" || path.reason === "NOT_YET_VALID"
              ? `not valid now: ${path.message}`
              : "not issued by a server CA of the global configuration",
          checkedAt,
        };
      const issuer = path.anchor;
      const cert = peculiar(certificate);
      const url = ocspUrlOf(cert);
      if (!url) return { status: "error", message: "the certificate names no OCSP responder", checkedAt };
      try {
        const check = await checkOcsp(cert, peculiar(issuer), url, {
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
