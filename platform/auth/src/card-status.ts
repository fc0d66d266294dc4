import type * as x509 from "@peculiar/x509";
import { checkOcsp, type OcspStatusChecker, ocspUrlOf, validatePath } from "@riik/pki";

/** Whether the certificate a person logged in with is still good (not revoked, not suspended). */
export type CardStatus = (certificate: x509.X509Certificate) => Promise<boolean>;

/**
 * Issue 12: a session ends when the person's card is suspended or revoked. The login
 * certificate (card or app) is asked about again, through the one trust path and OCSP
 * (RFC 6960), whenever the session is used for new tokens; any doubt (no path, no answer)
 * counts as not good, so the session ends rather than outlives its card (fail closed).
 */
export function cardStatusChecker(options: {
  trustedCas: readonly x509.X509Certificate[];
  ocsp: "required" | "off" | OcspStatusChecker;
  ocspUrl?: string;
}): CardStatus {
  return async (certificate) => {
    if (options.ocsp === "off") return true;
    try {
      const { anchor } = await validatePath(certificate, { anchors: options.trustedCas, at: new Date() });
      if (typeof options.ocsp === "function") {
        const answer = await options.ocsp(certificate, anchor);
        return ("producedAt" in answer ? answer.status : answer).status === "good";
      }
      const url = options.ocspUrl ?? ocspUrlOf(certificate);
      if (!url) return false;
      return (await checkOcsp(certificate, anchor, url, { timeoutMs: 5_000 })).status.status === "good";
    } catch {
      return false;
    }
  };
}
