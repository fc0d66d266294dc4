// The register's API shapes (TypeBox): requests validated, answers serialised, OpenAPI generated.
import { Type } from "typebox";
import { APPLICATION, EMTAK, PERSON, PERSONAL_CODE, REGISTRY_CODE } from "../founding/application.ts";

export { REGISTRY_CODE };

const DATE = Type.String({ format: "date" });

export const COMPANY = Type.Object(
  {
    registryCode: REGISTRY_CODE,
    name: Type.String(),
    legalForm: Type.String(),
    status: Type.Union([Type.Literal("registered"), Type.Literal("deleted")]),
    seatAddress: Type.String(),
    shareCapitalCents: Type.Integer(),
    email: Type.String(),
    activity: EMTAK,
    registered: DATE,
    deleted: Type.Union([DATE, Type.Null()]),
  },
  { additionalProperties: false },
);

export const RELATED_PERSON = Type.Object(
  {
    role: Type.Union([
      Type.Literal("board"),
      Type.Literal("shareholder"),
      Type.Literal("beneficial_owner"),
      Type.Literal("contact"),
      Type.Literal("founder"),
    ]),
    personalCode: PERSONAL_CODE,
    givenName: Type.String(),
    surname: Type.String(),
    shareCents: Type.Union([Type.Integer(), Type.Null()]),
    since: DATE,
  },
  { additionalProperties: false },
);
export const COMPANY_PERSONS = Type.Object(
  {
    registryCode: REGISTRY_CODE,
    persons: Type.Array(RELATED_PERSON),
    /** Companies on the card: founders and shareholders that are legal persons. */
    legalPersons: Type.Array(
      Type.Object(
        {
          role: Type.Union([Type.Literal("founder"), Type.Literal("shareholder")]),
          registryCode: REGISTRY_CODE,
          name: Type.String(),
          shareCents: Type.Union([Type.Integer(), Type.Null()]),
          since: DATE,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const REPRESENTATION_RIGHTS = Type.Object(
  {
    personalCode: PERSONAL_CODE,
    rights: Type.Array(
      Type.Object(
        {
          registryCode: REGISTRY_CODE,
          companyName: Type.String(),
          legalForm: Type.String(),
          scope: Type.Union([Type.Literal("alone"), Type.Literal("jointly")]),
          since: DATE,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const CHANGES_QUERY = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, description: "the cursor: the last seq already read" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export const CHANGES = Type.Object(
  {
    entries: Type.Array(
      Type.Object(
        {
          seq: Type.Integer(),
          at: Type.String(),
          entity: Type.String(),
          key: Type.String(),
          op: Type.Union([Type.Literal("upsert"), Type.Literal("delete")]),
          data: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
    next: Type.Integer({ description: "the cursor to ask with next" }),
  },
  { additionalProperties: false },
);

export const NAME_QUERY = Type.Object(
  { name: Type.String({ minLength: 2, maxLength: 120 }) },
  { additionalProperties: false },
);
export const NAME_CHECK = Type.Object(
  {
    taken: Type.Boolean(),
    reserved: Type.Union([Type.String(), Type.Null()], {
      description: "a word the name holds that is reserved for the state (the application would be refused)",
    }),
    similar: Type.Array(
      Type.Object({ registryCode: REGISTRY_CODE, name: Type.String() }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

export const APPLICATION_ID = Type.Object({ id: Type.String({ format: "uuid" }) }, { additionalProperties: false });
export const APPLICATION_CREATED = Type.Object(
  {
    id: Type.String(),
    fileName: Type.String({ description: "the name of the one data file in each founder's ASiC-E container" }),
    document: Type.String({ description: "the application's canonical JSON: what every founder signs" }),
    sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
  },
  { additionalProperties: false },
);
export const APPLICATION_STATE = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal("open"), Type.Literal("registered")]),
    sha256: Type.String(),
    application: APPLICATION,
    signedBy: Type.Array(PERSONAL_CODE),
    registryCode: Type.Union([REGISTRY_CODE, Type.Null()]),
  },
  { additionalProperties: false },
);
export const SIGNATURE_BODY = Type.Object(
  { container: Type.String({ contentEncoding: "base64", minLength: 4, description: "the ASiC-E container, base64" }) },
  { additionalProperties: false },
);
export const SIGNATURE_STATE = Type.Object(
  {
    signedBy: Type.Array(PERSONAL_CODE),
    missing: Type.Array(Type.String({ description: "a founder who has not signed: personal code, or registry code" })),
  },
  { additionalProperties: false },
);
export const REGISTRATION_BODY = Type.Object(
  {
    feeReceipt: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: "the state fee's (simulated) payment receipt" }),
    ),
  },
  { additionalProperties: false },
);

export const CODE_PARAMS = Type.Object({ code: REGISTRY_CODE }, { additionalProperties: false });
export const PERSON_PARAMS = Type.Object(
  { code: Type.String({ pattern: "^(EE)?[0-9]{11}$" }) },
  { additionalProperties: false },
);
export const ADDRESS_BODY = Type.Object(
  { seatAddress: Type.String({ minLength: 5, maxLength: 200 }) },
  { additionalProperties: false },
);
export const CAPITAL_BODY = Type.Object(
  { shareCapitalCents: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
export const BOARD_BODY = Type.Object(
  {
    board: Type.Array(PERSON, { minItems: 1, maxItems: 20 }),
    representation: Type.Optional(Type.Union([Type.Literal("alone"), Type.Literal("jointly")])),
  },
  { additionalProperties: false },
);
export const OPEN_DATA_PARAMS = Type.Object(
  { file: Type.String({ pattern: "^(companies|persons|beneficial-owners)\\.(json|csv)$" }) },
  { additionalProperties: false },
);

export const PERSON_APPLICATIONS = Type.Object(
  {
    applications: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          name: Type.String(),
          status: Type.Literal("open"),
          founders: Type.Array(
            Type.Union([
              Type.Object(
                {
                  personalCode: PERSONAL_CODE,
                  givenName: Type.String(),
                  surname: Type.String(),
                  signed: Type.Boolean(),
                },
                { additionalProperties: false },
              ),
              Type.Object(
                { registryCode: REGISTRY_CODE, name: Type.String(), signed: Type.Boolean() },
                { additionalProperties: false },
              ),
            ]),
          ),
          createdAt: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PERSON_COMPANIES = Type.Object(
  {
    personalCode: PERSONAL_CODE,
    companies: Type.Array(
      Type.Object(
        {
          registryCode: REGISTRY_CODE,
          name: Type.String(),
          legalForm: Type.String(),
          status: Type.Union([Type.Literal("registered"), Type.Literal("deleted")]),
          roles: Type.Array(
            Type.Object({ role: RELATED_PERSON.properties.role, since: DATE }, { additionalProperties: false }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ANNUAL_REPORT_BODY = Type.Object(
  {
    financialYear: Type.Integer({ minimum: 1990, maximum: 9999 }),
    container: Type.String({
      contentEncoding: "base64",
      minLength: 4,
      description: "the ASiC-E container of the report's files, signed by a board member with representation rights",
    }),
  },
  { additionalProperties: false },
);
const ANNUAL_REPORT = Type.Object(
  {
    financialYear: Type.Integer(),
    files: Type.Array(
      Type.Object(
        { name: Type.String(), size: Type.Integer(), sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }) },
        { additionalProperties: false },
      ),
    ),
    signedBy: Type.Array(PERSONAL_CODE),
    containerSha256: Type.String(),
    submitted: Type.String(),
  },
  { additionalProperties: false },
);
export const ANNUAL_REPORT_ANSWER = ANNUAL_REPORT;
export const ANNUAL_REPORTS = Type.Object(
  { registryCode: REGISTRY_CODE, annualReports: Type.Array(ANNUAL_REPORT) },
  { additionalProperties: false },
);
