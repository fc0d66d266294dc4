// The FHIR R4 REST API under /fhir (http.html): read, vread, history of an instance, search
// (GET, paged, _include), create,
// update of a Consent, MedicationRequest/$sign, and the CapabilityStatement; bodies are
// application/fhir+json (plain JSON too), every error an OperationOutcome.
import { isRiikError, isValidPersonalCode, type RiikFastify } from "@riik/core";
import { declareDataSubjects, NO_QUERY, personalAnswer } from "@riik/kit";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Type } from "typebox";
import { callerOf } from "../access/caller.ts";
import { authorizeRead, searchScope } from "../access/read-guard.ts";
import { fieldError, HEALTH_ERRORS, HealthError, type HealthErrorCode, ISSUE_TYPE } from "../errors.ts";
import { capabilityStatement } from "../fhir/capability.ts";
import { createResource, PATIENT_UPDATABLE, updateByPatient } from "../fhir/create.ts";
import { EXTENSION, PERSONAL_CODE_SYSTEM } from "../fhir/identifiers.ts";
import { fhirPath, OPERATION_OUTCOME, outcome } from "../fhir/operation-outcome.ts";
import {
  type CreatableType,
  PATIENT_DATA,
  RESOURCE_TYPES,
  type ResourceType,
  SCHEMAS,
  type StoredResource,
} from "../fhir/resources.ts";
import { pageQuery, parseSearch, type SearchQuery, searchQuerySchema } from "../fhir/search.ts";
import type { PrescriptionCentre } from "../prescriptions/centre.ts";
import type { HealthStore, StoredRow } from "../storage/health-store.ts";

export const FHIR_JSON = "application/fhir+json";
const ID_PARAMS = Type.Object(
  { id: Type.String({ pattern: "^[A-Za-z0-9\\-.]{1,64}$" }) },
  { additionalProperties: false },
);
const VERSION_PARAMS = Type.Object(
  { id: Type.String({ pattern: "^[A-Za-z0-9\\-.]{1,64}$" }), vid: Type.String({ pattern: "^[1-9][0-9]{0,8}$" }) },
  { additionalProperties: false },
);
const RESOURCE = Type.Object({ resourceType: Type.String() }, { additionalProperties: true });
const errorsOf = (described: Record<number, string>) =>
  Object.fromEntries(Object.entries(described).map(([s, d]) => [s, { ...OPERATION_OUTCOME, description: d }]));
const SIGN_PARAMETERS = Type.Object(
  {
    resourceType: Type.Literal("Parameters"),
    parameter: Type.Array(
      Type.Object({
        name: Type.Literal("container"),
        valueBase64Binary: Type.String({ minLength: 4, maxLength: 700_000 }),
      }),
      { minItems: 1, maxItems: 1 },
    ),
  },
  { additionalProperties: false, description: "The ASiC-E container (base64) signed by the prescribing doctor" },
);

const typeOfUrl = (url: string) => url.split("?")[0]!.split("/")[2] ?? "";

/** Errors of the FHIR routes as OperationOutcome with the field as FHIRPath. */
function answerError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  reply.type(FHIR_JSON);
  if (isRiikError(error)) {
    const status = (HEALTH_ERRORS as Record<string, { status: number } | undefined>)[error.code]?.status;
    if (status === undefined) {
      request.log.error({ err: error }, "error code missing from the health catalogue");
      return reply.status(500).send(outcome("exception", "INTERNAL", "internal error; see the service log"));
    }
    const expression = (error.details?.expression as string[] | undefined) ?? [];
    return reply
      .status(status)
      .send(outcome(ISSUE_TYPE[error.code as HealthErrorCode], error.code, error.message, expression));
  }
  const e = error as {
    statusCode?: number;
    code?: string;
    message: string;
    validation?: ReadonlyArray<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>;
    validationContext?: string;
  };
  if (e.validation) {
    const type = typeOfUrl(request.url);
    const inBody = e.validationContext === "body";
    const issues = e.validation.map((issue) => {
      const missing = (issue.params?.missingProperty ?? issue.params?.additionalProperty) as string | undefined;
      const expression = inBody
        ? fhirPath(type, issue.instancePath ?? "", missing)
        : (missing ?? (issue.instancePath ?? "").split("/")[1] ?? e.validationContext ?? "request");
      return { expression, message: `${expression} ${issue.message ?? "is not valid"}` };
    });
    const code: HealthErrorCode = inBody ? "RESOURCE_INVALID" : "SEARCH_INVALID";
    const body = outcome("invalid", code, issues.map((i) => i.message).join("; "), [
      ...new Set(issues.map((i) => i.expression)),
    ]);
    return reply.status(400).send(body);
  }
  const status = e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  if (status === 500) {
    request.log.error({ err: error }, "unexpected error");
    return reply.status(500).send(outcome("exception", "INTERNAL", "internal error; see the service log"));
  }
  const issue = status === 415 ? "not-supported" : status === 413 ? "too-long" : "structure";
  return reply.status(status).send(outcome(issue, e.code ?? "REQUEST_INVALID", e.message));
}

