import { X509Certificate } from "@peculiar/x509";
import { readCertificate, validatePath } from "@riik/pki";
import {
  type AsicContainer,
  completeSignature,
  createContainer,
  DEFAULT_ZIP_LIMITS,
  prepareSignature,
  readContainer,
  type ValidationReport,
  validateContainer,
  writeContainer,
  type ZipLimits,
} from "@riik/signature";
import { PortalError } from "../errors.ts";
import type { SessionPerson } from "../session/session-store.ts";
import { checkSignerCertificate } from "./signer-certificate.ts";
import { SigningStore } from "./signing-store.ts";
import { containerName, fromBase64, parsePrepareRequest } from "./upload.ts";

/** What the browser signs: the canonicalised ds:SignedInfo, with the hash its key uses. */
export interface PrepareResponse {
  id: string;
  /** The hash of the signature algorithm (SHA-384 for P-384 cards). */
  digestAlgorithm: "SHA-256" | "SHA-384" | "SHA-512";
  /** base64 of the canonicalised SignedInfo: WebCrypto hashes and signs these octets. */
  dataToSign: string;
  /** base64 of digestAlgorithm(dataToSign): what a card that signs digests would get. */
  digest: string;
  containerName: string;
  files: Array<{ name: string; mediaType: string; size: number }>;
  /** Signatures the container already holds (a co-signature adds one). */
  existingSignatures: number;
  /** How long the server keeps the prepared signature. */
  expiresInSeconds: number;
}

export interface FinishResponse {
  download: { id: string; name: string; size: number; href: string };
  /** The validation of the finished container, as "Check a container" shows it. */
  report: ValidationReport;
}

export interface SigningServiceOptions {
  tsaUrl: string;
  ocspUrl?: string;
  level: "LT" | "LTA";
  trustAnchorFiles: readonly string[];
  trustedCaFiles: readonly string[];
  maxUploadBytes: number;
  store?: SigningStore;
  timeoutMs?: number;
}

const PENDING_SECONDS = 300;
const MAX_SIGNATURE_VALUE = 1024;

/**
 * Signing in two steps for a browser that holds the key (ETSI EN 319 132-1 B-LT, riik's
 * @riik/signature): `prepare` builds the signature over the uploaded files (or adds one to an
 * uploaded container) for the person's own signing certificate and keeps it in the session;
 * the browser signs the canonical SignedInfo; `finish` checks that value against the
 * certificate, time-stamps it, adds the OCSP response and keeps the container for download.
 * Only the server's copy of a pending signature is ever used.
 */
export class SigningService {
  readonly store: SigningStore;
  readonly #options: SigningServiceOptions;
  readonly #trustAnchors: ReturnType<typeof readCertificate>[];
  readonly #trustedCas: ReturnType<typeof readCertificate>[];
  readonly #limits: ZipLimits;

  constructor(options: SigningServiceOptions) {
    this.#options = options;
    this.store = options.store ?? new SigningStore({ pendingMs: PENDING_SECONDS * 1000 });
    this.#trustAnchors = options.trustAnchorFiles.map((file) => readCertificate(file));
    this.#trustedCas = options.trustedCaFiles.map((file) => readCertificate(file));
    // A container may inflate to a few times the upload limit, never to the library's 512 MiB.
    const inflated = Math.min(DEFAULT_ZIP_LIMITS.maxTotalBytes, options.maxUploadBytes * 8);
    this.#limits = { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: inflated, maxTotalBytes: inflated };
  }

  get maxUploadBytes(): number {
    return this.#options.maxUploadBytes;
  }

