// `riik motor-insurance serve`: the bureau as a running member — its API, the integrity
// ledger every case step is anchored in, and the business register asked over X-Road whether
// an insurer is a company.
import { listenOrRelease, type MemberService, XRoadClientError, XRoadRestClient } from "@riik/kit";
import type { ValidationOptions } from "@riik/signature";
import { Type } from "typebox";
import { createMotorInsuranceService } from "./api/server.ts";
import { ledgerAnchor } from "./case/timeline.ts";
import { type CompanyLookup, type MotorInsuranceBureau, openMotorInsuranceBureau } from "./storage/bureau.ts";

/** GET /companies/{code} of the business register: the part read here. */
const COMPANY = Type.Object({ name: Type.String() });

export interface MotorInsuranceServerOptions {
  dataDir: string;
  url?: string;
  port: number;
  host?: string;
  /** The roots of the trust services (the config's `trust` file, read by the caller). */
  trustAnchors: ValidationOptions["trustAnchors"];
  ledgerUrl: string;
  policeClients?: readonly string[];
  exchange?: { securityServer: string; client: string; companiesService: string };
}

export interface MotorInsuranceServer {
  url: string;
  service: MemberService;
  bureau: MotorInsuranceBureau;
  close(): Promise<void>;
}

export async function startMotorInsurance(options: MotorInsuranceServerOptions): Promise<MotorInsuranceServer> {
  const exchange = options.exchange;
  const xroad = exchange
    ? new XRoadRestClient({ securityServer: exchange.securityServer, client: exchange.client })
    : undefined;
  const companies: CompanyLookup | undefined =
    xroad && exchange
      ? async (code) => {
          try {
            const { body } = await xroad.call({
              service: exchange.companiesService,
              path: `/companies/${code}`,
              answer: COMPANY,
            });
            return body.name;
          } catch (error) {
            if (error instanceof XRoadClientError && error.details?.status === 404) return undefined;
            throw error;
          }
        }
      : undefined;
  const bureau = await openMotorInsuranceBureau(
    { dataDir: options.dataDir, ...(options.url ? { url: options.url } : {}) },
    {
      anchor: ledgerAnchor(options.ledgerUrl),
      trustAnchors: options.trustAnchors,
      ...(companies ? { companies } : {}),
    },
  );
  const service = createMotorInsuranceService(bureau, { policeClients: options.policeClients ?? [] });
  const url = await listenOrRelease(service, options, async () => {
    await bureau.close();
    await xroad?.close();
  });
  service.logger.info({ url }, "motor insurers' bureau listening");
  return {
    url,
    service,
    bureau,
    close: async () => {
      await service.close();
      await bureau.close();
      await xroad?.close();
    },
  };
}
