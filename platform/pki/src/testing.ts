// Test support for packages that need real trust services (CA, OCSP, TSA) on loopback.
import { after } from "node:test";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import { initTrustServices, type TrustServices } from "./ca/trust-services.ts";
import { startTrustServicesServer } from "./server.ts";

export interface TestTrustServices {
  dir: string;
  services: TrustServices;
  url: string;
  app: Awaited<ReturnType<typeof startTrustServicesServer>>["app"];
}

/** Trust services in a temporary directory, served on a free loopback port, closed after the test file. */
export async function startTestTrustServices(): Promise<TestTrustServices> {
  const dir = temporaryDirectory("riik-pki-");
  const port = await freePort();
  const services = await initTrustServices({ dir, baseUrl: `http://127.0.0.1:${port}` });
  const server = await startTrustServicesServer({ services, port });
  after(async () => {
    await server.close();
    await services.close();
  });
  return { dir, services, url: server.url, app: server.app };
}
