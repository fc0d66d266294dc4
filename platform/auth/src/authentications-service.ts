import { isValidPersonalCode } from "@riik/core";
import { createMemberService, declareDataSubjects, type MemberService } from "@riik/kit";
import { Type } from "typebox";
import type { Authentications } from "./authentications.ts";
import { AUTH_ERRORS, AuthError } from "./errors.ts";

const SUBJECT = "^[A-Z]{2}[0-9]{11}$";

/** The X-Road service code of a person's login record (the portal reads it as a personal-data service). */
export const AUTHENTICATIONS_SERVICE_CODE = "authentications";

/**
 * The record of a person's logins as a service of the exchange layer: `GET
 * /authentications/{subject}`, a personal-data service the portal reads over X-Road. It has a
 * listener of its own, for the security server only: the provider's port faces the internet,
 * and a login history must not be readable there by whoever asks.
 */
export function createAuthenticationsService(
  authentications: Pick<Authentications, "of">,
  logger?: Parameters<typeof createMemberService>[0]["logger"],
): MemberService {
  return createMemberService({
    name: "auth-exchange",
    title: "National authentication service: logins",
    version: "1.0.0",
    description: "Who logged in, to which e-service, how and when (issue 12); personal data",
    errors: AUTH_ERRORS,
    ...(logger ? { logger } : {}),
    routes(app) {
      app.get(
        "/authentications/:subject",
        {
          schema: {
            operationId: "getAuthentications",
            params: Type.Object({ subject: Type.String({ pattern: SUBJECT }) }),
            querystring: Type.Object(
              { limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) },
              { additionalProperties: false },
            ),
            response: {
              200: Type.Object({
                subject: Type.String(),
                authentications: Type.Array(
                  Type.Object({
                    clientId: Type.String(),
                    method: Type.String(),
                    acr: Type.String(),
                    at: Type.String({ format: "date-time" }),
                    representee: Type.Optional(Type.String()),
                  }),
                ),
              }),
            },
          },
        },
        async (request, reply) => {
          const { subject } = request.params;
          const code = subject.slice(2);
          if (!subject.startsWith("EE") || !isValidPersonalCode(code))
            throw new AuthError("AUTH_SUBJECT_INVALID", "the subject must be EE and a valid personal code");
          const records = await authentications.of(subject, request.query.limit);
          declareDataSubjects(reply, [code]);
          return {
            subject,
            authentications: records.map((r) => ({
              clientId: r.clientId,
              method: r.method,
              acr: r.acr,
              at: r.at.toISOString(),
              ...(r.representee ? { representee: r.representee } : {}),
            })),
          };
        },
      );
    },
  });
}

/** The service's OpenAPI document (what the security server's getOpenAPI shows), no storage needed. */
export function authenticationsOpenApi(): Promise<Record<string, unknown>> {
  return createAuthenticationsService({ of: async () => [] }).openapi();
}
