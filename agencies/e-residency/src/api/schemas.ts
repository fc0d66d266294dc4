import { Type } from "typebox";

/** Letters somewhere, no control characters (as the police's background check asks for names). */
const NAME = Type.String({ minLength: 1, maxLength: 200, pattern: "^[^\\p{Cc}\\p{Cs}]*\\p{L}[^\\p{Cc}\\p{Cs}]*$" });
const DATE = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" });
const NUMBER = Type.String({ pattern: "^ER-\\d{4}-\\d{6}$" });
const PERSONAL_CODE = Type.String({ pattern: "^[1-8][0-9]{10}$" });
const ACCESS_KEY = Type.String({ minLength: 1, maxLength: 200 });
const STATUS = Type.Union([
  Type.Literal("awaiting-payment"),
  Type.Literal("background-check"),
  Type.Literal("awaiting-decision"),
  Type.Literal("granted"),
  Type.Literal("refused"),
  Type.Literal("card-ordered"),
  Type.Literal("issued"),
]);

export const PICKUP_LOCATIONS_ANSWER = Type.Object({
  locations: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), country: Type.String() })),
});

/** Contract D's application form. */
export const APPLICATION_FORM = Type.Object(
  {
    givenName: NAME,
    surname: NAME,
    dateOfBirth: DATE,
    sex: Type.Union([Type.Literal("male"), Type.Literal("female")]),
    /** ISO 3166-1 alpha-2 */
    citizenship: Type.String({ pattern: "^[A-Z]{2}$" }),
    /** ICAO 9303 document number: letters, digits and the filler <. */
    documentNumber: Type.String({ pattern: "^[A-Z0-9<]{1,32}$" }),
    documentExpires: DATE,
    email: Type.String({ maxLength: 254, pattern: "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$" }),
    /** base64 of a JPEG or PNG, at most 2 MB decoded (4/3 of it in base64). */
    photo: Type.String({ minLength: 1, maxLength: 2_796_204 }),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
    pickupLocation: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);

export const APPLICATION_CREATED = Type.Object({
  number: NUMBER,
  accessKey: Type.String(),
  status: Type.Literal("awaiting-payment"),
  fee: Type.Object({ amountCents: Type.Integer(), currency: Type.String() }),
});

export const NUMBER_PARAMS = Type.Object({ number: NUMBER });
export const ACCESS_KEY_BODY = Type.Object({ accessKey: ACCESS_KEY }, { additionalProperties: false });

export const PAYMENT_ANSWER = Type.Object({
  receipt: Type.Object({ id: Type.String(), amountCents: Type.Integer(), paidAt: Type.String() }),
  status: STATUS,
});

const DECISION = Type.Object({
  granted: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  decidedAt: Type.String(),
});

export const STATUS_ANSWER = Type.Object({
  number: NUMBER,
  status: STATUS,
  submittedAt: Type.String(),
  pickupLocation: Type.String(),
  decision: Type.Optional(DECISION),
  personalCode: Type.Optional(Type.String()),
});

export const CODE_PARAMS = Type.Object({ code: PERSONAL_CODE });

export const E_RESIDENT = Type.Object({
  personalCode: Type.String(),
  status: Type.Union([Type.Literal("valid"), Type.Literal("revoked"), Type.Literal("expired")]),
  validUntil: Type.String(),
});

export const WORK_LIST_QUERY = Type.Object(
  { status: Type.Optional(STATUS), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
  { additionalProperties: false },
);
export const WORK_LIST = Type.Object({ applications: Type.Array(STATUS_ANSWER) });

export const STAFF_APPLICATION = Type.Object({
  ...STATUS_ANSWER.properties,
  givenName: Type.String(),
  surname: Type.String(),
  dateOfBirth: Type.String(),
  sex: Type.String(),
  citizenship: Type.String(),
  documentNumber: Type.String(),
  documentExpires: Type.String(),
  email: Type.String(),
  reason: Type.String(),
  paidAt: Type.Optional(Type.String()),
  check: Type.Optional(
    Type.Object({
      checkedAt: Type.String(),
      result: Type.String(),
      findings: Type.Array(Type.Object({ source: Type.String(), reference: Type.String(), reason: Type.String() })),
    }),
  ),
  decidedBy: Type.Optional(Type.Array(Type.String())),
  handedOverAt: Type.Optional(Type.String()),
  events: Type.Array(
    Type.Object({
      at: Type.String(),
      type: Type.String(),
      actor: Type.String(),
      data: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
});

/** An ASiC-E container (base64) whose one file, decision.json, is {number, granted, reason?}. */
export const DECISION_BODY = Type.Object(
  { container: Type.String({ minLength: 1, maxLength: 4 * 1024 * 1024 }) },
  { additionalProperties: false },
);

export const HAND_OVER_BODY = Type.Object(
  { documentNumber: Type.String({ pattern: "^[A-Z0-9<]{1,32}$" }) },
  { additionalProperties: false },
);
export const HAND_OVER_ANSWER = Type.Object({
  number: NUMBER,
  personalCode: Type.String(),
  validUntil: Type.String(),
  documentNumber: Type.String(),
  cardFile: Type.String(),
  pinEnvelope: Type.Object({ pin1: Type.String(), pin2: Type.String() }),
});

export const REVOCATION_BODY = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);
