// Errors as FHIR R4 OperationOutcome (operationoutcome.html): one issue per problem, its type
// from the issue-type value set, riik's code in details, and the field as a FHIRPath
// expression (issue.expression) so a client can point at it.
import type { OperationOutcome, OperationOutcomeIssue } from "@medplum/fhirtypes";
import { Type } from "typebox";
import { ERROR_SYSTEM } from "./identifiers.ts";

export const OPERATION_OUTCOME = Type.Object(
  {
    resourceType: Type.Literal("OperationOutcome"),
    issue: Type.Array(
      Type.Object(
        {
          severity: Type.String(),
          code: Type.String(),
          details: Type.Optional(Type.Object({}, { additionalProperties: true })),
          diagnostics: Type.Optional(Type.String()),
          expression: Type.Optional(Type.Array(Type.String())),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true, description: "FHIR R4 OperationOutcome" },
);

export function outcome(
  issueType: string,
  code: string,
  message: string,
  expressions: readonly string[] = [],
  severity: OperationOutcomeIssue["severity"] = "error",
): OperationOutcome {
  return {
    resourceType: "OperationOutcome",
    issue: [
      {
        severity,
        code: issueType as OperationOutcomeIssue["code"],
        details: { coding: [{ system: ERROR_SYSTEM, code }], text: message },
        diagnostics: message,
        ...(expressions.length > 0 ? { expression: [...expressions] } : {}),
      },
    ],
  };
}

/**
 * A JSON pointer into a resource (Ajv's instancePath) as a FHIRPath expression:
 * `/identifier/0/value` of a Patient is `Patient.identifier[0].value`.
 */
export function fhirPath(root: string, pointer: string, missing?: string): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let path = root;
  for (const part of [...parts, ...(missing ? [missing] : [])])
    path += /^[0-9]+$/.test(part) ? `[${part}]` : `.${part}`;
  return path;
}
