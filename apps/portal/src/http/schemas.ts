import { Type } from "typebox";

// Request schemas of every portal route (#10). Bodies are not coerced and unknown fields are
// refused (400 REQUEST_INVALID from @riik/core); what a schema cannot say (base64 that
// decodes, a safe file name, a Web eID token's fields) the handlers check with their own codes.

/** A route that takes nothing: no query parameters. */
export const NO_INPUT = { querystring: Type.Object({}, { additionalProperties: false }) };

/**
 * The page: `?lang=et|en` chooses the language (src/browser/app.ts); `from=login` is the
 * return from a login, `login=CODE` why a login came back refused, `logout=done` the return
 * from the provider's logout.
 */
export const PAGE = {
  querystring: Type.Object(
    {
      lang: Type.Optional(Type.String({ maxLength: 8 })),
      login: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9_]{1,64}$" })),
      logout: Type.Optional(Type.Literal("done")),
      from: Type.Optional(Type.Literal("login")),
    },
    { additionalProperties: false },
  ),
};

/** An id the portal made (randomBytes, base64url). */
const STORE_ID = Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" });

/** Off to the authentication service; `lang` becomes its `ui_locales`. */
export const AUTH_START = {
  querystring: Type.Object(
    { lang: Type.Optional(Type.Union([Type.Literal("et"), Type.Literal("en")])) },
    { additionalProperties: false },
  ),
};

/** Act for someone the person may represent (`for` = their `sub`), or for oneself again (`self`). */
export const AUTH_ACT = {
  querystring: Type.Object(
    {
      for: Type.String({ pattern: "^(self|[A-Z]{2}[0-9A-Z]{1,32})$" }),
      lang: Type.Optional(Type.Union([Type.Literal("et"), Type.Literal("en")])),
    },
    { additionalProperties: false },
  ),
};

/** The authorization response (OIDC Core 3.1.2.5-6, RFC 9207 `iss`); openid-client checks the values. */
export const AUTH_CALLBACK = {
  querystring: Type.Object(
    {
      code: Type.Optional(Type.String({ maxLength: 512 })),
      state: Type.Optional(Type.String({ maxLength: 512 })),
      iss: Type.Optional(Type.String({ maxLength: 512 })),
      error: Type.Optional(Type.String({ maxLength: 128 })),
      error_description: Type.Optional(Type.String({ maxLength: 2048 })),
    },
    { additionalProperties: false },
  ),
};

/** OpenID Connect Back-Channel Logout 1.0, 2.5: `logout_token` in a form body. */
export const BACKCHANNEL_LOGOUT = {
  ...NO_INPUT,
  body: Type.Object(
    { logout_token: Type.String({ minLength: 1, maxLength: 16_384 }) },
    { additionalProperties: false },
  ),
};

export const LOGOUT = { ...NO_INPUT, body: Type.Object({}, { additionalProperties: false }) };

export const USAGE_PROOF = {
  querystring: Type.Object(
    { provider: Type.String({ minLength: 1, maxLength: 300 }), id: Type.Integer({ minimum: 1 }) },
    { additionalProperties: false },
  ),
};

/** Field types only; names, base64 and sizes are checked by parsePrepareRequest (`details.fields`). */
export const SIGN_PREPARE = {
  ...NO_INPUT,
  body: Type.Object({
    certificate: Type.String(),
    files: Type.Optional(Type.Array(Type.Object({}))),
    container: Type.Optional(Type.Object({})),
  }),
};

export const SIGN_FINISH = { ...NO_INPUT, body: Type.Object({}) };

export const SIGNED_CONTAINER = { ...NO_INPUT, params: Type.Object({ id: STORE_ID }, { additionalProperties: false }) };

/** The body is the container itself (raw bytes), read by the ZIP content-type parser. */
export const CONTAINER_VALIDATE = NO_INPUT;

export const OPERATOR = {
  ...NO_INPUT,
  headers: Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 4096 })) }),
};