  async prepare(sessionId: string, person: SessionPerson, body: unknown): Promise<PrepareResponse> {
    const request = parsePrepareRequest(body, this.#options.maxUploadBytes);
    const { der } = await checkSignerCertificate(request.certificate, person, this.#trustedCas);
    let container: AsicContainer;
    let name: string;
    if (request.container) {
      container = readContainer(request.container.data, this.#limits);
      name = request.container.name;
    } else {
      const files = request.files ?? [];
      container = createContainer(files);
      name = containerName(files[0]?.name ?? "");
    }
    const pending = prepareSignature(container, der);
    const id = this.store.put(sessionId, person.personalCode, { kind: "pending", pending, containerName: name });
    return {
      id,
      digestAlgorithm: pending.digestAlgorithm,
      dataToSign: Buffer.from(pending.signedInfo).toString("base64"),
      digest: Buffer.from(pending.digest).toString("base64"),
      containerName: name,
      files: container.dataFiles.map((f) => ({ name: f.name, mediaType: f.mediaType, size: f.data.byteLength })),
      existingSignatures: container.signatures.length,
      expiresInSeconds: PENDING_SECONDS,
    };
  }

  async finish(sessionId: string, person: SessionPerson, body: unknown): Promise<FinishResponse> {
    const raw = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    const id = typeof raw.id === "string" ? raw.id : "";
    const value = fromBase64(raw.signatureValue);
    if (!id || !value || value.byteLength === 0 || value.byteLength > MAX_SIGNATURE_VALUE)
      throw new PortalError("PORTAL_INPUT", "give the id of the prepared signature and signatureValue (base64)", {
        details: { fields: [...(id ? [] : ["id"]), ...(value ? [] : ["signatureValue"])] },
      });
    // Taken out at once: a prepared signature is completed at most once, whatever the outcome.
    const entry = this.store.take(sessionId, id);
    if (!entry)
      throw new PortalError(
        "PORTAL_SIGNATURE_UNKNOWN",
        "no such signature is waiting in this session (expired, finished, or never prepared)",
      );
    // The issuer for the OCSP request: the next certificate on the signer's path (checked at prepare).
    const issuer = await validatePath(new X509Certificate(new Uint8Array(entry.pending.certificate)), {
      anchors: this.#trustedCas,
      at: new Date(),
    }).then(
      (validated) => validated.path[1],
      () => undefined,
    );
    const result = await completeSignature(entry.pending, value, {
      tsaUrl: this.#options.tsaUrl,
      ...(this.#options.ocspUrl ? { ocspUrl: this.#options.ocspUrl } : {}),
      ...(issuer ? { issuer } : {}),
      trustAnchors: this.#trustAnchors,
      level: this.#options.level,
      ...(this.#options.timeoutMs ? { timeoutMs: this.#options.timeoutMs } : {}),
    });
    const bytes = writeContainer(result.container);
    const report = await this.validate(bytes);
    const downloadId = this.store.put(sessionId, person.personalCode, {
      kind: "signed",
      containerName: entry.containerName,
      bytes,
    });
    return {
      download: {
        id: downloadId,
        name: entry.containerName,
        size: bytes.byteLength,
        href: `/api/sign/containers/${downloadId}`,
      },
      report,
    };
  }

  /** A finished container of this session, for its download. */
  download(sessionId: string, id: string): { name: string; bytes: Uint8Array } {
    const entry = this.store.get(sessionId, id);
    if (entry?.kind !== "signed")
      throw new PortalError("PORTAL_SIGNATURE_UNKNOWN", "no such container in this session (expired or never signed)");
    return { name: entry.containerName, bytes: entry.bytes };
  }

  /** Validates a container against the configured roots; never throws for a bad container. */
  async validate(bytes: Uint8Array): Promise<ValidationReport> {
    if (bytes.byteLength > this.#options.maxUploadBytes)
      throw new PortalError("PORTAL_TOO_LARGE", `the container is larger than ${this.#options.maxUploadBytes} bytes`, {
        details: { maxBytes: this.#options.maxUploadBytes },
      });
    return validateContainer(bytes, { trustAnchors: this.#trustAnchors, limits: this.#limits });
  }
}
