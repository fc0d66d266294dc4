// `riik health serve`: the health information system and the prescription centre as a running
// member — its storage (SQLite or PostgreSQL), the medicines register, the FHIR API, the
// trust anchor the doctors' signatures are verified against (from configuration, never from a container).
import { listenOrRelease, type MemberService, XRoadRestClient } from "@riik/kit";
import { readCertificate } from "@riik/pki";
import { createHealthService } from "./api/server.ts";
import { type HealthSystem, openHealthSystem } from "./health-system.ts";
import { type InsuranceRegister, openInsuranceRegister } from "./insurance/insurance-register.ts";
import { createInsuranceService } from "./insurance/insurance-service.ts";
import { XRoadInsuranceCheck } from "./prescriptions/insurance-check.ts";

export interface HealthServerOptions {
  dataDir: string;
  url?: string;
  port: number;
  host?: string;
  /** The trust services' root certificate file. */
  trust: string;
  /** The health insurance fund over X-Road, asked before each dispensing. */
  insurance?: { securityServer: string; client: string; service: string };
}

export interface HealthServer {
  url: string;
  service: MemberService;
  system: HealthSystem;
  close(): Promise<void>;
}

export async function startHealth(options: HealthServerOptions): Promise<HealthServer> {
  const trustAnchors = [readCertificate(options.trust)];
  const fund = options.insurance;
  const insurance = fund
    ? new XRoadInsuranceCheck(
        new XRoadRestClient({ securityServer: fund.securityServer, client: fund.client }),
        fund.service,
      )
    : undefined;
  const system = await openHealthSystem(
    { dataDir: options.dataDir, ...(options.url ? { url: options.url } : {}) },
    { trustAnchors, ...(insurance ? { insurance } : {}) },
  );
  const service = createHealthService(system.store, system.centre);
  const url = await listenOrRelease(service, options, () => system.close());
  service.logger.info({ url, fhir: `${url}/fhir` }, "health information system listening");
  return {
    url,
    service,
    system,
    close: async () => {
      await service.close();
      await system.close();
    },
  };
}

export interface HealthInsuranceServer {
  url: string;
  service: MemberService;
  register: InsuranceRegister;
  close(): Promise<void>;
}

/** `riik health-insurance serve`: the fund's register as its own member and process. */
export async function startHealthInsurance(
  options: Omit<HealthServerOptions, "trust">,
): Promise<HealthInsuranceServer> {
  const register = await openInsuranceRegister({
    dataDir: options.dataDir,
    ...(options.url ? { url: options.url } : {}),
  });
  const service = createInsuranceService(register);
  const url = await listenOrRelease(service, options, () => register.close());
  service.logger.info({ url }, "health insurance fund listening");
  return {
    url,
    service,
    register,
    close: async () => {
      await service.close();
      await register.close();
    },
  };
}
