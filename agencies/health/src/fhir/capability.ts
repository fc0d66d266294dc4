// GET /fhir/metadata: the CapabilityStatement (capabilitystatement.html) says exactly what is
// served: per type the interactions and search parameters, and the _include values.
import type { CapabilityStatement, CapabilityStatementRestResource } from "@medplum/fhirtypes";
import { PATIENT_UPDATABLE } from "./create.ts";
import { type CreatableType, RESOURCE_TYPES, SCHEMAS, SEARCH_PARAMETERS } from "./resources.ts";

export function capabilityStatement(baseUrl: string, at: Date): CapabilityStatement {
  const resource: CapabilityStatementRestResource[] = RESOURCE_TYPES.map((type) => {
    const params = Object.entries(SEARCH_PARAMETERS[type]);
    const interactions: Array<"read" | "vread" | "history-instance" | "search-type" | "create" | "update"> = [
      "read",
      "vread",
      "history-instance",
      "search-type",
    ];
    if (type in SCHEMAS) interactions.push("create");
    if ((PATIENT_UPDATABLE as readonly string[]).includes(type)) interactions.push("update");
    return {
      type: type as CreatableType,
      interaction: interactions.map((code) => ({ code })),
      versioning: "versioned",
      readHistory: true,
      updateCreate: false,
      searchInclude: params.filter(([, p]) => p.kind === "reference").map(([name]) => `${type}:${name}`),
      searchParam: params.map(([name, p]) => ({ name, type: p.kind, documentation: p.path })),
      ...(type === "MedicationRequest"
        ? {
            operation: [
              { name: "sign", definition: "https://riik.ee/fhir/OperationDefinition/MedicationRequest-sign" },
            ],
          }
        : {}),
    };
  });
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: at.toISOString().slice(0, 10),
    publisher: "riik",
    kind: "instance",
    software: { name: "riik health information system", version: "0.1.0" },
    implementation: { description: "riik's health information system and prescription centre", url: baseUrl },
    fhirVersion: "4.0.1",
    format: ["application/fhir+json", "json"],
    rest: [
      {
        mode: "server",
        documentation:
          "Called over X-Road: X-Road-Client is the provider, X-Road-UserId the person acting, X-Road-Issue the purpose; X-Riik-Purpose-Of-Use: ETREAT asks for an emergency read. Paging: _count (max 100) and _offset, Bundle.link next.",
        security: { description: "Professionals read with an active role and a purpose; every read is an AuditEvent." },
        resource,
      },
    ],
  };
}
