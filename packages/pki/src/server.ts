import { readFileSync } from "node:fs";
import * as x509 from "@peculiar/x509";
import { createHttpService, type ErrorCatalogue } from "@riik/core";
import type { FastifyReply } from "fastify";
import { Counter } from "prom-client";
import { caCertificatePath, type TrustServices } from "./ca/trust-services.ts";
import { PkiError } from "./errors.ts";
import { OcspResponder, type OcspResponderOptions } from "./ocsp/responder.ts";
import { TimeStampAuthority } from "./tsa/authority.ts";

const ERRORS: ErrorCatalogue = {
  OCSP_CONTENT_TYPE: { status: 415 },
  TSA_CONTENT_TYPE: { status: 415 },
  PKI_UNKNOWN_CA: { status: 404 },
};

const SERVED_CERTIFICATES = new Set(["root", "esteid", "server", "ocsp", "ocsp-server", "tsa"]);

export interface TrustServicesServerOptions extends OcspResponderOptions {
  services: TrustServices;
  host?: string;
  port: number;
}

/**
 * `riik pki serve`: the OCSP responder (RFC 6960 Appendix A: POST and GET at /ocsp), the
 * time-stamping authority (RFC 3161 3.4: POST at /tsa) and the CA certificates (RFC 5280
 * 4.2.2.1: DER as application/pkix-cert at the AIA caIssuers URLs /ca/<name>.crt).
 */
export async function startTrustServicesServer(options: TrustServicesServerOptions) {
  const { services } = options;
  const { app, metrics, logger } = createHttpService({ name: "pki", errors: ERRORS, bodyLimit: 64 * 1024 });
  const ocsp = new OcspResponder(services, options);
  const tsa = new TimeStampAuthority(services.tsa);
  const ocspAnswers = new Counter({
    name: "riik_ocsp_responses_total",
    help: "OCSP answers by response and certificate status",
    labelNames: ["response", "cert_status"],
    registers: [metrics],
  });
  const tsaAnswers = new Counter({
    name: "riik_tsa_responses_total",
    help: "Time-stamp answers",
    labelNames: ["granted"],
    registers: [metrics],
  });

  app.addContentTypeParser(
    ["application/ocsp-request", "application/timestamp-query"],
    { parseAs: "buffer" },
    (_request, body, done) => done(null, body),
  );

  const answerOcsp = async (der: Uint8Array, reply: FastifyReply) => {
    const answer = await ocsp.respond(der);
    for (const status of answer.certStatuses.length ? answer.certStatuses : ["none"])
      ocspAnswers.inc({ response: answer.status, cert_status: status });
    if (answer.error)
      reply
        .header("x-riik-error", `${answer.error.code}: ${answer.error.message}`)
        .status(answer.status === "unauthorized" ? 403 : 400);
    return reply.type("application/ocsp-response").send(Buffer.from(answer.der));
  };

  app.post("/ocsp", async (request, reply) => {
    if (!Buffer.isBuffer(request.body))
      throw new PkiError("OCSP_CONTENT_TYPE", "POST the DER OCSP request as application/ocsp-request (RFC 6960 A.1)");
    return answerOcsp(request.body, reply);
  });
  // RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}
  app.get("/ocsp/*", async (request, reply) => {
    const encoded = (request.params as { "*": string })["*"];
    let der: Buffer;
    try {
      der = Buffer.from(decodeURIComponent(encoded), "base64");
    } catch {
      der = Buffer.alloc(0);
    }
    return answerOcsp(der, reply);
  });

  app.post("/tsa", async (request, reply) => {
    if (!Buffer.isBuffer(request.body))
      throw new PkiError(
        "TSA_CONTENT_TYPE",
        "POST the DER time-stamp request as application/timestamp-query (RFC 3161 3.4)",
      );
    const answer = await tsa.respond(request.body);
    tsaAnswers.inc({ granted: String(answer.granted) });
    if (answer.error) reply.header("x-riik-error", `${answer.error.code}: ${answer.error.message}`).status(400);
    return reply.type("application/timestamp-reply").send(Buffer.from(answer.der));
  });

  app.get("/ca/:file", async (request, reply) => {
    const match = /^([a-z-]+)\.(crt|pem)$/.exec((request.params as { file: string }).file);
    if (!match || !SERVED_CERTIFICATES.has(match[1]!))
      throw new PkiError(
        "PKI_UNKNOWN_CA",
        `no CA certificate ${(request.params as { file: string }).file}; try /ca/root.crt`,
      );
    const pem = readFileSync(caCertificatePath(services.dir, match[1] as "root"), "utf8");
    if (match[2] === "pem") return reply.type("application/x-pem-file").send(pem);
    return reply.type("application/pkix-cert").send(Buffer.from(new x509.X509Certificate(pem).rawData));
  });

  const address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port });
  const url = address.replace("[::1]", "127.0.0.1");
  logger.info({ url, dir: services.dir }, "trust services listening");
  return {
    url,
    app,
    urls: { ocsp: `${url}/ocsp`, tsa: `${url}/tsa`, ca: `${url}/ca/root.crt` },
    close: async () => {
      await app.close();
    },
  };
}
