// Two library-card registers on the xroad sandbox (platform/xroad/test/fixtures/sandbox.ts):
// the publisher is PROVIDER_SUBSYSTEM behind ss2, the subscriber OTHER behind ss1. Used by
// the publish/subscribe tests and `npm run bench -- events`.
import { join } from "node:path";
import { generatePersonalCode } from "@riik/core";
import {
  json,
  OTHER,
  PROVIDER_SUBSYSTEM,
  type Proc,
  riik,
  type Sandbox,
  start,
  waitFor,
} from "../../../xroad/test/fixtures/sandbox.ts";
import type { MemberStorage } from "../../src/index.ts";
import type { LibraryCardDb } from "../example-agency/schema.ts";

export const PUBLISHER = PROVIDER_SUBSYSTEM;
export const SUBSCRIBER = OTHER;
/** The official the pushes and pulls are made as (X-Road-UserId). */
export const OFFICIAL = `EE${generatePersonalCode("1975-03-14", "female", 21)}`;
const MAIN = join(import.meta.dirname, "../example-agency/main.ts");

export interface EventServices {
  /** The publisher's events service and the subscriber's inbox service. */
  events: string;
  inbox: string;
}

/**
 * Registers the publisher's `events` service on ss2 (its URL the publisher's /pubsub, a
 * personal-data service the subscriber may call) and the subscriber's inbox on ss1 (its
 * /pubsub-inbox, personal data, the publisher may call), then has both servers refresh.
 */
export async function registerEventServices(
  sb: Sandbox,
  suffix: string,
  ports: { publisher: number; subscriber: number },
): Promise<EventServices> {
  const events = `events-${suffix}`;
  const inbox = `inbox-${suffix}`;
  riik([
    "ss",
    "service-add",
    "--config",
    sb.ss2.config,
    "--client",
    PUBLISHER,
    "--code",
    events,
    "--url",
    `http://127.0.0.1:${ports.publisher}/pubsub`,
    "--personal-data",
  ]);
  riik([
    "ss",
    "access-grant",
    "--config",
    sb.ss2.config,
    "--client",
    PUBLISHER,
    "--service",
    events,
    "--subject",
    SUBSCRIBER,
  ]);
  riik([
    "ss",
    "service-add",
    "--config",
    sb.ss1.config,
    "--client",
    SUBSCRIBER,
    "--code",
    inbox,
    "--url",
    `http://127.0.0.1:${ports.subscriber}/pubsub-inbox`,
    "--personal-data",
  ]);
  riik([
    "ss",
    "access-grant",
    "--config",
    sb.ss1.config,
    "--client",
    SUBSCRIBER,
    "--service",
    inbox,
    "--subject",
    PUBLISHER,
  ]);
  for (const ss of [sb.ss1, sb.ss2]) await json(`${ss.admin}/api/v1/refresh`, { method: "POST", token: ss.token });
  return { events: `${PUBLISHER}/${events}`, inbox: `${SUBSCRIBER}/${inbox}` };
}

export interface AgencyProcessConfig {
  role: "publisher" | "subscriber";
  port: number;
  storage: { dataDir: string; url?: string; schema?: string };
  securityServer?: string;
  client?: string;
  userId?: string;
  operatorToken?: string;
  intervalMs?: number;
  batchSize?: number;
  publishers?: string[];
}

/** Starts the example register as a process of its own (example-agency/main.ts) and waits for it. */
export async function startAgency(config: AgencyProcessConfig): Promise<Proc> {
  const proc = start(["--import", "tsx", MAIN, JSON.stringify(config)]);
  await waitFor(`http://127.0.0.1:${config.port}/healthz`, proc);
  return proc;
}

/** Kills a process with SIGKILL (no shutdown of any kind) and waits for it to be gone. */
export function kill9(proc: Proc): Promise<void> {
  return new Promise((done) => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return done();
    proc.child.once("exit", () => done());
    proc.child.kill("SIGKILL");
  });
}

/** The i-th card of a burst: holders repeat (two libraries each), so every subject has several events in order. */
export function burstCard(i: number): { holder: string; library: string } {
  const person = Math.floor(i / 2);
  const day = new Date(Date.UTC(1950, 0, 1) + Math.floor(person / 500) * 86_400_000).toISOString().slice(0, 10);
  return {
    holder: generatePersonalCode(day, person % 2 ? "male" : "female", person % 500),
    library: i % 2 ? "TRT" : "TLN",
  };
}

/**
 * Writes cards [from, to) as the register does (card, journal entry and, unless `publish` is
 * false, the outbox event, in one transaction), `perWrite` to a transaction.
 */
export async function writeBurst(
  store: MemberStorage<LibraryCardDb>,
  from: number,
  to: number,
  perWrite = 10,
  between?: (written: number) => Promise<void>,
  publish = true,
): Promise<void> {
  for (let i = from; i < to; i += perWrite) {
    await store.write(async ({ trx, change, emit }) => {
      for (let j = i; j < Math.min(to, i + perWrite); j++) {
        const { holder, library } = burstCard(j);
        const card = {
          cardNumber: `${library}-${String(j + 1).padStart(6, "0")}`,
          holderCode: holder,
          library,
          issued: "2026-11-28",
        };
        await trx
          .insertInto("card")
          .values({ card_number: card.cardNumber, holder_code: holder, library, issued: card.issued })
          .execute();
        change({ entity: "card", key: card.cardNumber, op: "upsert", data: card });
        if (publish) emit({ type: "card.issued", data: { subjects: [holder], ...card } });
      }
    });
    await between?.(Math.min(to, i + perWrite));
  }
}
