import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { HASH_OIDS, OID } from "../ca/oids.ts";
import { ISSUING_CAS, type IssuingCaName, type TrustServices } from "../ca/trust-services.ts";
import { derGeneralizedTime, derTlv } from "../der.ts";
import { PkiError } from "../errors.ts";
import type { SigningKey } from "../keystore/signing-key.ts";
import { normaliseSerial } from "../registry/certificate-registry.ts";
import { issuerHashes, issuerKey, responderKeyHash } from "./cert-id.ts";
import { parseOcspRequest } from "./request.ts";
import { encodeCertStatus, type OcspCertStatus } from "./status.ts";

/** RFC 6960 4.2.1 OCSPResponseStatus. */
export const OCSP_RESPONSE_STATUS = Object.freeze({
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
});
export type OcspResponseStatusName = keyof typeof OCSP_RESPONSE_STATUS;

export interface OcspAnswer {
  der: Uint8Array;
  status: OcspResponseStatusName;
  /** Why the request was refused, for logs and the X-Riik-Error header. */
  error?: PkiError;
  /** Statuses reported, for metrics. */
  certStatuses: OcspCertStatus["status"][];
}

export interface OcspResponderOptions {
  /** nextUpdate - thisUpdate; relying parties may cache an answer this long (RFC 5019 2.2.4). */
  validitySeconds?: number;
  /** How long a signed answer to a nonce-less request is reused while the status is unchanged. */
  cacheSeconds?: number;
}

/** What a responder puts in every answer for one CA, encoded once. */
interface ResponderTemplate {
  key: SigningKey;
  /** ResponderID byKey: [2] EXPLICIT KeyHash (RFC 6960 4.2.1). */
  responderId: Uint8Array;
  signatureAlgorithm: Uint8Array;
  /** certs [0] EXPLICIT SEQUENCE OF Certificate: the delegated responder's certificate. */
  certs: Uint8Array;
}

const SEQUENCE = 0x30;
const OCTET_STRING = 0x04;
const ENUMERATED = 0x0a;
const BIT_STRING = 0x03;
const explicit = (tag: number, ...contents: Uint8Array[]) => derTlv(0xa0 | tag, ...contents);
const oid = (value: string) => new Uint8Array(new asn1js.ObjectIdentifier({ value }).toBER());

/**
 * RFC 6960 responder for riik's issuing CAs. The status is read from the registry on every
 * request, so suspension, resumption and revocation show at once; answers to requests
 * without a nonce are cached per certificate status version (RFC 5019 pre-signing).
 * Answers are assembled from DER pieces (the request's CertID and nonce echoed byte for
 * byte) and signed by the responder's SigningKey: a file key in libuv's thread pool (Node's
 * WebCrypto), so both cores sign; a token key inside the token.
 */
export class OcspResponder {
  readonly #services: TrustServices;
  readonly #issuers = new Map<string, IssuingCaName>();
  readonly #templates = new Map<IssuingCaName, ResponderTemplate>();
  readonly #validityMs: number;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, { der: Uint8Array; expires: number; statuses: OcspCertStatus["status"][] }>();

