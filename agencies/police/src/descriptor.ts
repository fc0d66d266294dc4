import type { ComponentDescriptor } from "@riik/core";
import { POLICE_CONFIG } from "./config.ts";

/** The police information system, configured by a file (`riik police serve --config FILE`). */
export const policeDescriptor: ComponentDescriptor<typeof POLICE_CONFIG> = {
  name: "police",
  description: "serve POST /queries {personalCode, purpose, officer, hiddenUntil?, hiddenReason?}, /healthz, /metrics",
  config: POLICE_CONFIG,
  command: ["police", "serve"],
  configFile: true,
  options: [],
  ports: (config) => ({ http: config.port }),
  // Person queries go through its security server to the population register.
  dependsOn: ["ss", "population-register"],
  exchange: (config) => {
    const register = config.personsService.split("/").slice(0, -1).join("/");
    return {
      subsystems: [{ id: config.client, description: "identity documents and person queries" }],
      access: [
        {
          subject: config.client,
          service: config.personsService,
          method: "GET",
          paths: ["/persons/*", "/persons/*/**"],
        },
      ],
      // An investigation may keep its queries out of the person's Data Tracker for a while.
      hidesUses: { consumer: config.client, providers: [register] },
    };
  },
};
