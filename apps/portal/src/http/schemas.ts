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

// ---- the e-Business Register (issue #14, contract E)

const REGISTRY_CODE = Type.String({ pattern: "^[0-9]{8}$" });
/** The register's application id (a UUID). */
const APPLICATION_ID = Type.String({
  pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
});
const NAME = Type.String({ minLength: 1, maxLength: 100 });
const PERSON = Type.Object(
  { personalCode: Type.String({ pattern: "^[1-8][0-9]{10}$" }), givenName: NAME, surname: NAME },
  { additionalProperties: false },
);

/** A company page: its registry code. */
export const COMPANY_PAGE = {
  ...NO_INPUT,
  params: Type.Object({ code: REGISTRY_CODE }, { additionalProperties: false }),
};

export const NAME_CHECK = {
  querystring: Type.Object({ name: Type.String({ minLength: 2, maxLength: 120 }) }, { additionalProperties: false }),
};

/**
 * The founding application of an OÜ, as the business register takes it (its README, "Founding
 * an OÜ"): the register checks the rules of meaning (name, shares adding up to the capital, codes).
 */
export const FOUNDING_APPLICATION = {
  ...NO_INPUT,
  body: Type.Object(
    {
      name: Type.String({ minLength: 2, maxLength: 120 }),
      legalForm: Type.Literal("OÜ"),
      seatAddress: Type.String({ minLength: 5, maxLength: 200 }),
      email: Type.String({ pattern: "^[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+$", maxLength: 200 }),
      activity: Type.String({ pattern: "^[0-9]{5}$" }),
      shareCapitalCents: Type.Integer({ minimum: 0 }),
      founders: Type.Array(
        Type.Object(
          { ...PERSON.properties, shareCents: Type.Integer({ minimum: 1 }) },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 50 },
      ),
      board: Type.Array(PERSON, { minItems: 1, maxItems: 20 }),
      contactPerson: Type.Optional(PERSON),
      beneficialOwners: Type.Array(PERSON, { minItems: 1, maxItems: 50 }),
      representation: Type.Union([Type.Literal("alone"), Type.Literal("jointly")]),
      articles: Type.Literal("standard"),
    },
    { additionalProperties: false },
  ),
};

export const APPLICATION_PAGE = {
  ...NO_INPUT,
  params: Type.Object({ id: APPLICATION_ID }, { additionalProperties: false }),
};

/** A founder's signing certificate (PEM, from the card file); checked like any signer's. */
export const FOUNDER_PREPARE = {
  ...APPLICATION_PAGE,
  body: Type.Object({ certificate: Type.String({ minLength: 1, maxLength: 16_384 }) }, { additionalProperties: false }),
};

export const FOUNDER_FINISH = {
  ...APPLICATION_PAGE,
  body: Type.Object(
    { id: STORE_ID, signatureValue: Type.String({ minLength: 4, maxLength: 2048 }) },
    { additionalProperties: false },
  ),
};

export const REGISTRATION = { ...APPLICATION_PAGE, body: Type.Object({}, { additionalProperties: false }) };

// ---- e-Residency (issue #14, contract D): applying needs no login

