import { isIP } from "node:net";
import type { EResidencyConfig } from "../config/portal-config.ts";
import { PortalError } from "../errors.ts";
import type { PortalStore } from "../storage/portal-store.ts";
import type { XRoadCalls } from "../xroad/calls.ts";

/** The application form (contract D, `POST /applications`). */
export interface EResidencyApplicationForm {
  givenName: string;
  surname: string;
  dateOfBirth: string;
  sex: "male" | "female";
  citizenship: string;
  documentNumber: string;
  documentExpires: string;
  email: string;
  /** base64 of a JPEG or PNG, at most 2 MB decoded (the agency checks its signature). */
  photo: string;
  reason: string;
  pickupLocation: string;
}

export interface EResidencyCreated {
  number: string;
  /** Shown once: the applicant keeps it (the page keeps it in sessionStorage, never in a URL). */
  accessKey: string;
  status: string;
  fee: { amountCents: number; currency: string };
}

export interface EResidencyReceipt {
  receipt: { id: string; amountCents: number; paidAt: string };
  status: string;
}

export interface EResidencyStatus {
  number: string;
  status: string;
  submittedAt: string;
  pickupLocation: string;
  decision?: { granted: boolean; reason?: string; decidedAt: string };
  personalCode?: string;
}

const PURPOSE = "e-Residency application";

/**
 * The e-Residency agency's `applications` service through the portal's security server
 * (contract D of issue #14). The applicant has no identity yet, so no X-Road-UserId is sent;
 * the application number and its access key (in the body, never the path) are what let
 * someone follow it. New applications are bounded per client address, the form being public,
 * in the portal's store so that a restart does not reopen the bound.
 */
export class EResidencyApplications {
  readonly #xroad: XRoadCalls;
  readonly #client: string;
  readonly #config: EResidencyConfig;
  readonly #store: PortalStore;

  constructor(xroad: XRoadCalls, client: string, config: EResidencyConfig, store: PortalStore) {
    this.#xroad = xroad;
    this.#client = client;
    this.#config = config;
    this.#store = store;
  }

  /** The agency's fixed list of pick-up points, as `{id, name}` whether it lists strings or objects. */
  async pickupLocations(): Promise<Array<{ id: string; name: string }>> {
    const body = await this.#send("GET", "/pickup-locations");
    const list = Array.isArray(body)
      ? body
      : Array.isArray(record(body).locations)
        ? (record(body).locations as unknown[])
        : [];
    return list.slice(0, 500).flatMap((item) => {
      if (typeof item === "string") return [{ id: item, name: item }];
      if (typeof item !== "object" || item === null) return [];
      const entry = item as Record<string, unknown>;
      const id = text(entry.id ?? entry.code);
      if (!id) return [];
      const place = [text(entry.name ?? entry.label), text(entry.city)].filter(Boolean);
      return [{ id, name: place.length > 0 ? place.join(", ") : id }];
    });
  }

  async apply(form: EResidencyApplicationForm, address: string): Promise<EResidencyCreated> {
    await this.#admit(address);
    const body = record(await this.#send("POST", "/applications", form));
    const number = text(body.number);
    const accessKey = text(body.accessKey);
    const fee = record(body.fee ?? {});
    if (!number || !accessKey)
      throw new PortalError("PORTAL_BAD_RESPONSE", "the agency's answer has no application number or access key");
    return {
      number,
      accessKey,
      status: text(body.status) ?? "",
      fee: {
        amountCents: typeof fee.amountCents === "number" ? fee.amountCents : 0,
        currency: text(fee.currency) ?? "EUR",
      },
    };
  }

  async pay(number: string, accessKey: string): Promise<EResidencyReceipt> {
    const body = record(await this.#send("POST", `/applications/${encodeURIComponent(number)}/payment`, { accessKey }));
    const receipt = record(body.receipt ?? {});
    return {
      receipt: {
        id: text(receipt.id) ?? "",
        amountCents: typeof receipt.amountCents === "number" ? receipt.amountCents : 0,
        paidAt: text(receipt.paidAt) ?? "",
      },
      status: text(body.status) ?? "",
    };
  }

  async status(number: string, accessKey: string): Promise<EResidencyStatus> {
    const body = record(await this.#send("POST", `/applications/${encodeURIComponent(number)}/status`, { accessKey }));
    const decision = body.decision && typeof body.decision === "object" ? record(body.decision) : undefined;
    return {
      number: text(body.number) ?? number,
      status: text(body.status) ?? "",
      submittedAt: text(body.submittedAt) ?? "",
      pickupLocation: text(body.pickupLocation) ?? "",
      ...(decision
        ? {
            decision: {
              granted: decision.granted === true,
              ...(text(decision.reason) ? { reason: text(decision.reason) as string } : {}),
              decidedAt: text(decision.decidedAt) ?? "",
            },
          }
        : {}),
      ...(text(body.personalCode) ? { personalCode: text(body.personalCode) as string } : {}),
    };
  }

  /** At most `applicationsPerAddressPerHour` new applications per address (IPv6 by its /64) in an hour. */
  #admit(address: string): Promise<void> {
    const client = isIP(address) === 6 ? address.split(":").slice(0, 4).join(":") : address;
    const bound = {
      name: "e-residency-application",
      max: this.#config.applicationsPerAddressPerHour,
      windowMs: 3600_000,
    };
    return this.#store.count(bound, client);
  }

  async #send(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    const answer = await this.#xroad.send<unknown>({
      client: this.#client,
      service: this.#config.applicationsService,
      method,
      path,
      ...(body === undefined ? {} : { body }),
      issue: PURPOSE,
    });
    return answer.body;
  }
}

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new PortalError("PORTAL_BAD_RESPONSE", "the e-Residency agency's answer is not a JSON object");
  return value as Record<string, unknown>;
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value.slice(0, 2000);
  if (typeof value === "number") return String(value);
  return undefined;
}
