import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleBrowserScript, type WebAsset, webAsset } from "@riik/core/web-assets";
import { OID } from "@riik/pki";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { base64url, fromBase64url } from "./app-key.ts";
import { APP_LOGIN_ERRORS, AppLoginError } from "./errors.ts";
import type { AppSide } from "./service.ts";

export interface AppLoginPluginOptions {
  /** The service createAppLoginService made (its phone side answers this plugin's API). */
  service: AppSide;
}

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** The page, its script (browser/app.ts with the shared key and code modules) and its style, in memory, once. */
async function buildAssets(): Promise<Record<"page" | "script" | "style", WebAsset>> {
  return {
    page: webAsset(readFileSync(here("browser/app.html")), "text/html; charset=utf-8"),
    script: await bundleBrowserScript(here("browser/app.ts"), "the app page"),
    style: webAsset(readFileSync(here("browser/app.css")), "text/css; charset=utf-8"),
  };
}

// The page loads its own script and style only and talks to its own origin only.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const BASE64URL = "^[A-Za-z0-9_-]+$";
const SESSION = Type.Object({ sessionId: Type.String({ pattern: "^[A-Za-z0-9_-]{43}$" }) });
const AUTHORISED = Type.Object({ authorization: Type.String({ pattern: "^Bearer [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$" }) });
const NO_QUERY = Type.Object({}, { additionalProperties: false });
const OUTCOME = Type.Object({
  state: Type.Union([Type.Literal("COMPLETE"), Type.Literal("FAILED")]),
  code: Type.Optional(Type.String()),
});

/**
 * The phone side of the app login, mounted in the authentication service: the `/app` page
 * and its JSON API under `/app/api/`. The app authenticates with the credential it got at
 * enrolment (`Authorization: Bearer …`, no cookies, so no cross-site request can use it);
 * its own error handler answers AppLoginError codes with APP_LOGIN_ERRORS' statuses and
 * leaves every other error to the host service's handler.
 */
export const appLoginPlugin: FastifyPluginAsync<AppLoginPluginOptions> = async (app, { service }) => {
  const assets = await buildAssets();
  app.setErrorHandler((error, _request, reply) => {
    if (!(error instanceof AppLoginError)) throw error;
    const status = APP_LOGIN_ERRORS[error.code].status;
    if (status >= 500) reply.log.error({ err: error }, "app login failed");
    return reply.status(status).send(error.toJSON());
  });
  app.addHook("onSend", async (request, reply) => {
    if (request.routeOptions.url?.includes("/app/api/")) reply.header("cache-control", "no-store");
  });

  const serve = (which: keyof typeof assets) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { body, contentType, etag } = assets[which];
    reply
      .header("etag", etag)
      .header("cache-control", "no-cache")
      .header("content-security-policy", CONTENT_SECURITY_POLICY)
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer");
    if (request.headers["if-none-match"] === etag) return reply.status(304).send();
    return reply.type(contentType).send(body);
  };
  app.get("/app", { schema: { querystring: NO_QUERY } }, serve("page"));
  app.get("/app/app.js", { schema: { querystring: NO_QUERY } }, serve("script"));
  app.get("/app/app.css", { schema: { querystring: NO_QUERY } }, serve("style"));

  const credentialOf = (request: FastifyRequest) => String(request.headers.authorization).slice("Bearer ".length);

  app.post(
    "/app/api/enrol",
    {
      schema: {
        body: Type.Object(
          {
            code: Type.String({ minLength: 16, maxLength: 40 }),
            publicKey: Type.String({ pattern: BASE64URL, maxLength: 200 }),
            proof: Type.String({ pattern: BASE64URL, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const body = request.body as { code: string; publicKey: string; proof: string };
      const enrolled = await service.enrol({
        code: body.code,
        publicKey: fromBase64url(body.publicKey),
        proof: fromBase64url(body.proof),
      });
      const subject = enrolled.certificate.subjectName;
      return {
        credential: enrolled.credential,
        personalCode: subject.getField(OID.serialNumber)[0]?.replace(/^PNO[A-Z]{2}-/, ""),
        givenName: subject.getField(OID.givenName)[0],
        surname: subject.getField(OID.surname)[0],
        certificate: base64url(enrolled.certificate.rawData),
      };
    },
  );

  app.get("/app/api/pending", { schema: { headers: AUTHORISED, querystring: NO_QUERY } }, async (request) => {
    const { personalCode, logins } = await service.pending(credentialOf(request));
    return { personalCode, logins: logins.map((l) => ({ ...l, expiresAt: l.expiresAt.toISOString() })) };
  });

  app.post(
    "/app/api/sessions/:sessionId/confirm",
    {
      schema: {
        params: SESSION,
        headers: AUTHORISED,
        body: Type.Object(
          {
            verificationCode: Type.String({ pattern: "^[0-9]{4}$" }),
            signature: Type.String({ pattern: BASE64URL, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: OUTCOME },
      },
    },
    async (request) => {
      const { sessionId } = request.params as { sessionId: string };
      const body = request.body as { verificationCode: string; signature: string };
      const result = await service.confirm(credentialOf(request), sessionId, {
        verificationCode: body.verificationCode,
        signature: fromBase64url(body.signature),
      });
      return result.state === "FAILED" ? result : { state: result.state };
    },
  );

  app.post(
    "/app/api/sessions/:sessionId/refuse",
    {
      schema: {
        params: SESSION,
        headers: AUTHORISED,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: OUTCOME },
      },
    },
    async (request) => {
      const { sessionId } = request.params as { sessionId: string };
      return service.refuse(credentialOf(request), sessionId);
    },
  );
};
