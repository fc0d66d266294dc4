// "Encrypt for a person" (issue #20): the recipients' ID card keys, as DigiDoc finds them. The
// certificate directory is asked for the person's authentication certificates; each is used only
// if it is on a valid path to a trusted identity-document CA now and names that person
// (serialNumber PNOEE-<code>, ETSI EN 319 412-1 5.1.3) — the directory is where the key is
// found, not why it is trusted. The page encrypts with the keys; no file reaches the portal.
import * as x509 from "@peculiar/x509";
import { certificateRecipient, tlsPoint } from "@riik/cdoc";
import { PathValidationError, readCertificate, validatePath } from "@riik/pki";
import { signerInfo } from "@riik/signature";
import type { EncryptionConfig } from "../config/portal-config.ts";
import { PortalError } from "../errors.ts";
import type { EncryptionRecipient, EncryptionRecipientsResponse } from "../web/api-types.ts";

const LOOKUP_TIMEOUT_MS = 10_000;
/** More certificates than a person has cards is not an answer to trust. */
const MAX_CERTIFICATES = 16;

export class EncryptionRecipients {
  readonly #directoryUrl: string;
  readonly #trustedCas: x509.X509Certificate[];

  constructor(
    /** Also the per-person bounds of lookups and sends. */
    readonly config: EncryptionConfig,
    trustedCaFiles: readonly string[],
  ) {
    this.#directoryUrl = config.directoryUrl.replace(/\/+$/, "");
    this.#trustedCas = trustedCaFiles.map((file) => readCertificate(file));
  }

  /** The person's ID card keys to encrypt for; PORTAL_NO_RECIPIENT when none is valid. */
  async lookup(personalCode: string): Promise<EncryptionRecipientsResponse> {
    const recipients: EncryptionRecipient[] = [];
    for (const der of await this.#certificates(personalCode)) {
      const recipient = await this.#recipient(der, personalCode);
      if (recipient) recipients.push(recipient);
    }
    if (recipients.length === 0)
      throw new PortalError(
        "PORTAL_NO_RECIPIENT",
        `${personalCode} has no valid ID card in the certificate directory (none issued, or suspended or revoked)`,
        { details: { personalCode } },
      );
    return { personalCode, recipients };
  }

  async #certificates(personalCode: string): Promise<Uint8Array<ArrayBuffer>[]> {
    const url = `${this.#directoryUrl}/certificates?code=${encodeURIComponent(personalCode)}`;
    let body: unknown;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch (cause) {
      throw new PortalError("PORTAL_UNAVAILABLE", "the certificate directory did not answer; try again shortly", {
        cause,
        details: { service: "directory" },
      });
    }
    const list = (body as { certificates?: unknown })?.certificates;
    if (!Array.isArray(list) || list.length > MAX_CERTIFICATES || list.some((c) => typeof c?.der !== "string"))
      throw new PortalError(
        "PORTAL_BAD_RESPONSE",
        "the certificate directory answered something else than certificates",
      );
    return list.map((c: { der: string }) => new Uint8Array(Buffer.from(c.der, "base64")));
  }

  /** The certificate as a recipient, or undefined when it is not one to encrypt for. */
  async #recipient(der: Uint8Array<ArrayBuffer>, personalCode: string): Promise<EncryptionRecipient | undefined> {
    let certificate: x509.X509Certificate;
    try {
      certificate = new x509.X509Certificate(der);
    } catch {
      return undefined; // not a certificate: nothing to encrypt for
    }
    try {
      await validatePath(certificate, { anchors: this.#trustedCas, at: new Date() });
    } catch (cause) {
      if (cause instanceof PathValidationError) return undefined;
      throw cause;
    }
    if (signerInfo(der).personalCode !== personalCode) return undefined;
    const cn = certificate.subjectName.getField("CN")[0] ?? certificate.subject;
    const { key, keyLabel } = certificateRecipient(certificate, `${cn}.cer`);
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "secp384r1") return undefined;
    return {
      name: cn,
      keyLabel,
      publicKey: tlsPoint(key).toString("base64"),
      validUntil: certificate.notAfter.toISOString(),
    };
  }
}
