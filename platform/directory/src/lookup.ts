import { parsePersonalCode } from "@riik/core";
import { Client } from "ldapts";
import { DirectoryError } from "./errors.ts";
import { BASE_DN, semanticsIdentifier } from "./tree.ts";

export interface DirectoryCertificate {
  dn: string;
  cn: string;
  /** The authentication certificate, DER. */
  der: Uint8Array;
}

/**
 * The personal code from "38001085718", "EE38001085718" or "PNOEE-38001085718", checked
 * (check digit included) before it goes near a filter: only eleven digits reach RFC 4515.
 */
export function personalCodeOf(input: string): string {
  const bare = String(input)
    .replace(/^PNOEE-/i, "")
    .replace(/^EE/i, "");
  if (!/^[0-9]{11}$/.test(bare))
    throw new DirectoryError("DIRECTORY_BAD_CODE", `${JSON.stringify(input)} is not an Estonian personal code`);
  try {
    return parsePersonalCode(bare).code;
  } catch (cause) {
    throw new DirectoryError("DIRECTORY_BAD_CODE", `${JSON.stringify(input)} is not a valid personal code`, { cause });
  }
}

/** Every authentication certificate the directory at URL holds for PERSONALCODE (anonymous search). */
export async function lookupAuthenticationCertificates(
  url: string,
  personalCode: string,
): Promise<DirectoryCertificate[]> {
  const code = personalCodeOf(personalCode);
  const client = new Client({ url, timeout: 10_000, connectTimeout: 5_000 });
  try {
    const { searchEntries } = await client.search(BASE_DN, {
      scope: "sub",
      filter: `(serialNumber=${semanticsIdentifier(code)})`,
      attributes: ["cn", "userCertificate;binary"],
      explicitBufferAttributes: ["userCertificate;binary", "userCertificate"],
    });
    return searchEntries.flatMap((entry) => {
      const value = entry["userCertificate;binary"] ?? entry.userCertificate;
      const ders = (Array.isArray(value) ? value : [value]).filter((v): v is Buffer => Buffer.isBuffer(v));
      const cn = Array.isArray(entry.cn) ? String(entry.cn[0]) : String(entry.cn ?? "");
      return ders.map((der) => ({ dn: entry.dn, cn, der: new Uint8Array(der) }));
    });
  } catch (cause) {
    throw new DirectoryError("DIRECTORY_UNAVAILABLE", `the directory at ${url} did not answer the search`, { cause });
  } finally {
    await client.unbind().catch(() => {});
  }
}

export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${b64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}
