import { Type } from "typebox";

// Request schemas of the central server's API: every route declares what it takes, so a
// number, a boolean or an unknown field is REQUEST_INVALID (400) before the registry (and the
// signed global configuration) sees it. The registry still checks meaning: the instance, and
// that a named member, subsystem, server or group exists (XROAD_NOT_FOUND).

/** PR-REST 4.8: an identifier part is letters, digits and '()+,-.=? (no encoding needed). */
const PART = "[A-Za-z0-9'()+,\\-.=?]{1,255}";
export const IDENTIFIER_PART = Type.String({ pattern: `^${PART}$` });
/** INSTANCE/CLASS/MEMBER[/SUBSYSTEM] (PR-MESS 1.3). */
export const CLIENT_ID = Type.String({ pattern: `^${PART}/${PART}/${PART}(/${PART})?$` });
/** INSTANCE/CLASS/MEMBER/SUBSYSTEM, and a server id INSTANCE/CLASS/MEMBER/SERVERCODE. */
export const FOUR_PART_ID = Type.String({ pattern: `^${PART}/${PART}/${PART}/${PART}$` });
const NAME = Type.String({ minLength: 1, maxLength: 255 });
const BASE64 = Type.String({ pattern: "^[A-Za-z0-9+/]+={0,2}$", maxLength: 64 * 1024 });
/** A PEM certificate or base64 DER (parseCertificateText reads both). */
const CERTIFICATE_TEXT = Type.String({ minLength: 1, maxLength: 64 * 1024 });
const URL_TEXT = Type.String({ pattern: "^https?://", maxLength: 2048 });

const object = <P extends Record<string, any>>(properties: P) =>
  Type.Object(properties, { additionalProperties: false });

/** Routes that take no query parameters refuse any rather than ignore them. */
export const NO_QUERY = object({});

export const MEMBER_BODY = object({ memberClass: IDENTIFIER_PART, memberCode: IDENTIFIER_PART, name: NAME });
export const SUBSYSTEM_BODY = object({ id: FOUR_PART_ID, name: Type.Optional(NAME) });
export const CLIENT_BODY = object({ client: CLIENT_ID });
export const GROUP_BODY = object({
  groupCode: IDENTIFIER_PART,
  description: Type.Optional(Type.String({ maxLength: 1024 })),
});
export const AUTH_CERT_BODY = object({ certificate: CERTIFICATE_TEXT });

export const CLIENT_PARAMS = object({ id: CLIENT_ID });
export const SERVER_PARAMS = object({ id: FOUR_PART_ID });
export const SERVER_CLIENT_PARAMS = object({ id: FOUR_PART_ID, client: CLIENT_ID });
export const SERVER_CERT_PARAMS = object({ id: FOUR_PART_ID, hash: Type.String({ pattern: "^[0-9a-fA-F]{64}$" }) });
export const GROUP_PARAMS = object({ code: IDENTIFIER_PART });
export const GROUP_MEMBER_PARAMS = object({ code: IDENTIFIER_PART, client: CLIENT_ID });
/** Path parameters are coerced (core): "7" becomes 7, "x" is refused. */
export const REQUEST_PARAMS = object({ id: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }) });

/** PR-MSERV authCertReg, simplified: signed with the authentication key (proof of possession). */
export const REGISTRATION_BODY = object({
  serverId: FOUR_PART_ID,
  address: URL_TEXT,
  authCertificate: BASE64,
  submittedAt: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T", maxLength: 64 }),
  proof: BASE64,
});

export const TRUST_BODY = object({
  serverCas: Type.Array(CERTIFICATE_TEXT, { maxItems: 100 }),
  roots: Type.Optional(Type.Array(CERTIFICATE_TEXT, { maxItems: 100 })),
  tsa: Type.Optional(Type.Array(object({ url: URL_TEXT, certificate: CERTIFICATE_TEXT }), { maxItems: 100 })),
  ledger: Type.Optional(
    Type.Union([
      Type.Null(),
      object({
        url: URL_TEXT,
        keys: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 100 }),
        witnesses: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 100 })),
      }),
    ]),
  ),
});
