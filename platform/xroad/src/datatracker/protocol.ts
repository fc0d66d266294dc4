import { type ClientId, formatClientId, memberOf, parseClientId } from "@riik/core";
import { XRoadError, XRoadFault } from "../errors.ts";
import type { GlobalConfIndex } from "../globalconf/document.ts";
import type { HeaderMap } from "../protocol/message.ts";
import { parseRepresentedParty } from "../protocol/represented-party.ts";
import type { LocalConf } from "../ss/local-conf.ts";
import type { DataUseStore, StoredUse } from "./store.ts";

/**
 * The Data Tracker usage protocol, served by the provider's security server as the
 * built-in service `datatracker` of each provider subsystem with personal-data services:
 * v2 (e-gov/AJ doc/spetsifikatsioonid/dumonitor-openapi-v2.yaml: /findUsage, /usagePeriod,
 * /heartbeat, also under /v2/) and the v3 draft (dumonitor-openapi-v3.yaml 3.0.0-rc.3:
 * /v3/findUsage, /v3/heartbeat).
 */
export interface TrackerAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

const PROCESSING_TYPES = ["DATA_REQUEST", "DATA_RESPONSE", "DATA_PROCESSING", "INTERNAL_PROCESSING"] as const;
const MAX_LIMIT = 10_000;

class BadParameter extends Error {}

const json = (status: number, value: unknown): TrackerAnswer => ({
  status,
  contentType: "application/json;charset=utf-8",
  body: Buffer.from(JSON.stringify(value)),
});
/** v3 `Error` schema ({code, message}); v2 gives no error body, so riik uses the same. */
const error = (status: number, code: string, message: string) => json(status, { code, message });

/** RFC 3339 date-time as the spec's examples write it (`2021-01-31T10:20:30Z`, UTC, whole seconds). */
export const protocolTime = (iso: string): string => `${iso.slice(0, 19)}Z`;

/**
 * periodStart/periodEnd (`format: date-time`): a date-time with or without offset (without
 * one it is read as UTC, as the v2 examples carry none), or a date (start of that day, or
 * for periodEnd its end).
 */
function parseTime(name: string, value: string | null, end: boolean): string | undefined {
  if (value === null || value === "") return undefined;
  let text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += end ? "T23:59:59.999Z" : "T00:00:00Z";
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) text += "Z";
  const time = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(time)) throw new BadParameter(`${name} must be an RFC 3339 date-time`);
  return new Date(time).toISOString();
}

function parseInteger(name: string, value: string | null, fallback: number, min: number, max?: number): number {
  if (value === null || value === "") return fallback;
  if (!/^\d+$/.test(value)) throw new BadParameter(`${name} must be a non-negative integer`);
  const number = Number(value);
  if (number < min || (max !== undefined && number > max))
    throw new BadParameter(`${name} must be between ${min} and ${max ?? "2147483647"}`);
  return number;
}

/** The organisation of a client as v3 `Organization`: type is the member class where the spec has it. */
function organization(client: ClientId, conf: GlobalConfIndex, systemName?: string | null) {
  const member = conf.clients.get(formatClientId(memberOf(client)))?.member;
  const subsystemName = client.subsystemCode
    ? (conf.clients.get(formatClientId(client))?.subsystemName ?? client.subsystemCode)
    : undefined;
  const type = ["GOV", "COM", "NGO"].includes(client.memberClass) ? client.memberClass : "NEE";
  return {
    type,
    ...(/^[0-9]{8}$/.test(client.memberCode) ? { code: client.memberCode } : {}),
    name: member?.name ?? formatClientId(memberOf(client)),
    ...((systemName ?? subsystemName) ? { systemName: systemName ?? subsystemName } : {}),
  };
}

export class DataTrackerService {
  constructor(
    readonly store: DataUseStore,
    readonly local: LocalConf,
  ) {}

