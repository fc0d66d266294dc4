// What a provider's error answer says, as it passes through both security servers unchanged:
// riik's own `{code, message}`, or a FHIR R4 OperationOutcome (HL7 FHIR R4 §3.1.0.5: the first
// issue's details.coding code and details.text, else its diagnostics) from a FHIR provider
// such as the health system. Untrusted bytes: anything else says nothing, and both are bounded.

export interface ProviderError {
  code?: string;
  message?: string;
}

const text = (value: unknown, limit: number): string | undefined =>
  typeof value === "string" && value.length > 0 ? value.slice(0, limit) : undefined;

export function providerErrorOf(body: unknown): ProviderError {
  const record = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  let code: unknown = record.code;
  let message: unknown = record.message;
  if (record.resourceType === "OperationOutcome") {
    const issue = Array.isArray(record.issue) ? record.issue[0] : undefined;
    const { details, diagnostics } = (typeof issue === "object" && issue !== null ? issue : {}) as {
      details?: { coding?: unknown; text?: unknown };
      diagnostics?: unknown;
    };
    const coding = Array.isArray(details?.coding) ? (details.coding[0] as { code?: unknown } | undefined) : undefined;
    code = coding?.code;
    message = details?.text ?? diagnostics;
  }
  const known = { code: text(code, 100), message: text(message, 500) };
  return {
    ...(known.code ? { code: known.code } : {}),
    ...(known.message ? { message: known.message } : {}),
  };
}
