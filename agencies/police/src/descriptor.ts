import type { AccessRight, ComponentDescriptor, ProvidedService } from "@riik/core";
import { POLICE_CONFIG } from "./config.ts";
import { policeOpenApi } from "./server.ts";

/** X-Road service codes of the police's subsystem; each serves the same API, the right names the paths. */
export const BACKGROUND_CHECKS_SERVICE_CODE = "background-checks";
export const BUSINESS_BANS_SERVICE_CODE = "business-bans";
/** Who asks them in the state: the e-Residency agency (its applicants) and the business register (board members). */
export const DEFAULT_CONSUMERS = Object.freeze({
  backgroundChecks: ["EE/GOV/70008747/e-residency"],
  businessBans: ["EE/GOV/70000310/ariregister"],
});

/** The police information system, configured by a file (`riik police serve --config FILE`). */
export const policeDescriptor: ComponentDescriptor<typeof POLICE_CONFIG> = {
  name: "police",
  description:
    "serve POST /queries (person queries), POST /background-checks and GET /business-bans/{code} (with dir), /healthz, /metrics",
  config: POLICE_CONFIG,
  command: ["police", "serve"],
  configFile: true,
  options: [],
  ports: (config) => ({ http: config.port }),
  // Person queries go through its security server to the population register.
  dependsOn: ["ss", "population-register"],
  exchange: (config, at) => {
    const register = config.personsService.split("/").slice(0, -1).join("/");
    const access: AccessRight[] = [
      {
        subject: config.client,
        service: config.personsService,
        method: "GET",
        paths: ["/persons/*", "/persons/*/**"],
      },
    ];
    const services: ProvidedService[] = [];
    // With its records (dir) the police provide two personal-data services: the provider's
    // security server records a Data Tracker use for each person an answer names.
    if (config.dir !== undefined) {
      const consumers = { ...DEFAULT_CONSUMERS, ...config.consumers };
      for (const [code, method, paths, subjects] of [
        [BACKGROUND_CHECKS_SERVICE_CODE, "POST", ["/background-checks"], consumers.backgroundChecks],
        [BUSINESS_BANS_SERVICE_CODE, "GET", ["/business-bans/*"], consumers.businessBans],
      ] as const) {
        services.push({ subsystem: at.subsystem, code, url: at.url, personalData: true, openapi: policeOpenApi });
        for (const subject of subjects) access.push({ subject, service: `${at.subsystem}/${code}`, method, paths });
      }
    }
    return {
      subsystems: [{ id: config.client, description: "identity documents and person queries" }],
      services,
      access,
      // An investigation may keep its queries out of the person's Data Tracker for a while.
      hidesUses: { consumer: config.client, providers: [register] },
    };
  },
};
