// A founder's signature on the application: an ASiC-E container (ETSI EN 319 162-1) with the
// application's canonical JSON as its one data file, validated with @riik/signature against the
// register's configured trust anchors (never anchors from the container).
import { createHash } from "node:crypto";
import { type CardFile, cardCertificate } from "@riik/pki";
import { documentSigners, readContainer, SignatureError, type ValidationOptions } from "@riik/signature";
import { BusinessRegisterError } from "../errors.ts";
import { APPLICATION_FILE } from "./application.ts";

export interface FounderSignature {
  personalCode: string;
  signingTime: string;
  containerSha256: string;
  /** The signing certificate (DER, base64): asked about again by OCSP at registration. */
  certificate: string;
  /** The CA certificates the signature carries (DER, base64): the path to a configured root. */
  caCertificates: string[];
}

/**
 * The signers of `container`, each a valid (B-LT or better, certificate good at signing time)
 * signature over exactly the application `document`. Refuses a container of another version
 * (SIGNED_OTHER_VERSION), an invalid or indeterminate signature, or a revoked or expired card
 * (SIGNATURE_INVALID with the validator's findings), and a signer who is not a founder or a
 * founding company's representative (SIGNER_NOT_FOUNDER).
 */
export async function founderSignatures(
  container: Uint8Array,
  document: string,
  founders: ReadonlySet<string>,
  trustAnchors: ValidationOptions["trustAnchors"],
): Promise<FounderSignature[]> {
  const { files } = openContainer(container);
  const [file, ...others] = files;
  if (!file || others.length > 0 || file.name !== APPLICATION_FILE)
    throw new BusinessRegisterError(
      "SIGNATURE_INVALID",
      `the container must hold exactly one data file, ${APPLICATION_FILE}`,
    );
  if (Buffer.from(file.data).toString("utf8") !== document)
    throw new BusinessRegisterError(
      "SIGNED_OTHER_VERSION",
      "the signed application differs from the current version of the application",
      { details: { signed: createHash("sha256").update(file.data).digest("hex") } },
    );
  const signatures = await validSignatures(container, trustAnchors);
  for (const signature of signatures)
    if (!founders.has(signature.personalCode))
      throw new BusinessRegisterError(
        "SIGNER_NOT_FOUNDER",
        `${signature.signerName} is not a founder of this company nor a founding company's representative`,
      );
  return signatures.map(({ signerName: _name, ...signature }) => signature);
}

/** The data files of an ASiC-E container, or SIGNATURE_INVALID when it is not one. */
export function openContainer(container: Uint8Array): {
  files: Array<{ name: string; data: Uint8Array }>;
  signatureFiles: Array<{ name: string; xml: Uint8Array }>;
} {
  try {
    const { dataFiles, signatures } = readContainer(container);
    return { files: dataFiles, signatureFiles: signatures };
  } catch (error) {
    if (error instanceof SignatureError)
      throw new BusinessRegisterError("SIGNATURE_INVALID", `not an ASiC-E container: ${error.message}`, {
        details: { reason: error.code },
      });
    throw error;
  }
}

/**
 * Every signature of `container`, validated with @riik/signature against the configured roots
 * only: all valid, or SIGNATURE_INVALID with the validator's findings; each signer a person
 * with a personal code, with the certificates a later OCSP check needs.
 */
export async function validSignatures(
  container: Uint8Array,
  trustAnchors: ValidationOptions["trustAnchors"],
): Promise<Array<FounderSignature & { signerName: string }>> {
  const { signatureFiles } = openContainer(container);
  let checked: Awaited<ReturnType<typeof documentSigners>>;
  try {
    checked = await documentSigners(container, trustAnchors);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    throw new BusinessRegisterError("SIGNATURE_INVALID", error.message, {
      details: { reason: error.code, ...error.details },
    });
  }
  const { report, signers } = checked;
  return signers.map(({ personalCode, signature }) => {
    const certificates = certificatesIn(signatureFiles.find((f) => f.name === signature.file)?.xml);
    const signer = certificates.find((c) => c.serialNumber.toLowerCase() === signature.signer?.certificateSerial);
    if (!signer)
      throw new BusinessRegisterError("SIGNATURE_INVALID", "the signature's signing certificate cannot be found");
    return {
      personalCode,
      signerName: signature.signer?.name ?? personalCode,
      signingTime: signature.signingTime ?? report.validatedAt,
      containerSha256: report.container.sha256,
      certificate: Buffer.from(signer.rawData).toString("base64"),
      caCertificates: certificates.filter((c) => c !== signer).map((c) => Buffer.from(c.rawData).toString("base64")),
    };
  });
}

/**
 * The certificates a XAdES signature carries (ds:X509Certificate in KeyInfo,
 * xades:EncapsulatedX509Certificate in CertificateValues), once the validator accepted it.
 */
function certificatesIn(xml: Uint8Array | undefined): Certificate[] {
  const found: Certificate[] = [];
  for (const match of Buffer.from(xml ?? [])
    .toString("utf8")
    .matchAll(/<(?:[\w-]+:)?(?:X509Certificate|EncapsulatedX509Certificate)\b[^>]*>([^<]+)</g)) {
    try {
      found.push(certificateOf(match[1]!.replace(/\s+/g, "")));
    } catch {
      // Not a certificate: the validator has already judged the signature; skip it.
    }
  }
  return found;
}

/** The certificate type of @riik/pki's one trust path (@peculiar/x509's). */
export type Certificate = ReturnType<typeof cardCertificate>;

/**
 * A certificate from its base64 DER. @riik/pki parses certificates for its callers only through
 * its card-file reader, so that is the parser used here (this package does not depend on
 * @peculiar/x509 itself).
 */
export function certificateOf(base64: string): Certificate {
  return cardCertificate({ signing: { certificate: base64 } } as CardFile, "signing");
}
