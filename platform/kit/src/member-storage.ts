import {
  type Change,
  type DialectName,
  openStorage,
  recordChanges,
  type Storage,
  type StorageOptions,
} from "@riik/core";
import type { Kysely, Transaction } from "kysely";
import { appendEvents, type OutboxEvent } from "./event-outbox.ts";

/** What a write sees: its transaction, and where it records its changes and emits its events. */
export interface MemberWrite<DB> {
  readonly trx: Transaction<DB>;
  /** A change to journal (entity, key, op and the entity's state after it). */
  change(change: Change): void;
  /** A life event for the outbox (event-outbox.ts); needs `eventOutboxMigration`. */
  emit(event: OutboxEvent): void;
}

/**
 * A member's storage (core: SQLite or PostgreSQL, migrations) with one way to write: in a
 * transaction whose changes go to the change journal and whose events go to the outbox in
 * that same transaction, so a replica (the data embassy) and the event receivers see a
 * change if and only if it committed.
 */
export class MemberStorage<DB> {
  constructor(readonly storage: Storage<DB>) {}

  get db(): Kysely<DB> {
    return this.storage.db;
  }

  get dialect(): DialectName {
    return this.storage.dialect;
  }

  /** Runs `work` in one transaction and journals what it recorded at its end, in it; `at` stamps the journal and events. */
  write<T>(work: (write: MemberWrite<DB>) => Promise<T>, at: Date = new Date()): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const changes: Change[] = [];
      const events: OutboxEvent[] = [];
      const result = await work({ trx, change: (c) => changes.push(c), emit: (e) => events.push(e) });
      await recordChanges(trx, changes, at);
      await appendEvents(trx, events, at);
      return result;
    });
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}

/** Opens (and migrates) a member's storage; the migrations must include core's `changeJournalMigration`. */
export async function openMemberStorage<DB>(options: StorageOptions): Promise<MemberStorage<DB>> {
  return new MemberStorage(await openStorage<DB>(options));
}
