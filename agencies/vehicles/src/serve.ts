// `riik vehicles serve`: the Transport Administration's register as a running member. Its
// services are read and written through its security server only; it calls no one.
import { listenOrRelease, type MemberService } from "@riik/kit";
import type { ValidationOptions } from "@riik/signature";
import { createVehicleRegisterService } from "./api/server.ts";
import { openVehicleRegister, type VehicleRegister } from "./storage/register.ts";

export interface VehiclesServerOptions {
  dataDir: string;
  url?: string;
  port: number;
  host?: string;
  /** The roots of the trust services (the config's `trust` file, read by the caller). */
  trustAnchors: ValidationOptions["trustAnchors"];
}

export interface VehiclesServer {
  url: string;
  service: MemberService;
  register: VehicleRegister;
  close(): Promise<void>;
}

export async function startVehicles(options: VehiclesServerOptions): Promise<VehiclesServer> {
  const register = await openVehicleRegister(
    { dataDir: options.dataDir, ...(options.url ? { url: options.url } : {}) },
    { trustAnchors: options.trustAnchors },
  );
  const service = createVehicleRegisterService(register);
  const url = await listenOrRelease(service, options, () => register.close());
  service.logger.info({ url }, "vehicle register listening");
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