/** Answers a resource as application/fhir+json naming the patients it concerns (the Data Tracker). */
function answer(reply: FastifyReply, body: unknown, subjects: readonly string[], status = 200) {
  // Always said, even when no one: the FHIR service is personal data as a whole, and its
  // security server refuses a successful answer that does not say whose data it carries.
  declareDataSubjects(reply, subjects);
  return reply.status(status).type(FHIR_JSON).send(body);
}

type Identifier = { system?: string; value?: string };
type Identified = { identifier?: Identifier[]; extension?: Array<{ url: string; valueIdentifier?: Identifier }> };

/**
 * The persons other than the patient that `rows` name by personal code, whose data they are
 * too: practitioners, representatives (RelatedPerson), the person named on a prescription and
 * the buyer of a dispense (extensions holding a personal code).
 */
const personsIn = (rows: readonly StoredRow[]) =>
  rows
    .flatMap((r) => [
      ...(r.type === "Practitioner" || r.type === "RelatedPerson" ? ((r.resource as Identified).identifier ?? []) : []),
      ...((r.resource as Identified).extension ?? [])
        .filter((e) => e.url === EXTENSION.namedRepresentative || e.url === EXTENSION.buyer)
        .map((e) => e.valueIdentifier ?? {}),
    ])
    .filter((i) => i.system === PERSONAL_CODE_SYSTEM && isValidPersonalCode(i.value ?? ""))
    .map((i) => i.value!);

/**
 * Whom a search answer concerns beyond the patients it returns: the persons the query names by
 * personal code (a search that found nothing still looked them up), the persons the rows name,
 * and on the caller's own scope the caller. The provider's security server refuses a
 * personal-data answer that names nobody (fail closed), and the Data Tracker should show the look-up.
 */
function searchSubjects(query: SearchQuery, rows: readonly StoredRow[], own: string | undefined): string[] {
  const named = query.filters.flatMap((f) =>
    (f.kind === "token" || f.kind === "reference-identifier") &&
    f.system === PERSONAL_CODE_SYSTEM &&
    isValidPersonalCode(f.value)
      ? [f.value]
      : [],
  );
  return [...named, ...personsIn(rows), ...(own ? [own] : [])];
}

const baseOf = (request: FastifyRequest) => `${request.protocol}://${request.headers.host ?? "localhost"}/fhir`;

