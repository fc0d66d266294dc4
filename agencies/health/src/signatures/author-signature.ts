// An author's signature on a resource: an ASiC-E container (ETSI EN 319 162-1) whose one data
// file is the resource as stored, without its meta, in RFC 8785 canonical JSON — the prescriber's
// on a prescription, the doctor's on a visit summary. Verified against the configured trust
// anchors only, never against anything the container carries.
import { createHash } from "node:crypto";
import type { Attachment } from "@medplum/fhirtypes";
import { canonicalJson } from "@riik/core";
import { readContainer, SignatureError, type ValidationOptions, validateContainer } from "@riik/signature";
import { HealthError } from "../errors.ts";
import type { StoredResource } from "../fhir/resources.ts";

export const ASIC_E = "application/vnd.etsi.asic-e+zip";

/** The name of the one data file a signed resource's container holds: `TYPE-ID.json`. */
export const signedFileName = (id: string, type = "MedicationRequest") => `${type}-${id}.json`;

/** What the author signs: the stored resource without its meta (RFC 8785 canonical JSON). */
export function signedDocument(resource: StoredResource): string {
  const { meta: _meta, ...content } = resource;
  return canonicalJson(content);
}

/**
 * Verifies CONTAINER as SIGNER's signature of RESOURCE: exactly one data file, the resource as
 * stored, a signature valid against TRUST_ANCHORS, every signer SIGNER (their personal code in
 * the certificate). A container that is not one is SIGNATURE_INVALID; another signer is NOT_SIGNER.
 */
export async function verifyAuthorSignature(
  container: Uint8Array,
  resource: StoredResource,
  signer: string | undefined,
  trustAnchors: ValidationOptions["trustAnchors"],
  notSigner: HealthError,
): Promise<void> {
  let files: Array<{ name: string; data: Uint8Array }>;
  try {
    files = readContainer(container).dataFiles;
  } catch (error) {
    if (error instanceof SignatureError)
      throw new HealthError("SIGNATURE_INVALID", `not an ASiC-E container: ${error.message}`, {
        details: { reason: error.code },
      });
    throw error;
  }
  const name = signedFileName(resource.id, resource.resourceType);
  const [file, ...others] = files;
  if (
    !file ||
    others.length > 0 ||
    file.name !== name ||
    Buffer.from(file.data).toString("utf8") !== signedDocument(resource)
  )
    throw new HealthError(
      "SIGNATURE_INVALID",
      `the container must hold exactly ${name}, the ${resource.resourceType} as stored`,
    );
  const report = await validateContainer(container, { trustAnchors });
  if (report.verdict !== "valid" || report.signatures.length === 0)
    throw new HealthError(
      "SIGNATURE_INVALID",
      `the signature is ${report.signatures.length === 0 ? "missing" : report.verdict}`,
      {
        details: { findings: [...new Set(report.signatures.flatMap((s) => s.findings.map((f) => f.code)))] },
      },
    );
  if (!signer || report.signatures.some((s) => s.signer?.personalCode !== signer)) throw notSigner;
}

/**
 * An attachment's bytes: canonical base64 (FHIR base64Binary), and when it states `hash`, the
 * SHA-1 of the bytes (FHIR R4 Attachment.hash) must be it.
 */
export function attachmentBytes(attachment: Attachment, expression: string): Uint8Array {
  const data = attachment.data ?? "";
  const bytes = Buffer.from(data, "base64");
  if (data.length === 0 || bytes.toString("base64") !== data)
    throw new HealthError("RESOURCE_INVALID", `${expression}.data must be the document, base64`, {
      details: { expression: [`${expression}.data`] },
    });
  if (attachment.hash !== undefined && attachment.hash !== createHash("sha1").update(bytes).digest("base64"))
    throw new HealthError("SIGNATURE_INVALID", `${expression}.hash is not the SHA-1 of the data`, {
      details: { expression: [`${expression}.hash`] },
    });
  return bytes;
}
