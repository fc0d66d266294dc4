// A founder's signature on the application: an ASiC-E container (ETSI EN 319 162-1) with the
// application's canonical JSON as its one data file, validated with @riik/signature against the
// register's configured trust anchors (never anchors from the container).
import { createHash } from "node:crypto";
import { readContainer, SignatureError, type ValidationOptions, validateContainer } from "@riik/signature";
import { BusinessRegisterError } from "../errors.ts";
import { APPLICATION_FILE } from "./application.ts";

export interface FounderSignature {
  personalCode: string;
  signingTime: string;
  containerSha256: string;
}

/**
 * The signers of `container`, each a valid (B-LT or better, certificate good at signing time)
 * signature over exactly the application `document`. Refuses a container of another version
 * (SIGNED_OTHER_VERSION), an invalid or indeterminate signature, or a revoked or expired card
 * (SIGNATURE_INVALID with the validator's findings), and a signer who is not a founder
 * (SIGNER_NOT_FOUNDER).
 */
export async function founderSignatures(
  container: Uint8Array,
  document: string,
  founders: ReadonlySet<string>,
  trustAnchors: ValidationOptions["trustAnchors"],
): Promise<FounderSignature[]> {
  let files: Array<{ name: string; data: Uint8Array }>;
  try {
    files = readContainer(container).dataFiles;
  } catch (error) {
    if (error instanceof SignatureError)
      throw new BusinessRegisterError("SIGNATURE_INVALID", `not an ASiC-E container: ${error.message}`, {
        details: { reason: error.code },
      });
    throw error;
  }
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
  const report = await validateContainer(container, { trustAnchors });
  const findings = [...report.container.findings, ...report.signatures.flatMap((s) => s.findings)]
    .filter((f) => f.severity !== "warning")
    .map((f) => f.code);
  if (report.verdict !== "valid" || report.signatures.length === 0)
    throw new BusinessRegisterError(
      "SIGNATURE_INVALID",
      `the container's signatures are ${report.signatures.length === 0 ? "missing" : report.verdict}`,
      { details: { findings: [...new Set(findings)] } },
    );
  const containerSha256 = report.container.sha256;
  return report.signatures.map((signature) => {
    const code = signature.signer?.personalCode;
    if (!code || !founders.has(code))
      throw new BusinessRegisterError(
        "SIGNER_NOT_FOUNDER",
        `${signature.signer?.name ?? "the signer"} is not a founder of this company`,
      );
    return { personalCode: code, signingTime: signature.signingTime ?? report.validatedAt, containerSha256 };
  });
}