export function fhirRoutes(store: HealthStore, centre: PrescriptionCentre) {
  return async (fhir: RiikFastify) => {
    fhir.addContentTypeParser(FHIR_JSON, { parseAs: "string" }, fhir.getDefaultJsonParser("error", "error"));
    fhir.setErrorHandler(answerError);
    fhir.setNotFoundHandler((request, reply) => {
      const type = typeOfUrl(request.url) as ResourceType;
      const known = RESOURCE_TYPES.includes(type);
      return answerError(
        known
          ? new HealthError(
              "INTERACTION_NOT_SUPPORTED",
              `${request.method} on ${type} is not offered (see /fhir/metadata)`,
            )
          : new HealthError(
              "RESOURCE_NOT_FOUND",
              `no FHIR endpoint ${request.method} ${request.url.split("?")[0]?.slice(0, 200)}`,
            ),
        request,
        reply,
      );
    });

    fhir.get(
      "/metadata",
      {
        schema: {
          operationId: "capabilities",
          summary: "The CapabilityStatement",
          querystring: NO_QUERY,
          response: { 200: RESOURCE },
        },
      },
      async (request, reply) => answer(reply, capabilityStatement(baseOf(request), new Date()), []),
    );

    for (const type of RESOURCE_TYPES) {
      const personal = PATIENT_DATA.has(type);
      const ok = (what: string) => (personal ? personalAnswer(RESOURCE, what) : { ...RESOURCE, description: what });
      fhir.get(
        `/${type}/:id`,
        {
          schema: {
            operationId: `read${type}`,
            summary: `Read a ${type}`,
            params: ID_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: ok(`The ${type}`),
              ...errorsOf({
                403: "PURPOSE_MISSING, ROLE_REQUIRED, LICENCE_EXPIRED, DOCUMENT_CLOSED, NOT_THE_PATIENT",
                404: "RESOURCE_NOT_FOUND",
              }),
            },
          },
        },
        async (request, reply) => {
          const row = await store.get(type, request.params.id);
          if (!row) throw new HealthError("RESOURCE_NOT_FOUND", `no ${type}/${request.params.id}`);
          const { subjects } = await authorizeRead(store, callerOf(request.headers), [row], "read", new Date());
          reply.header("etag", `W/"${row.resource.meta?.versionId ?? "1"}"`);
          return answer(reply, row.resource, [...subjects, ...personsIn([row])]);
        },
      );
      fhir.get(
        `/${type}/:id/_history/:vid`,
        {
          schema: {
            operationId: `vread${type}`,
            summary: `Read one version of a ${type}`,
            params: VERSION_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: ok(`The ${type} as it was in that version`),
              ...errorsOf({
                403: "PURPOSE_MISSING, ROLE_REQUIRED, LICENCE_EXPIRED, DOCUMENT_CLOSED, NOT_THE_PATIENT",
                404: "RESOURCE_NOT_FOUND",
              }),
            },
          },
        },
        async (request, reply) => {
          const { id, vid } = request.params;
          const row = await store.get(type, id);
          const version = row ? await store.version(type, id, Number(vid)) : undefined;
          if (!row || !version) throw new HealthError("RESOURCE_NOT_FOUND", `no ${type}/${id} version ${vid}`);
          // The access rules of the resource as it is now: a closed document is closed in every version.
          const { subjects } = await authorizeRead(store, callerOf(request.headers), [row], "vread", new Date());
          reply.header("etag", `W/"${vid}"`);
          return answer(reply, version, [...subjects, ...personsIn([{ ...row, resource: version }])]);
        },
      );
      fhir.get(
        `/${type}/:id/_history`,
        {
          schema: {
            operationId: `history${type}`,
            summary: `Every version of a ${type}, newest first (a history Bundle)`,
            params: ID_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: ok("A history Bundle"),
              ...errorsOf({
                403: "PURPOSE_MISSING, ROLE_REQUIRED, LICENCE_EXPIRED, DOCUMENT_CLOSED, NOT_THE_PATIENT",
                404: "RESOURCE_NOT_FOUND",
              }),
            },
          },
        },
        async (request, reply) => {
          const { id } = request.params;
          const row = await store.get(type, id);
          if (!row) throw new HealthError("RESOURCE_NOT_FOUND", `no ${type}/${id}`);
          const caller = callerOf(request.headers);
          const { subjects } = await authorizeRead(store, caller, [row], "history-instance", new Date());
          const versions = await store.history(type, id);
          const base = baseOf(request);
          // FHIR R4 http.html#history: each entry says how that version came to be.
          const bundle = {
            resourceType: "Bundle",
            type: "history",
            total: versions.length,
            link: [{ relation: "self", url: `${base}/${type}/${id}/_history` }],
            entry: versions.map((version) => {
              const vid = version.meta?.versionId ?? "1";
              return {
                fullUrl: `${base}/${type}/${id}`,
                resource: version,
                request: vid === "1" ? { method: "POST", url: type } : { method: "PUT", url: `${type}/${id}` },
                response: {
                  status: vid === "1" ? "201 Created" : "200 OK",
                  etag: `W/"${vid}"`,
                  lastModified: version.meta?.lastUpdated,
                },
              };
            }),
          };
          const named = personsIn(versions.map((resource) => ({ ...row, resource })));
          return answer(reply, bundle, [...subjects, ...named]);
        },
      );
      fhir.get(
        `/${type}`,
        {
          schema: {
            operationId: `search${type}`,
            summary: `Search ${type} (a searchset Bundle, paged with _count and _offset)`,
            querystring: searchQuerySchema(type),
            response: {
              200: ok("A searchset Bundle"),
              ...errorsOf({
                400: "SEARCH_INVALID (expression: the parameter)",
                403: "PURPOSE_MISSING, ROLE_REQUIRED, LICENCE_EXPIRED, NOT_THE_PATIENT",
              }),
            },
          },
        },
        async (request, reply) => {
          const raw = request.query as Record<string, string | string[] | undefined>;
          const query = parseSearch(type, raw);
          const caller = callerOf(request.headers);
          const scope = await searchScope(store, caller, type, new Date());
          const found = await store.search(query);
          const matches =
            scope === "professional"
              ? found
              : found.filter((r) => r.patientCode === null || r.patientCode === caller.person);
          const page = matches.slice(query.offset, query.offset + query.count);
          const included = await store.included(page, query.include);
          const { rows, subjects } = await authorizeRead(
            store,
            caller,
            [...page, ...included],
            "search-type",
            new Date(),
          );
          const visible = new Set(rows);
          const base = baseOf(request);
          const entry = (row: StoredRow, mode: "match" | "include") => ({
            fullUrl: `${base}/${row.type}/${row.id}`,
            resource: row.resource,
            search: { mode },
          });
          const link = [{ relation: "self", url: `${base}/${type}?${pageQuery(raw, query.offset, query.count)}` }];
          if (matches.length > query.offset + query.count)
            link.push({
              relation: "next",
              url: `${base}/${type}?${pageQuery(raw, query.offset + query.count, query.count)}`,
            });
          const bundle = {
            resourceType: "Bundle",
            type: "searchset",
            link,
            entry: [
              ...page.filter((r) => visible.has(r)).map((r) => entry(r, "match")),
              ...included.filter((r) => visible.has(r)).map((r) => entry(r, "include")),
            ],
          };
          const own = scope === "own" ? caller.person : undefined;
          return answer(reply, bundle, [...subjects, ...searchSubjects(query, [...page, ...included], own)]);
        },
      );
      if (!(type in SCHEMAS)) continue;
      const creatable = type as CreatableType;
      fhir.post(
        `/${type}`,
        {
          schema: {
            operationId: `create${type}`,
            summary: `Create a ${type} (the server assigns the id)`,
            querystring: NO_QUERY,
            body: SCHEMAS[creatable],
            response: {
              201: ok(`The ${type} as stored`),
              ...errorsOf({
                400: "RESOURCE_INVALID (expression: the field)",
                403: "ROLE_REQUIRED, LICENCE_EXPIRED, NOT_THE_PATIENT, PHARMACY_NOT_LICENSED",
                409: "IDENTIFIER_TAKEN, PRESCRIPTION_NOT_SIGNED, PRESCRIPTION_EXPIRED, PRESCRIPTION_USED, QUANTITY_EXCEEDS_REMAINING",
                422: "REFERENCE_NOT_FOUND",
              }),
            },
          },
        },
        async (request, reply) => {
          const caller = callerOf(request.headers);
          const body = request.body as Record<string, unknown> & { resourceType: string };
          const at = new Date();
          let resource: StoredResource;
          if (creatable === "MedicationRequest") resource = await centre.prescribe(caller, body, at);
          else if (creatable === "MedicationDispense") resource = await centre.dispense(caller, body, at);
          else resource = (await createResource(store, caller, creatable, body, at, centre.trustAnchors)).resource;
          const row = (await store.get(creatable, resource.id))!;
          reply.header(
            "location",
            `${baseOf(request)}/${type}/${resource.id}/_history/${resource.meta?.versionId ?? "1"}`,
          );
          return answer(reply, resource, [...(row.patientCode ? [row.patientCode] : []), ...personsIn([row])], 201);
        },
      );
    }

    for (const type of PATIENT_UPDATABLE)
      fhir.put(
        `/${type}/:id`,
        {
          schema: {
            operationId: `update${type}`,
            summary:
              type === "Consent"
                ? "The patient changes a Consent: status inactive reopens what it closed"
                : "The patient changes a representative's mandate: active false ends it now",
            params: ID_PARAMS,
            querystring: NO_QUERY,
            body: SCHEMAS[type],
            response: {
              200: personalAnswer(RESOURCE, `The ${type} as stored`),
              ...errorsOf({ 400: "RESOURCE_INVALID", 403: "NOT_THE_PATIENT", 404: "RESOURCE_NOT_FOUND" }),
            },
          },
        },
        async (request, reply) => {
          const caller = callerOf(request.headers);
          const stored = await updateByPatient(
            store,
            caller,
            type,
            request.params.id,
            request.body as never,
            new Date(),
          );
          const row = (await store.get(type, stored.id))!;
          return answer(reply, stored, [...(row.patientCode ? [row.patientCode] : []), ...personsIn([row])]);
        },
      );

    fhir.post(
      "/MedicationRequest/:id/$sign",
      {
        schema: {
          operationId: "signMedicationRequest",
          summary: "The prescribing doctor's ASiC-E signature over the draft; the prescription becomes active",
          params: ID_PARAMS,
          querystring: NO_QUERY,
          body: SIGN_PARAMETERS,
          response: {
            200: personalAnswer(RESOURCE, "The signed MedicationRequest"),
            ...errorsOf({
              403: "SIGNER_NOT_PRESCRIBER",
              404: "RESOURCE_NOT_FOUND",
              409: "PRESCRIPTION_ALREADY_SIGNED",
              422: "SIGNATURE_INVALID",
            }),
          },
        },
      },
      async (request, reply) => {
        const base64 = request.body.parameter[0]!.valueBase64Binary;
        if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64))
          throw fieldError(
            "RESOURCE_INVALID",
            "Parameters.parameter[0].valueBase64Binary",
            "the container must be base64",
          );
        const signed = await centre.sign(
          callerOf(request.headers),
          request.params.id,
          Buffer.from(base64, "base64"),
          new Date(),
        );
        const row = await store.get("MedicationRequest", signed.id);
        return answer(reply, signed, row?.patientCode ? [row.patientCode] : []);
      },
    );
  };
}
