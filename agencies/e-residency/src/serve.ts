// `riik e-residency serve`: the agency as a running member — its API, and the worker that asks
// the police about every paid application through the agency's own security server (outside
// any transaction). Without X-Road the worker does not run and applications wait: nobody is
// decided on without the police's answer.
import { listenOrRelease, type MemberService, XRoadRestClient } from "@riik/kit";
import { type RegistrationAuthorityAccess, requestCard, revokeDocument } from "@riik/pki";
import type { ValidationOptions } from "@riik/signature";
import { createEResidencyService } from "./api/server.ts";
import { type BackgroundChecks, XRoadBackgroundChecks } from "./checks/police.ts";
import { XRoadResidentCodes } from "./checks/population-register.ts";
import { type CardOrders, type EResidencyOffice, openEResidencyOffice } from "./storage/office.ts";

export interface EResidencyExchange {
  securityServer: string;
  client: string;
  backgroundChecksService: string;
  /**
   * The population register's persons service: a code is granted only once the register says
   * no resident holds it (no answer, no grant). Without it only this register is looked at.
   */
  populationRegisterService?: string;
}

export interface EResidencyServerOptions {
  dataDir: string;
  url?: string;
  port: number;
  host?: string;
  /** The roots of the trust services (the config's `trust` file, read by the caller). */
  trustAnchors: ValidationOptions["trustAnchors"];
  officials: readonly string[];
  exchange?: EResidencyExchange;
  /** The trust services as a registration authority with `cards` (URL and bearer token). */
  registrationAuthority?: RegistrationAuthorityAccess;
  /** Applications one client may submit an hour (default 1000). */
  applicationsPerHour?: number;
  /** How often the worker looks for paid applications; default 1000 ms. */
  intervalMs?: number;
}

export interface EResidencyServer {
  url: string;
  service: MemberService;
  office: EResidencyOffice;
  /** Asks the police about every paid application now (tests). */
  runOnce(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Each granted application's check asked again with the code granted, so that the police's
 * answer names the e-resident and the use is in their Data Tracker; returns how many.
 */
export async function runCheckAttributions(office: EResidencyOffice, checks: BackgroundChecks): Promise<number> {
  let attributed = 0;
  for (const { number, person, query } of await office.pendingAttributions()) {
    const issue = `e-Residency application ${number}: the background check${query ? ` ${query}` : ""} for the personal code granted`;
    await office.recordAttribution(number, await checks.check(person, issue));
    attributed++;
  }
  return attributed;
}

/** The police's answer for each paid application; one that fails waits for the next round. */
export async function runBackgroundChecks(office: EResidencyOffice, checks: BackgroundChecks): Promise<number> {
  let checked = 0;
  for (const { number, person } of await office.pendingChecks()) {
    await office.recordCheck(number, await checks.check(person));
    checked++;
  }
  return checked;
}

export function cardOrders(access: RegistrationAuthorityAccess): CardOrders {
  return {
    order: (request) => requestCard(access, request),
    revoke: async (documentNumber, reason) => {
      await revokeDocument(access, documentNumber, reason);
    },
  };
}

export async function startEResidency(options: EResidencyServerOptions): Promise<EResidencyServer> {
  const exchange = options.exchange;
  const xroad = exchange
    ? new XRoadRestClient({ securityServer: exchange.securityServer, client: exchange.client })
    : undefined;
  const office = await openEResidencyOffice(
    { dataDir: options.dataDir, ...(options.url ? { url: options.url } : {}) },
    {
      trustAnchors: options.trustAnchors,
      officials: options.officials,
      ...(options.registrationAuthority ? { cards: cardOrders(options.registrationAuthority) } : {}),
      ...(xroad && exchange?.populationRegisterService
        ? { residentCodes: new XRoadResidentCodes(xroad, exchange.populationRegisterService) }
        : {}),
      ...(options.applicationsPerHour
        ? { applicationsBound: { max: options.applicationsPerHour, windowMs: 3_600_000 } }
        : {}),
    },
  ).catch(async (error) => {
    await xroad?.close();
    throw error;
  });
  const checks =
    xroad && exchange ? new XRoadBackgroundChecks(xroad, exchange.client, exchange.backgroundChecksService) : undefined;
  const service = createEResidencyService(office);
  const url = await listenOrRelease(service, options, async () => {
    await office.close();
    await xroad?.close();
  });
  const log = service.logger;
  const check = async () => {
    if (!checks) return 0;
    const checked = await runBackgroundChecks(office, checks);
    if (checked > 0) log.info({ checked }, "background checks answered by the police");
    const attributed = await runCheckAttributions(office, checks);
    if (attributed > 0) log.info({ attributed }, "background checks asked again with the personal codes granted");
    return checked;
  };
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(check).catch((error) => log.warn({ err: error }, "background check failed; tried again"));
  }, options.intervalMs ?? 1000);
  timer.unref();
  log.info({ url }, "e-Residency listening");
  return {
    url,
    service,
    office,
    runOnce: check,
    close: async () => {
      clearInterval(timer);
      await running;
      await service.close();
      await office.close();
      await xroad?.close();
    },
  };
}
