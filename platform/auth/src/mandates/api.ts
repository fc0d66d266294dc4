import type { RiikFastify } from "@riik/core";
import { declareDataSubjects } from "@riik/kit";
import type { FastifyRequest } from "fastify";
import type { Provider } from "oidc-provider";
import { Type } from "typebox";
import { MandateError } from "./errors.ts";
import type { ExplicitMandates } from "./explicit-mandates.ts";

const SUBJECT = "^[A-Z]{2}[0-9]{11}$";

const MANDATE = Type.Object({
  id: Type.String(),
  iss: Type.String(),
  grantor: Type.String(),
  representative: Type.String(),
  role: Type.String(),
  validFrom: Type.String(),
  validUntil: Type.Union([Type.String(), Type.Null()]),
  grantedAt: Type.String(),
  grantedBy: Type.String(),
  revokedAt: Type.Optional(Type.String()),
  revokedBy: Type.Optional(Type.String()),
  status: Type.Union([
    Type.Literal("valid"),
    Type.Literal("pending"),
    Type.Literal("expired"),
    Type.Literal("revoked"),
  ]),
  seal: Type.String(),
  revocationSeal: Type.Optional(Type.String()),
});

const GRANT = Type.Object(
  {
    /** `EE` + personal code of the person who may then act for the caller. */
    representative: Type.String({ minLength: 11, maxLength: 13 }),
    role: Type.String({ minLength: 1, maxLength: 100 }),
    validFrom: Type.Optional(Type.String({ format: "date-time" })),
    validUntil: Type.Optional(Type.String({ format: "date-time" })),
  },
  { additionalProperties: false },
);

/**
 * The person behind a bearer access token of this provider (RFC 6750 2.1) with scopes
 * `openid` and `mandates`. Only a relying party registered for `mandates` (the portal) gets
 * such a token, so an e-service holding a person's login token cannot grant in their name.
 * No valid token is MANDATE_UNAUTHENTICATED (401), one without the scope
 * MANDATE_INSUFFICIENT_SCOPE (403), each with its RFC 6750 3.1 challenge.
 */
async function caller(provider: Provider, request: FastifyRequest): Promise<string> {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(request.headers.authorization ?? "");
  const token = match ? await provider.AccessToken.find(match[1]!) : undefined;
  const scopes = token?.scope?.split(" ") ?? [];
  if (!token || token.isExpired || !token.accountId || !scopes.includes("openid"))
    throw new MandateError(
      "MANDATE_UNAUTHENTICATED",
      "a valid access token of this provider with scopes openid and mandates is needed",
    );
  if (!scopes.includes("mandates"))
    throw new MandateError(
      "MANDATE_INSUFFICIENT_SCOPE",
      "this access token lacks the scope mandates: only a relying party registered for it may manage mandates",
    );
  return token.accountId;
}

const codes = (...subjects: string[]) => [...new Set(subjects.map((subject) => subject.slice(2)))];

/**
 * The mandates a person holds and has granted, on the auth server: `GET /mandates`,
 * `POST /mandates` (grant), `POST /mandates/{id}/revocation`. The person is the subject of
 * the bearer access token; every answer names the people it concerns as data subjects.
 */
export function mandateRoutes(app: RiikFastify, mandates: ExplicitMandates, provider: () => Provider): void {
  const unauthenticated = (reply: { header(name: string, value: string): unknown }) =>
    reply.header("www-authenticate", 'Bearer error="invalid_token"');
  app.addHook("onError", async (request, reply, error) => {
    const code = (error as { code?: string }).code;
    if (!request.url.startsWith("/mandates")) return;
    if (code === "MANDATE_UNAUTHENTICATED") unauthenticated(reply);
    if (code === "MANDATE_INSUFFICIENT_SCOPE")
      reply.header("www-authenticate", 'Bearer error="insufficient_scope", scope="openid mandates"');
  });

  app.get(
    "/mandates",
    {
      schema: {
        response: {
          200: Type.Object({
            subject: Type.String({ pattern: SUBJECT }),
            held: Type.Array(MANDATE),
            granted: Type.Array(MANDATE),
          }),
        },
      },
    },
    async (request, reply) => {
      const subject = await caller(provider(), request);
      const { held, granted } = await mandates.of(subject);
      reply.header("cache-control", "no-store");
      declareDataSubjects(
        reply,
        codes(subject, ...held.map((m) => m.grantor), ...granted.map((m) => m.representative)),
      );
      return { subject, held, granted };
    },
  );

  app.post("/mandates", { schema: { body: GRANT, response: { 201: MANDATE } } }, async (request, reply) => {
    const subject = await caller(provider(), request);
    const { representative, role, validFrom, validUntil } = request.body;
    const mandate = await mandates.grant({
      grantor: subject,
      representative,
      role,
      ...(validFrom ? { validFrom: new Date(validFrom) } : {}),
      ...(validUntil ? { validUntil: new Date(validUntil) } : {}),
      by: subject,
    });
    declareDataSubjects(reply, codes(mandate.grantor, mandate.representative));
    return reply.status(201).send(mandate);
  });

  app.post(
    "/mandates/:id/revocation",
    {
      schema: {
        params: Type.Object({ id: Type.String({ format: "uuid" }) }),
        response: { 200: MANDATE },
      },
    },
    async (request, reply) => {
      const subject = await caller(provider(), request);
      const mandate = await mandates.revoke(request.params.id, { grantor: subject, by: subject });
      declareDataSubjects(reply, codes(mandate.grantor, mandate.representative));
      return mandate;
    },
  );
}