  /**
   * Answers one request to `/r1/{provider}/datatracker{remainder}`; the caller must hold the
   * reader right at the provider (riik ss datatracker-reader), as an access right would.
   */
  async answer(
    provider: string,
    client: ClientId,
    method: string,
    remainder: string,
    headers: HeaderMap,
    conf: GlobalConfIndex,
  ): Promise<TrackerAnswer> {
    if (!this.local.dataTrackerAllowed(provider, "reader", client, conf))
      throw new XRoadFault(
        "Server.ServerProxy",
        "AccessDenied",
        `request is not allowed: ${formatClientId(client)} is not a Data Tracker reader of ${provider}`,
      );
    const question = remainder.indexOf("?");
    const path = (question < 0 ? remainder : remainder.slice(0, question)) || "/";
    const query = new URLSearchParams(question < 0 ? "" : remainder.slice(question + 1));
    const route = (
      {
        "/findUsage": "v2",
        "/v2/findUsage": "v2",
        "/v3/findUsage": "v3",
        "/usagePeriod": "period",
        "/v2/usagePeriod": "period",
        "/heartbeat": "heartbeat",
        "/v2/heartbeat": "heartbeat",
        "/v3/heartbeat": "heartbeat",
        "/riik/proof": "proof",
        "/v3/disclose": "disclose",
      } as Record<string, string>
    )[path];
    if (!route) return error(404, "NOT_FOUND", `no ${path} in the Data Tracker usage protocol`);
    if (route === "disclose")
      return error(
        501,
        "NOT_IMPLEMENTED",
        "disclose is optional in the v3 draft; riik hides uses until a date given at request time",
      );
    if (method !== "GET" && method !== "HEAD") return error(405, "METHOD_NOT_ALLOWED", `${path} is GET only`);
    try {
      if (route === "heartbeat") {
        try {
          await this.store.ping();
          return json(200, { status: "OK", message: "API is ready" });
        } catch (cause) {
          return json(200, { status: "FAIL", message: `storage unavailable: ${(cause as Error).message}` });
        }
      }
      if (route === "period") {
        // v2 UsagePeriodResponse: periodEnd absent = records up to now.
        const first = await this.store.earliest(provider);
        return json(200, { periodStart: protocolTime(first ?? new Date(this.store.now()).toISOString()) });
      }
      if (route === "proof") return await this.#proof(provider, query, conf);
      return await this.#findUsage(route as "v2" | "v3", provider, query, headers, conf);
    } catch (cause) {
      if (cause instanceof BadParameter) return error(400, "INVALID_PARAMETER", cause.message);
      if (cause instanceof XRoadError && cause.code === "XROAD_NOT_FOUND")
        return error(404, "NOT_FOUND", cause.message);
      if (cause instanceof XRoadError && cause.code === "XROAD_ANCHOR")
        return error(503, "NOT_ANCHORED", cause.message);
      throw cause;
    }
  }

