import type { ComponentDescriptor } from "@riik/core";
import { PORTAL_CONFIG, parsePortalConfig } from "./config/portal-config.ts";

/** The citizen portal, configured by a file (`riik portal serve --config FILE`). */
export const portalDescriptor: ComponentDescriptor<typeof PORTAL_CONFIG> = {
  name: "portal",
  description: "the citizen portal: login through the auth service, my data, who used my data, signing",
  config: PORTAL_CONFIG,
  command: ["portal", "serve"],
  configFile: true,
  options: [],
  ports: (config) => ({ http: parsePortalConfig(config).port }),
  // Logins are the auth service's (OpenID Connect); signatures are checked at the trust services
  // (OCSP, TSA); register queries go through its security server.
  dependsOn: ["auth", "pki", "ss"],
  exchange: (file) => {
    const config = parsePortalConfig(file);
    return {
      subsystems: [
        { id: config.portalClient, description: "state portal (eesti.ee)" },
        { id: config.dataTrackerClient, description: "Data Tracker reader" },
      ],
      // A person's own record: GET /persons/{code} and what lies under it.
      access: [
        {
          subject: config.portalClient,
          service: config.populationService,
          method: "GET",
          paths: ["/persons/*", "/persons/*/**"],
        },
        ...(config.authenticationsService
          ? [
              {
                subject: config.portalClient,
                service: config.authenticationsService,
                method: "GET",
                paths: ["/authentications/*"],
              },
            ]
          : []),
      ],
      readsDataTracker: { reader: config.dataTrackerClient, providers: config.dataTrackerProviders },
    };
  },
};
