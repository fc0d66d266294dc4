import { X509Certificate as NodeCertificate, verify as verifySignature } from "node:crypto";
import * as x509 from "@peculiar/x509";
import {
  buildOcspRequest,
  type OcspCheck,
  ocspUrlOf,
  PathValidationError,
  PkiError,
  requestTimeStamp,
  type TimeStampVerification,
  validatePath,
  verifyOcspResponse,
  verifyTimeStampToken,
} from "@riik/pki";
import { type AsicContainer, type DataFile, nextSignatureFileName } from "./asic/container.ts";
import { SignatureError } from "./errors.ts";
import type { DigestAlgorithm, HashSigner } from "./signer/hash-signer.ts";
import { b64, digest, nodeHash, signatureUri } from "./xades/algorithms.ts";
import { C14N11, canonicalize } from "./xades/canonicalize.ts";
import {
  archiveTimeStamp,
  certificateValues,
  type ProductionPlace,
  revocationValues,
  SIGNED_PROPERTIES_TYPE,
  signatureTimeStamp,
} from "./xades/qualifying-properties.ts";
import {
  appendReference,
  appendUnsignedProperty,
  archiveTimeStampInput,
  fileNameOfUri,
  fileUri,
  newSignatureFile,
  parseSignatureFile,
} from "./xades/signature-xml.ts";
import { NS, parseXml, serializeXml } from "./xml.ts";

/**
 * Optional anchoring of a finished container's hash in the integrity ledger (or any
 * append-only log): the ledger client implements this; the receipt is kept beside the
 * container, since writing it inside would change the hash it proves.
 */
export interface ContainerAnchor {
  anchor(sha256: Uint8Array): Promise<{ reference: string }>;
}

/** Anchors the SHA-256 of the serialised container; returns the hex hash and the anchor's receipt. */
export async function anchorContainer(
  bytes: Uint8Array,
  anchor: ContainerAnchor,
): Promise<{ sha256: string; reference: string }> {
  const hash = digest("SHA-256", bytes);
  const { reference } = await anchor.anchor(hash);
  return { sha256: Buffer.from(hash).toString("hex"), reference };
}

export interface SignatureOptions {
  /** RFC 3161 time-stamping authority (SignatureTimeStamp and, for LTA, ArchiveTimeStamp). */
  tsaUrl: string;
  /** OCSP responder; default the signing certificate's AIA. */
  ocspUrl?: string;
  /** The signing certificate's issuer; default fetched from its AIA caIssuers. */
  issuer?: x509.X509Certificate;
  /** Roots the TSA must chain to; default the root reached through the signer's AIA chain. */
  trustAnchors?: x509.X509Certificate[];
  role?: string;
  productionPlace?: ProductionPlace;
  /** B-LT (default) or B-LTA, which adds an archive time-stamp over everything. */
  level?: "LT" | "LTA";
  /** Claimed signing time (the time-stamp's genTime is what counts); default now. */
  signingTime?: Date;
  timeoutMs?: number;
}

/** A signature waiting for its SignatureValue: the digest goes to the HashSigner (card, token, browser). */
export interface PendingSignature {
  readonly container: AsicContainer;
  readonly fileName: string;
  readonly id: string;
  readonly certificate: Uint8Array;
  readonly digestAlgorithm: DigestAlgorithm;
  /** Digest of the canonicalised ds:SignedInfo: what the key signs. */
  readonly digest: Uint8Array;
  readonly signedInfo: Uint8Array;
  /** The signature file as prepared, its SignatureValue still empty. */
  readonly xml: Uint8Array;
}

export interface SignatureResult {
  container: AsicContainer;
  signatureFile: string;
  signatureId: string;
  timeStamp: TimeStampVerification;
  ocsp: OcspCheck;
  level: "B-LT" | "B-LTA";
}

const DATA_DIGEST: DigestAlgorithm = "SHA-256";

/** The OCSP nonce riik sends: SHA-256 of the SignatureValue octets; validation checks it. */
export const ocspNonce = (signatureValue: Uint8Array): Uint8Array => digest("SHA-256", signatureValue);

/** A new, unsigned container from data files (EN 319 162-1 4.4: files at the top level). */
export function createContainer(files: readonly DataFile[]): AsicContainer {
  if (files.length === 0) throw new SignatureError("SIGN_NO_FILES", "a container needs at least one data file");
  return addDataFiles({ dataFiles: [], signatures: [] }, files);
}