  constructor(services: TrustServices, options: OcspResponderOptions = {}) {
    this.#services = services;
    this.#validityMs = (options.validitySeconds ?? 300) * 1000;
    this.#cacheMs = (options.cacheSeconds ?? 60) * 1000;
    for (const name of ISSUING_CAS) {
      for (const hashOid of Object.keys(HASH_OIDS)) {
        const { nameHash, keyHash } = issuerHashes(services.cas[name].certificate, hashOid);
        this.#issuers.set(issuerKey(hashOid, nameHash, keyHash), name);
      }
      const responder = services.ocspResponders[name];
      const signatureAlgorithm =
        responder.keys.algorithm === "p384"
          ? derTlv(SEQUENCE, oid("1.2.840.10045.4.3.3")) // ecdsa-with-SHA384 (RFC 5758 3.2)
          : derTlv(SEQUENCE, oid("1.2.840.113549.1.1.11"), Uint8Array.of(0x05, 0x00)); // sha256WithRSAEncryption
      this.#templates.set(name, {
        key: responder.keys,
        responderId: explicit(2, derTlv(OCTET_STRING, responderKeyHash(responder.certificate))),
        signatureAlgorithm,
        certs: explicit(0, derTlv(SEQUENCE, new Uint8Array(responder.certificate.rawData))),
      });
    }
  }

  async respond(der: Uint8Array): Promise<OcspAnswer> {
    try {
      return await this.#respond(der);
    } catch (error) {
      if (error instanceof PkiError) {
        const status: OcspResponseStatusName = error.code === "OCSP_UNAUTHORIZED" ? "unauthorized" : "malformedRequest";
        return { der: errorResponse(status), status, error, certStatuses: [] };
      }
      throw error;
    }
  }

  async #respond(der: Uint8Array): Promise<OcspAnswer> {
    const request = parseOcspRequest(der);
    // One response is signed by one responder, so all CertIDs must name the same CA.
    const resolved = request.certIds.map((certId) => {
      const ca = this.#issuers.get(issuerKey(certId.hashOid, certId.nameHash, certId.keyHash));
      if (!ca)
        throw new PkiError(
          "OCSP_UNAUTHORIZED",
          "this responder does not answer for the issuer named in the request (RFC 6960 2.3 unauthorized)",
        );
      return { certId, ca, serial: normaliseSerial(certId.serial) };
    });
    const ca = resolved[0]!.ca;
    if (resolved.some((item) => item.ca !== ca)) {
      throw new PkiError(
        "OCSP_MALFORMED_REQUEST",
        "one OCSP request may ask about the certificates of one issuer only",
      );
    }
    const rows = await Promise.all(resolved.map((item) => this.#services.registry.status(ca, item.serial)));
    const single = resolved.length === 1 ? resolved[0]! : undefined;
    const cacheKey =
      request.nonce || !single ? undefined : `${ca}:${single.certId.hashOid}:${single.serial}:${rows[0]?.version ?? 0}`;
    const now = Date.now();
    if (cacheKey) {
      const cached = this.#cache.get(cacheKey);
      if (cached && cached.expires > now)
        return { der: cached.der, status: "successful", certStatuses: cached.statuses };
    }
    const statuses: OcspCertStatus[] = rows.map((row) => {
      if (!row) return { status: "unknown" };
      if (row.status === "good") return { status: "good" };
      return { status: "revoked", revokedAt: new Date(row.revoked_at ?? 0), reason: row.revocation_reason ?? 0 };
    });
    const template = this.#templates.get(ca)!;
    const thisUpdate = derGeneralizedTime(new Date(now));
    const nextUpdate = explicit(0, derGeneralizedTime(new Date(now + this.#validityMs)));
    const responses = resolved.map((item, i) =>
      derTlv(SEQUENCE, item.certId.der, new Uint8Array(encodeCertStatus(statuses[i]!).toBER()), thisUpdate, nextUpdate),
    );
    // ResponseData (RFC 6960 4.2.1): version v1 is DEFAULT and so omitted in DER.
    const tbs = derTlv(
      SEQUENCE,
      template.responderId,
      thisUpdate,
      derTlv(SEQUENCE, ...responses),
      ...(request.nonce ? [explicit(1, derTlv(SEQUENCE, request.nonce))] : []),
    );
    const signature = await template.key.sign(tbs);
    const basic = derTlv(
      SEQUENCE,
      tbs,
      template.signatureAlgorithm,
      derTlv(BIT_STRING, Uint8Array.of(0), signature),
      template.certs,
    );
    const out = derTlv(
      SEQUENCE,
      derTlv(ENUMERATED, Uint8Array.of(OCSP_RESPONSE_STATUS.successful)),
      explicit(0, derTlv(SEQUENCE, oid(OID.ocspBasic), derTlv(OCTET_STRING, basic))),
    );
    const certStatuses = statuses.map((s) => s.status);
    if (cacheKey) {
      if (this.#cache.size > 100_000) this.#cache.clear();
      this.#cache.set(cacheKey, {
        der: out,
        expires: now + Math.min(this.#cacheMs, this.#validityMs / 2),
        statuses: certStatuses,
      });
    }
    return { der: out, status: "successful", certStatuses };
  }
}

/** An unsigned OCSPResponse carrying only an error status (RFC 6960 4.2.1). */
export function errorResponse(status: Exclude<OcspResponseStatusName, "successful">): Uint8Array {
  const response = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: OCSP_RESPONSE_STATUS[status] }),
  });
  return new Uint8Array(response.toSchema().toBER());
}
