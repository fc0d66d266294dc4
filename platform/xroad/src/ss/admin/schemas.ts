import { Type } from "typebox";

// Request schemas of the security server's administration API: every route declares what
// it takes, so malformed input is REQUEST_INVALID (400) before a handler or the store sees it.
// LocalConf still checks meaning (a client id's parts, a URL, a path pattern).

/** Routes that take no query parameters refuse any rather than ignore them. */
export const NO_QUERY = Type.Object({}, { additionalProperties: false });

/** A client id, group subject or service code as one path segment (percent-encoded in the URL). */
const id = Type.String({ minLength: 1, maxLength: 1024 });
const code = Type.String({ minLength: 1, maxLength: 255 });
const subject = Type.String({ minLength: 1, maxLength: 1024 });

export const CLIENT_PARAMS = Type.Object({ id }, { additionalProperties: false });
export const SERVICE_PARAMS = Type.Object({ id, code }, { additionalProperties: false });
export const SUBJECT_PARAMS = Type.Object({ id, subject }, { additionalProperties: false });

/** X-Road's message ids (PR-REST 4.3 X-Road-Id). */
export const QUERY_ID_QUERY = Type.Object(
  { queryId: Type.String({ pattern: "^[\\x21-\\x7e]{1,255}$" }) },
  { additionalProperties: false },
);

const connection = Type.Union([Type.Literal("http"), Type.Literal("https")]);
const loggingMode = Type.Union([Type.Literal("full"), Type.Literal("metadata")]);
/** IPv4 or IPv6 text; LocalConf compares it with the socket's address. */
const address = Type.String({ pattern: "^[0-9a-fA-F.:]{2,45}$" });
const clientSettings = {
  connection: Type.Optional(connection),
  allowedAddresses: Type.Optional(Type.Array(address, { maxItems: 1000 })),
  loggingMode: Type.Optional(loggingMode),
};

export const ADD_CLIENT_BODY = Type.Object({ id, ...clientSettings }, { additionalProperties: false });
export const UPDATE_CLIENT_BODY = Type.Object(clientSettings, { additionalProperties: false });
export const CERTIFICATE_BODY = Type.Object(
  { certificate: Type.String({ minLength: 1, maxLength: 64 * 1024 }) },
  { additionalProperties: false },
);
export const READER_BODY = Type.Object({ reader: subject }, { additionalProperties: false });
export const HIDE_GRANT_BODY = Type.Object({ consumer: subject }, { additionalProperties: false });

/** An HTTP method or `*` (any); LocalConf upper-cases it. */
const method = Type.String({ pattern: "^(\\*|[A-Za-z]{1,10})$" });
const pathPattern = Type.String({ minLength: 1, maxLength: 1024 });
const endpoint = Type.Object({ method, path: pathPattern }, { additionalProperties: false });

export const SERVICE_BODY = Type.Object(
  {
    serviceCode: code,
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
    endpoints: Type.Optional(Type.Array(endpoint, { maxItems: 10_000 })),
    /** OpenAPI 3 as JSON or YAML text, or as the parsed document. */
    openapi: Type.Optional(Type.Union([Type.String({ maxLength: 2 * 1024 * 1024 }), Type.Object({})])),
    /** How the provider side reaches the information system (information-system-tls.ts); default from the URL. */
    connection: Type.Optional(Type.Union([Type.Literal("http"), Type.Literal("https-no-auth"), Type.Literal("https")])),
    personalData: Type.Optional(
      Type.Union([
        Type.Boolean(),
        Type.Object(
          {
            subjectsHeader: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            subjectPathParam: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            subjectPathPattern: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
);

const accessRight = { subject, method: Type.Optional(method), path: Type.Optional(pathPattern) };
export const ACCESS_BODY = Type.Object(accessRight, { additionalProperties: false });
export const ACCESS_QUERY = Type.Object(accessRight, { additionalProperties: false });
export const LOCAL_GROUP_BODY = Type.Object(
  { members: Type.Array(subject, { maxItems: 10_000 }) },
  { additionalProperties: false },
);