/** Adds data files; refused once any signature exists, since every signature covers every file. */
export function addDataFiles(container: AsicContainer, files: readonly DataFile[]): AsicContainer {
  if (container.signatures.length > 0)
    throw new SignatureError(
      "SIGN_CONTAINER_SEALED",
      "files cannot be added to a signed container; every signature covers exactly the files it was made over",
    );
  const names = new Set(container.dataFiles.map((f) => f.name));
  for (const file of files) {
    if (names.has(file.name))
      throw new SignatureError("ASIC_DUPLICATE_NAME", `${file.name} is already in the container`);
    names.add(file.name);
  }
  return { dataFiles: [...container.dataFiles, ...files], signatures: [] };
}

/**
 * Step 1 of signing: builds SignedProperties and SignedInfo over every data file and returns
 * the digest to sign. A browser flow sends `digest` to Web eID and brings the signature back
 * to `completeSignature`; nothing else needs to leave the server.
 */
export function prepareSignature(
  container: AsicContainer,
  certificate: Uint8Array,
  options: Pick<SignatureOptions, "role" | "productionPlace" | "signingTime"> = {},
): PendingSignature {
  if (container.dataFiles.length === 0)
    throw new SignatureError("SIGN_NO_FILES", "the container has no data files to sign");
  const cert = parseCertificate(certificate);
  const keyType = cert.publicKey.algorithm.name === "ECDSA" ? "ec" : "rsa";
  const curve = (cert.publicKey.algorithm as EcKeyAlgorithm).namedCurve;
  const digestAlgorithm: DigestAlgorithm = keyType === "ec" && curve === "P-384" ? "SHA-384" : "SHA-256";
  checkSigningCertificate(cert);
  const fileName = nextSignatureFileName(container);
  const id = `S${/(\d+)\.xml$/.exec(fileName)![1]}`;
  const document = newSignatureFile({
    signatureMethodUri: signatureUri(keyType, digestAlgorithm),
    certificate,
    properties: {
      signatureId: id,
      signingTime: options.signingTime ?? new Date(),
      certificate,
      ...(options.role ? { role: options.role } : {}),
      ...(options.productionPlace ? { productionPlace: options.productionPlace } : {}),
      dataObjects: container.dataFiles.map((file, i) => ({ referenceId: `${id}-RefId${i}`, mimeType: file.mediaType })),
    },
  });
  for (const [i, file] of container.dataFiles.entries())
    appendReference(document, {
      id: `${id}-RefId${i}`,
      uri: fileUri(file.name),
      digestAlgorithm: DATA_DIGEST,
      digest: digest(DATA_DIGEST, file.data),
    });
  // The SignedProperties digest is taken over its canonical form in the file as a reader parses it.
  const draft = parseXml(serializeXml(document), fileName, "XADES_FORMAT");
  appendReference(document, {
    id: `${id}-RefId${container.dataFiles.length}`,
    uri: `#${id}-SignedProperties`,
    type: SIGNED_PROPERTIES_TYPE,
    transforms: [C14N11],
    digestAlgorithm: DATA_DIGEST,
    digest: digest(DATA_DIGEST, canonicalize(draft.getElementsByTagNameNS(NS.xades, "SignedProperties")[0]!, C14N11)),
  });
  const xml = serializeXml(document);
  const parsed = parseSignatureFile(xml, fileName);
  const signedInfo = canonicalize(parsed.signedInfo, parsed.canonicalization);
  return Object.freeze({
    container,
    fileName,
    id,
    certificate: new Uint8Array(certificate),
    digestAlgorithm,
    digest: digest(digestAlgorithm, signedInfo),
    signedInfo,
    xml,
  });
}

/**
 * Step 2: takes the SignatureValue, checks it against the certificate, and extends the
 * signature to B-LT (EN 319 132-1 6.3): a SignatureTimeStamp over the canonicalised
 * SignatureValue, then, after it, an OCSP response for the signing certificate, whose nonce
 * binds it to this SignatureValue, with the certificates needed to check both. LTA adds an
 * archive time-stamp over all of it.
 */
