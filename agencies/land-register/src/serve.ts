// `riik land-register serve`: the land register as a running member — its API, the integrity
// ledger every entry is anchored in, and (when configured) the police's business bans asked
// over X-Road for a company buyer's representative, failing closed when they do not answer.
import { parseClientId } from "@riik/core";
import { listenOrRelease, type MemberService, XRoadRestClient } from "@riik/kit";
import type { ValidationOptions } from "@riik/signature";
import { Type } from "typebox";
import { createLandRegisterService } from "./api/server.ts";
import { ledgerAnchor } from "./journal/entry-record.ts";
import { type BusinessBanCheck, type LandRegister, openLandRegister } from "./storage/register.ts";

/** The police's `GET /business-bans/{code}`: the part read here. */
const BUSINESS_BAN = Type.Object({ banned: Type.Boolean() });
/** X-Road-Issue of the check: why the register asks (the person sees it in their Data Tracker). */
const BAN_CHECK_PURPOSE = "Kinnistusraamatu kanne: ostja esindaja ärikeelu kontroll";

export interface LandRegisterServerOptions {
  dataDir: string;
  url?: string;
  port: number;
  host?: string;
  trustAnchors: ValidationOptions["trustAnchors"];
  ledgerUrl: string;
  registrars?: readonly string[];
  fileClients?: readonly string[];
  exchange?: { securityServer: string; client: string; businessBansService: string };
}

export interface LandRegisterServer {
  url: string;
  service: MemberService;
  register: LandRegister;
  close(): Promise<void>;
}

export async function startLandRegister(options: LandRegisterServerOptions): Promise<LandRegisterServer> {
  const exchange = options.exchange;
  const xroad = exchange
    ? new XRoadRestClient({ securityServer: exchange.securityServer, client: exchange.client })
    : undefined;
  // No person acts when the register checks: it asks as itself (EE + its member code).
  const asRegister = exchange
    ? `${parseClientId(exchange.client).instance}${parseClientId(exchange.client).memberCode}`
    : "";
  const businessBans: BusinessBanCheck | undefined =
    xroad && exchange
      ? async (code) =>
          (
            await xroad.call({
              service: exchange.businessBansService,
              path: `/business-bans/${code}`,
              answer: BUSINESS_BAN,
              issue: BAN_CHECK_PURPOSE,
              userId: asRegister,
            })
          ).body.banned
      : undefined;
  const register = await openLandRegister(
    { dataDir: options.dataDir, ...(options.url ? { url: options.url } : {}) },
    {
      anchor: ledgerAnchor(options.ledgerUrl),
      trustAnchors: options.trustAnchors,
      ...(businessBans ? { businessBans } : {}),
    },
  );
  const service = createLandRegisterService(register, {
    registrars: options.registrars ?? [],
    fileClients: options.fileClients ?? [],
  });
  const url = await listenOrRelease(service, options, async () => {
    await register.close();
    await xroad?.close();
  });
  service.logger.info({ url }, "land register listening");
  return {
    url,
    service,
    register,
    close: async () => {
      await service.close();
      await register.close();
      await xroad?.close();
    },
  };
}
