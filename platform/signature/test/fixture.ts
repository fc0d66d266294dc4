import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as x509 from "@peculiar/x509";
import { freePort } from "@riik/core/testing";
import {
  type CardFile,
  cardCertificate,
  initTrustServices,
  issueCard,
  normaliseSerial,
  startTrustServicesServer,
  type TrustServices,
} from "@riik/pki";

export interface Sandbox {
  dir: string;
  services: TrustServices;
  urls: { ocsp: string; tsa: string };
  root: x509.X509Certificate;
  issuer: x509.X509Certificate;
  card(personalCode: string, givenName: string, surname: string): Promise<CardFile>;
  setStatus(card: CardFile, event: "suspended" | "revoked" | "resumed"): Promise<void>;
  close(): Promise<void>;
}

export const PIN1 = "1234";
export const PIN2 = "12345";

/** A whole trust-services sandbox (root, ESTEID CA, OCSP, TSA) on a loopback port. */
export async function startSandbox(): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), "riik-signature-"));
  const port = await freePort();
  const services = await initTrustServices({ dir: join(dir, "pki"), baseUrl: `http://127.0.0.1:${port}` });
  const server = await startTrustServicesServer({ services, port });
  return {
    dir,
    services,
    urls: { ocsp: server.urls.ocsp, tsa: server.urls.tsa },
    root: services.root,
    issuer: services.cas.esteid.certificate,
    card: (personalCode, givenName, surname) =>
      issueCard(services, { personalCode, givenName, surname, pin1: PIN1, pin2: PIN2 }),
    async setStatus(card, event) {
      const serial = normaliseSerial(cardCertificate(card, "signing").serialNumber);
      await services.registry.changeStatus("esteid", serial, { event, actor: "test" });
    },
    async close() {
      await server.close();
      await services.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