export async function completeSignature(
  pending: PendingSignature,
  signatureValue: Uint8Array,
  options: SignatureOptions,
): Promise<SignatureResult> {
  const cert = parseCertificate(pending.certificate);
  const key = new NodeCertificate(pending.certificate).publicKey;
  const ok = verifySignature(
    nodeHash(pending.digestAlgorithm),
    pending.signedInfo,
    { key, dsaEncoding: "ieee-p1363" },
    signatureValue,
  );
  if (!ok)
    throw new SignatureError(
      "SIGN_BAD_SIGNER",
      "the signature returned by the signer does not verify with its certificate (wrong key or wrong format: ECDSA must be r‖s)",
    );
  const { document, signatureValueElement } = parseSignatureFile(pending.xml, pending.fileName);
  signatureValueElement.appendChild(document.createTextNode(b64(signatureValue)));
  const { issuer, trustAnchors } = await signerChain(cert, options);

  // SignatureTimeStamp (EN 319 132-1 5.3): over the canonicalised ds:SignatureValue element.
  const withValue = parseSignatureFile(serializeXml(document), pending.fileName);
  const imprint = digest("SHA-256", canonicalize(withValue.signatureValueElement, C14N11));
  const timeStamp = await stamp(options.tsaUrl, imprint, trustAnchors, options.timeoutMs);

  // The OCSP response is requested after the time-stamp, so it proves status at signing time.
  const ocspUrl = options.ocspUrl ?? ocspUrlOf(cert);
  if (!ocspUrl)
    throw new SignatureError("SIGN_OCSP_FAILED", "the signing certificate names no OCSP responder; give one");
  // The nonce binds the response to this SignatureValue (RFC 8954 caps nonces at 32 octets).
  const nonce = ocspNonce(signatureValue);
  const ocsp = await queryOcsp(cert, issuer, ocspUrl, nonce, options.timeoutMs);
  if (ocsp.status.status === "revoked") {
    const hold = ocsp.status.reason === 6;
    throw new SignatureError(
      hold ? "SIGNER_SUSPENDED" : "SIGNER_REVOKED",
      `the signing certificate is ${hold ? "suspended" : "revoked"} since ${ocsp.status.revokedAt.toISOString()}; nothing was signed`,
    );
  }
  if (ocsp.status.status !== "good")
    throw new SignatureError("SIGNER_UNKNOWN", "the OCSP responder does not know the signing certificate");

  const certificates = [
    issuer,
    timeStamp.certificate,
    ...(ocsp.responder.rawData === issuer.rawData ? [] : [ocsp.responder]),
  ];
  const unique = new Map(
    certificates.map((c) => [Buffer.from(c.rawData).toString("base64"), new Uint8Array(c.rawData)]),
  );
  appendUnsignedProperty(document, signatureTimeStamp(document, pending.id, timeStampToken(timeStamp)));
  appendUnsignedProperty(document, certificateValues(document, pending.id, [...unique.values()]));
  appendUnsignedProperty(document, revocationValues(document, pending.id, [ocsp.response]));

  if (options.level === "LTA") {
    const lt = parseSignatureFile(serializeXml(document), pending.fileName);
    const files = new Map(pending.container.dataFiles.map((f) => [f.name, f.data]));
    const input = archiveTimeStampInput(lt, (uri) => files.get(fileNameOfUri(uri)), undefined, C14N11);
    const archive = await stamp(options.tsaUrl, digest("SHA-256", input), trustAnchors, options.timeoutMs);
    appendUnsignedProperty(document, archiveTimeStamp(document, pending.id, 0, timeStampToken(archive)));
  }
  const xml = serializeXml(document);
  return {
    container: {
      dataFiles: pending.container.dataFiles,
      signatures: [...pending.container.signatures, { name: pending.fileName, xml }],
    },
    signatureFile: pending.fileName,
    signatureId: pending.id,
    timeStamp,
    ocsp,
    level: options.level === "LTA" ? "B-LTA" : "B-LT",
  };
}

/** Prepare, sign the digest with `signer`, complete: one signature added to the container. */
export async function signContainer(
  container: AsicContainer,
  signer: HashSigner,
  options: SignatureOptions,
): Promise<SignatureResult> {
  const pending = prepareSignature(container, signer.certificate, options);
  const value = await signer.sign(pending.digest, pending.digestAlgorithm);
  return completeSignature(pending, value, options);
}

const tokens = new WeakMap<TimeStampVerification, Uint8Array>();
const timeStampToken = (verification: TimeStampVerification): Uint8Array => tokens.get(verification)!;

async function stamp(
  url: string,
  imprint: Uint8Array,
  trustAnchors: x509.X509Certificate[],
  timeoutMs?: number,
): Promise<TimeStampVerification> {
  try {
    const { token, nonce } = await requestTimeStamp(url, imprint, "SHA-256", { ...(timeoutMs ? { timeoutMs } : {}) });
    const verification = await verifyTimeStampToken(token, { imprint, trustAnchors, nonce });
    tokens.set(verification, token);
    return verification;
  } catch (cause) {
    if (cause instanceof PkiError)
      throw new SignatureError("SIGN_TSA_FAILED", `time-stamping failed: ${cause.message}`, { cause });
    throw cause;
  }
}

