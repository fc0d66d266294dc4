// The health information system's service on the kit's member service: the FHIR R4 API under
// /fhir (its own error answers, OperationOutcome), OpenAPI 3.1 at /openapi.json, /healthz, /metrics.
import { createMemberService, describedOpenApi, type MemberService } from "@riik/kit";
import { HEALTH_ERRORS } from "../errors.ts";
import type { PrescriptionCentre } from "../prescriptions/centre.ts";
import type { HealthStore } from "../storage/health-store.ts";
import { fhirRoutes } from "./fhir-routes.ts";

export function createHealthService(store: HealthStore, centre: PrescriptionCentre): MemberService {
  return createMemberService({
    name: "health",
    title: "riik health information system",
    version: "1.0.0",
    description:
      "The health information system and the prescription centre as an HL7 FHIR R4 API: patients, professionals and their roles, visits and their summaries, closures, every read as an AuditEvent, e-prescriptions signed by the doctor and dispensed on the personal code.",
    errors: HEALTH_ERRORS,
    routes(app) {
      app.register(fhirRoutes(store, centre), { prefix: "/fhir" });
    },
  });
}

/** The OpenAPI 3.1 document without a running store (for the security server before it starts). */
export function healthOpenApi(): Promise<Record<string, unknown>> {
  return describedOpenApi(createHealthService({} as HealthStore, {} as PrescriptionCentre));
}