  async #findUsage(
    version: "v2" | "v3",
    provider: string,
    query: URLSearchParams,
    headers: HeaderMap,
    conf: GlobalConfIndex,
  ): Promise<TrackerAnswer> {
    if (!headers["x-road-userid"]) throw new BadParameter("the X-Road-UserId header is required");
    const userCode = query.get("userCode") ?? "";
    const pattern = version === "v3" ? /^EE[0-9]{11}$/ : /^[A-Z]{2}[0-9A-Za-z]{1,30}$/;
    if (!pattern.test(userCode)) throw new BadParameter("userCode must be a person code like EE12345678901");
    const periodStart = parseTime("periodStart", query.get("periodStart"), false);
    const periodEnd = parseTime("periodEnd", query.get("periodEnd"), true);
    const offset = parseInteger("offset", query.get("offset"), 0, 0);
    // v3: 1..10000; v2 sets no maximum, riik returns at most 10000 per page.
    const limit =
      version === "v3"
        ? parseInteger("limit", query.get("limit"), 1000, 1, MAX_LIMIT)
        : Math.min(parseInteger("limit", query.get("limit"), 1000, 0), MAX_LIMIT);
    let types: string[] = [...PROCESSING_TYPES];
    let includeBulk = version === "v2";
    let sourceSystems: string[] | undefined;
    const providerId = parseClientId(provider);
    const sourceSystem = conf.clients.get(provider)?.subsystemName ?? providerId.subsystemCode ?? provider;
    if (version === "v3") {
      const given = query.getAll("processingType").flatMap((t) => t.split(","));
      if (given.length > 0) {
        for (const type of given)
          if (!(PROCESSING_TYPES as readonly string[]).includes(type))
            throw new BadParameter(`processingType ${type} is not one of ${PROCESSING_TYPES.join(", ")}`);
        types = given;
      }
      const bulk = query.get("includeBulkProcessing");
      if (bulk !== null && bulk !== "true" && bulk !== "false")
        throw new BadParameter("includeBulkProcessing must be true or false");
      includeBulk = bulk === "true";
      const systems = query.getAll("logSourceSystems").flatMap((t) => t.split(","));
      if (systems.length > 0) sourceSystems = systems;
    }
    const wanted = types.includes("DATA_RESPONSE") && (!sourceSystems || sourceSystems.includes(sourceSystem));
    const { total, uses } =
      limit === 0 || !wanted
        ? {
            total: wanted
              ? (
                  await this.store.find(provider, userCode, {
                    periodStart,
                    periodEnd,
                    offset: 0,
                    limit: 0,
                    includeBulk,
                  })
                ).total
              : 0,
            uses: [] as StoredUse[],
          }
        : await this.store.find(provider, userCode, { periodStart, periodEnd, offset, limit, includeBulk });
    const batches = await this.store.batches(uses.flatMap((u) => (u.batchId === null ? [] : [u.batchId])));
    const riik = (use: StoredUse) => {
      const batch = use.batchId === null ? undefined : batches.get(use.batchId);
      return {
        id: use.id,
        client: use.clientId,
        service: use.serviceId,
        userId: use.userId,
        queryId: use.queryId,
        recordHash: use.recordHash,
        anchor: batch
          ? {
              batch: batch.statement.batch,
              root: batch.statement.root,
              anchoredAt: batch.statement.createdAt,
              timestamped: batch.tsa,
              ledger: batch.ledger,
            }
          : null,
        proof: `/riik/proof?userCode=${encodeURIComponent(use.subject)}&id=${use.id}`,
        // PR-THIRDPARTY: the use was made for a represented party; `REPRESENTED` when the
        // reader is that person and the answer did not carry their data (README, Data Tracker).
        ...(use.representedParty
          ? {
              representedParty: parseRepresentedParty(use.representedParty),
              subjectRole: use.subjectRole ?? "DATA_SUBJECT",
            }
          : {}),
      };
    };
    if (version === "v2") {
      // v2 FindUsageResponse / Usage.
      return json(200, {
        totalUsages: total,
        usages: uses.map((use) => {
          const client = parseClientId(use.clientId);
          const org = organization(client, conf, use.initiatorSystem);
          return {
            logtime: protocolTime(use.loggedAt),
            action: use.purpose,
            receiverCode: client.memberCode,
            receiverName: org.name,
            receiverSystem: org.systemName ?? client.memberCode,
            riik: riik(use),
          };
        }),
      });
    }
    // v3 FindUsageResponse: answers to incoming requests are DATA_RESPONSE (UsageTransfer).
    const dataResponses = uses.map((use) => {
      const client = parseClientId(use.clientId);
      const person = use.initiatorPerson
        ? JSON.parse(use.initiatorPerson)
        : /^EE[0-9]{11}$/.test(use.userId)
          ? { code: use.userId }
          : { alternativeCode: use.userId };
      return {
        logTime: protocolTime(use.loggedAt),
        purpose: use.purpose,
        logSourceSystem: sourceSystem,
        bulkProcessing: use.bulk,
        legalBasis: use.legalBasis,
        consentReference: use.consentReference,
        queryId: use.queryId,
        queryGroupId: null,
        ...(use.hiddenUntil ? { hiddenReason: use.hiddenReason, hiddenUntil: protocolTime(use.hiddenUntil) } : {}),
        initiatorOrg: organization(client, conf, use.initiatorSystem),
        initiatorPerson: person,
        target: organization(providerId, conf),
        riik: riik(use),
      };
    });
    return json(200, {
      totalUsages: total,
      returnedUsages: dataResponses.length,
      dataRequests: types.includes("DATA_REQUEST") ? [] : null,
      dataResponses: types.includes("DATA_RESPONSE") ? dataResponses : null,
      dataProcessings: types.includes("DATA_PROCESSING") ? [] : null,
      internalProcessings: types.includes("INTERNAL_PROCESSING") ? [] : null,
    });
  }

  async #proof(provider: string, query: URLSearchParams, conf: GlobalConfIndex): Promise<TrackerAnswer> {
    const userCode = query.get("userCode") ?? "";
    const id = parseInteger("id", query.get("id"), -1, 1);
    if (id < 1) throw new BadParameter("id is required");
    const proof = await this.store.proof(provider, userCode, id);
    const trust = conf.conf.content.trust;
    return json(200, {
      ...proof,
      certificates: {
        tsa: trust.tsa.map((t) => t.certificate),
        ledger: trust.ledger ? { keys: trust.ledger.keys, witnesses: trust.ledger.witnesses } : null,
      },
    });
  }
}