async function queryOcsp(
  cert: x509.X509Certificate,
  issuer: x509.X509Certificate,
  url: string,
  nonce: Uint8Array,
  timeoutMs = 10_000,
): Promise<OcspCheck> {
  let body: Uint8Array;
  try {
    const reply = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/ocsp-request", accept: "application/ocsp-response" },
      body: buildOcspRequest(cert, issuer, nonce) as BodyInit,
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = new Uint8Array(await reply.arrayBuffer());
    return await verifyOcspResponse(body, cert, issuer, { nonce });
  } catch (cause) {
    throw new SignatureError("SIGN_OCSP_FAILED", `the OCSP check at ${url} failed: ${(cause as Error).message}`, {
      cause,
    });
  }
}

function checkSigningCertificate(cert: x509.X509Certificate): void {
  const now = new Date();
  if (cert.notBefore > now || cert.notAfter < now)
    throw new SignatureError(
      "SIGNER_CERTIFICATE",
      `the signing certificate is valid only ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`,
    );
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  if (!usage || !(usage.usages & x509.KeyUsageFlags.nonRepudiation))
    throw new SignatureError(
      "SIGNER_CERTIFICATE",
      "the certificate lacks the nonRepudiation key usage: it is not a signing certificate (use PIN2's key, not PIN1's)",
    );
}

export function parseCertificate(der: Uint8Array): x509.X509Certificate {
  try {
    return new x509.X509Certificate(der as BufferSource);
  } catch (cause) {
    throw new SignatureError("SIGNER_CERTIFICATE", "the signing certificate is not a DER X.509 certificate", { cause });
  }
}

/** caIssuers URLs followed at most, so a loop of them ends. */
const MAX_CA_ISSUERS_HOPS = 5;

/**
 * The signing certificate's issuer and the roots the TSA must chain to: those given, or
 * fetched through caIssuers URLs (RFC 5280 4.2.2.1) up to a self-issued root. Whatever was
 * fetched must form a path validatePath accepts now: to the fetched root, or, when the roots
 * were given (they are the TSA's), to the fetched issuer.
 */
async function signerChain(
  cert: x509.X509Certificate,
  options: SignatureOptions,
): Promise<{ issuer: x509.X509Certificate; trustAnchors: x509.X509Certificate[] }> {
  if (options.issuer && options.trustAnchors) return { issuer: options.issuer, trustAnchors: options.trustAnchors };
  const issuer = options.issuer ?? (await fetchIssuer(cert, options.timeoutMs));
  const above: x509.X509Certificate[] = [];
  let top = issuer;
  while (!options.trustAnchors && above.length < MAX_CA_ISSUERS_HOPS && top.subject !== top.issuer) {
    top = await fetchIssuer(top, options.timeoutMs);
    above.push(top);
  }
  const trustAnchors = options.trustAnchors ?? [above.at(-1) ?? issuer];
  try {
    await validatePath(cert, {
      anchors: options.trustAnchors ? [issuer] : trustAnchors,
      intermediates: [issuer, ...above],
      at: new Date(),
    });
  } catch (cause) {
    if (!(cause instanceof PathValidationError)) throw cause;
    throw new SignatureError(
      "SIGNER_CERTIFICATE",
      `the CA certificates fetched for ${cert.subject} do not form a valid path: ${cause.message}`,
      { cause },
    );
  }
  return { issuer, trustAnchors };
}

/** The certificate served at a certificate's caIssuers URL (RFC 5280 4.2.2.1). */
async function fetchIssuer(cert: x509.X509Certificate, timeoutMs = 10_000): Promise<x509.X509Certificate> {
  const aia = cert.getExtension(x509.AuthorityInfoAccessExtension);
  const url = aia?.caIssuers.find((n) => n.type === "url")?.value;
  if (!url) throw new SignatureError("SIGNER_CERTIFICATE", `${cert.subject} names no caIssuers URL; give its issuer`);
  try {
    const reply = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return new x509.X509Certificate(new Uint8Array(await reply.arrayBuffer()));
  } catch (cause) {
    throw new SignatureError(
      "SIGNER_CERTIFICATE",
      `cannot fetch the issuer of ${cert.subject} from ${url}: ${(cause as Error).message}`,
      { cause },
    );
  }
}