const DATE = Type.String({ pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" });
/** ER-2026-000123 */
const E_RESIDENCY_NUMBER = Type.String({ pattern: "^ER-[0-9]{4}-[0-9]{6,9}$" });
/** 256 random bits as the agency writes them (base64url or hex). */
const ACCESS_KEY = Type.String({ pattern: "^[A-Za-z0-9_-]{32,128}$" });

export const E_RESIDENCY_APPLY = {
  ...NO_INPUT,
  body: Type.Object(
    {
      givenName: NAME,
      surname: NAME,
      dateOfBirth: DATE,
      sex: Type.Union([Type.Literal("male"), Type.Literal("female")]),
      citizenship: Type.String({ pattern: "^[A-Z]{2}$" }),
      documentNumber: Type.String({ pattern: "^[A-Z0-9]{5,20}$" }),
      documentExpires: DATE,
      email: Type.String({ pattern: "^[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+$", maxLength: 200 }),
      // At most 2 MB decoded: base64 is 4/3 of that.
      photo: Type.String({ minLength: 16, maxLength: Math.ceil((2 * 1024 * 1024 * 4) / 3) + 4 }),
      reason: Type.String({ minLength: 1, maxLength: 1000 }),
      pickupLocation: Type.String({ minLength: 1, maxLength: 100 }),
    },
    { additionalProperties: false },
  ),
};

export const E_RESIDENCY_KEYED = {
  ...NO_INPUT,
  params: Type.Object({ number: E_RESIDENCY_NUMBER }, { additionalProperties: false }),
  body: Type.Object({ accessKey: ACCESS_KEY }, { additionalProperties: false }),
};

// ---- the state inbox and the family benefits (issue #13): always the person logged in

/** A message's id as the inbox makes it (a UUID). */
const MESSAGE_ID = Type.String({ pattern: "^[A-Za-z0-9-]{1,64}$" });

/** The person's messages, newest first; `before` is the `next` of the previous page. */
export const INBOX_LIST = {
  querystring: Type.Object(
    { before: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9_.:-]{1,20}$" })) },
    { additionalProperties: false },
  ),
};

export const INBOX_MESSAGE = {
  ...NO_INPUT,
  params: Type.Object({ id: MESSAGE_ID }, { additionalProperties: false }),
};

export const INBOX_READ = { ...INBOX_MESSAGE, body: Type.Object({}, { additionalProperties: false }) };

/** Where notices of new messages are e-mailed: an address, or null for none. */
export const INBOX_FORWARDING = {
  ...NO_INPUT,
  body: Type.Object(
    { email: Type.Union([Type.String({ format: "email", maxLength: 254 }), Type.Null()]) },
    { additionalProperties: false },
  ),
};

/**
 * Which parent receives the offer's benefits and to which account. The IBAN's check digits
 * (ISO 13616) are the Board's to judge: its IBAN_INVALID comes back as PORTAL_REFUSED.
 */
export const BENEFIT_CONFIRMATION = {
  ...NO_INPUT,
  params: Type.Object(
    { id: Type.String({ pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" }) },
    { additionalProperties: false },
  ),
  body: Type.Object(
    {
      recipient: Type.String({ pattern: "^[1-8][0-9]{10}$" }),
      iban: Type.String({ minLength: 15, maxLength: 42, pattern: "^[A-Za-z0-9 ]+$" }),
    },
    { additionalProperties: false },
  ),
};

// ---- the pre-filled income tax return (issue #13): always the person logged in

const TAX_YEAR = Type.Object({ year: Type.String({ pattern: "^20[0-9]{2}$" }) }, { additionalProperties: false });

export const TAX_RETURN = { ...NO_INPUT, params: TAX_YEAR };

/**
 * The person's own figure for a line. Which lines take one (training, interest:<bank>,
 * pension:<fund>) is the Board's to say: another line is its LINE_NOT_CORRECTABLE.
 */
export const TAX_LINE_CORRECTION = {
  ...NO_INPUT,
  params: Type.Object(
    {
      year: TAX_YEAR.properties.year,
      line: Type.String({ pattern: "^[a-z-]{1,40}(:[0-9]{8})?$" }),
    },
    { additionalProperties: false },
  ),
  body: Type.Object(
    { amountCents: Type.Integer({ minimum: 0, maximum: 100_000_000_000 }) },
    { additionalProperties: false },
  ),
};

/** The return confirmed as shown; a refund is paid to IBAN (its check digits are the Board's to judge). */
export const TAX_CONFIRMATION = {
  ...NO_INPUT,
  params: TAX_YEAR,
  body: Type.Object(
    { iban: Type.String({ minLength: 15, maxLength: 42, pattern: "^[A-Za-z0-9 ]+$" }) },
    { additionalProperties: false },
  ),
};

// ---- "My health" (issue #16): always the person logged in, never a code from the request

/** A FHIR logical id (FHIR R4 datatypes.html#id). */
const FHIR_ID = Type.String({ pattern: "^[A-Za-z0-9\\-.]{1,64}$" });

/** Closes one document (`Composition/<id>`, `DocumentReference/<id>`) or, with no `document`, the whole record. */
export const HEALTH_CLOSURE = {
  ...NO_INPUT,
  body: Type.Object(
    { document: Type.Optional(Type.String({ pattern: "^(Composition|DocumentReference)/[A-Za-z0-9\\-.]{1,64}$" })) },
    { additionalProperties: false },
  ),
};

/** Reopens what the closure (a Consent's id) closed. */
export const HEALTH_REOPENING = {
  ...NO_INPUT,
  params: Type.Object({ id: FHIR_ID }, { additionalProperties: false }),
  body: Type.Object({}, { additionalProperties: false }),
};

/** Gives a person a mandate to act for the one logged in, in health matters, until a day or until ended. */
export const HEALTH_REPRESENTATIVE = {
  ...NO_INPUT,
  body: Type.Object(
    {
      personalCode: Type.String({ pattern: "^[1-8][0-9]{10}$" }),
      until: Type.Optional(Type.String({ format: "date" })),
    },
    { additionalProperties: false },
  ),
};

/** Ends a mandate (the RelatedPerson's id) now. */
export const HEALTH_MANDATE_END = HEALTH_REOPENING;

/** A declaration of intent: consent, refuse, or none in force. */
export const HEALTH_DECLARATION = {
  ...NO_INPUT,
  params: Type.Object(
    { kind: Type.Union([Type.Literal("organ-donation"), Type.Literal("blood-transfusion")]) },
    { additionalProperties: false },
  ),
  body: Type.Object(
    { choice: Type.Union([Type.Literal("consent"), Type.Literal("refuse"), Type.Literal("none")]) },
    { additionalProperties: false },
  ),
};

/** "Encrypt for a person": whose ID card keys (an Estonian personal code; its check digit is checked too). */
export const ENCRYPTION_RECIPIENTS = {
  querystring: Type.Object(
    { code: Type.String({ pattern: "^[1-8][0-9]{10}$", description: "the recipient's personal code" }) },
    { additionalProperties: false },
  ),
};

/** One attachment of a message, by its place in the message (the inbox takes at most 10). */
export const INBOX_ATTACHMENT = {
  ...NO_INPUT,
  params: Type.Object({ id: MESSAGE_ID, index: Type.String({ pattern: "^[0-9]$" }) }, { additionalProperties: false }),
};

/** The largest container sent to inboxes, as base64 (the inbox takes 5 MiB of attachments by default). */
export const MAX_ENCRYPTED_MESSAGE_BASE64 = 7 * 1024 * 1024;

/**
 * An encrypted container sent to its recipients' state inboxes, one message each, from the
 * person logged in. `idempotencyKey` is the page's: sending again answers the first messages.
 */
export const ENCRYPTED_MESSAGE = {
  ...NO_INPUT,
  body: Type.Object(
    {
      recipients: Type.Array(Type.String({ pattern: "^[1-8][0-9]{10}$" }), {
        minItems: 1,
        maxItems: 10,
        uniqueItems: true,
      }),
      subject: Type.String({ minLength: 1, maxLength: 200, pattern: "^[^\\u0000-\\u001f\\u007f]+$" }),
      body: Type.String({ minLength: 1, maxLength: 10_000 }),
      container: Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 255, pattern: "^[^/\\\\\\u0000-\\u001f]+$" }),
          data: Type.String({ minLength: 1, maxLength: MAX_ENCRYPTED_MESSAGE_BASE64 }),
        },
        { additionalProperties: false },
      ),
      idempotencyKey: Type.String({ pattern: "^[A-Za-z0-9-]{8,64}$" }),
    },
    { additionalProperties: false },
  ),
};
