import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { keyAlgorithmOf, signingHash } from "../algorithms.ts";
import { HASH_OIDS, OID } from "../ca/oids.ts";
import { ISSUING_CAS, type IssuingCaName, type TrustServices } from "../ca/trust-services.ts";
import { PkiError } from "../errors.ts";
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

/**
 * RFC 6960 responder for riik's issuing CAs. The status is read from the registry on every
 * request, so suspension, resumption and revocation show at once; answers to requests
 * without a nonce are cached per certificate status version (RFC 5019 pre-signing).
 */
export class OcspResponder {
  readonly #services: TrustServices;
  readonly #issuers = new Map<string, IssuingCaName>();
  readonly #responderIds = new Map<IssuingCaName, asn1js.OctetString>();
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
      this.#responderIds.set(
        name,
        new asn1js.OctetString({ valueHex: responderKeyHash(services.ocspResponders[name].certificate) }),
      );
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
      const ca = this.#issuers.get(
        issuerKey(
          certId.hashAlgorithm.algorithmId,
          certId.issuerNameHash.valueBlock.valueHexView,
          certId.issuerKeyHash.valueBlock.valueHexView,
        ),
      );
      if (!ca)
        throw new PkiError(
          "OCSP_UNAUTHORIZED",
          "this responder does not answer for the issuer named in the request (RFC 6960 2.3 unauthorized)",
        );
      return { certId, ca, serial: normaliseSerial(certId.serialNumber.valueBlock.valueHexView) };
    });
    const ca = resolved[0]!.ca;
    if (resolved.some((item) => item.ca !== ca)) {
      throw new PkiError(
        "OCSP_MALFORMED_REQUEST",
        "one OCSP request may ask about the certificates of one issuer only",
      );
    }
    const rows = await Promise.all(resolved.map((item) => this.#services.registry.status(ca, item.serial)));
    const cacheKey =
      request.nonce || resolved.length !== 1
        ? undefined
        : `${ca}:${resolved[0]!.certId.hashAlgorithm.algorithmId}:${resolved[0]!.serial}:${rows[0]?.version ?? 0}`;
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
    const responder = this.#services.ocspResponders[ca];
    const thisUpdate = new Date(now);
    const nextUpdate = new Date(now + this.#validityMs);
    const basic = new pkijs.BasicOCSPResponse();
    basic.tbsResponseData.responderID = this.#responderIds.get(ca)!;
    basic.tbsResponseData.producedAt = thisUpdate;
    for (const [i, item] of resolved.entries()) {
      basic.tbsResponseData.responses.push(
        new pkijs.SingleResponse({
          certID: item.certId,
          certStatus: encodeCertStatus(statuses[i]!),
          thisUpdate,
          nextUpdate,
        }),
      );
    }
    if (request.nonce) basic.tbsResponseData.responseExtensions = [request.nonce];
    basic.certs = [pkijs.Certificate.fromBER(responder.certificate.rawData)];
    await basic.sign(responder.keys.privateKey, signingHash(keyAlgorithmOf(responder.keys.privateKey)));
    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: OCSP_RESPONSE_STATUS.successful }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: OID.ocspBasic,
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
      }),
    });
    const out = new Uint8Array(response.toSchema().toBER());
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
