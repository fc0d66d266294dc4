// Publish/subscribe delivery as a property (fast-check): whatever the subjects of a burst,
// the subscriber's rejections and the calls lost before or after the subscriber applied a
// batch, every event is applied exactly once and each subject's events in publishing order;
// an event rejected maxAttempts times is a dead letter that holds back only its subjects.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dialectTargets } from "@riik/core/testing";
import fc from "fast-check";
import {
  type ChangeJournalDb,
  changeJournalMigration,
  createSubscriber,
  type EventOutboxDb,
  eventOutboxMigration,
  openMemberStorage,
  type PubSubPublisherDb,
  type PubSubSubscriberDb,
  pubsubPublisherMigration,
  pubsubSubscriberMigration,
  startPushDispatcher,
} from "../src/index.ts";

const PUBLISHER = "EE/GOV/70000562/rr";
const SUBSCRIBER = "EE/GOV/70001975/benefits";
const MAX_ATTEMPTS = 3;

interface SeenDb extends ChangeJournalDb, PubSubSubscriberDb {
  seen: { n: number; seq: number; subjects: string };
}

/** One event of a burst: its subjects, how often the subscriber's handler fails it, whether the answer is lost. */
const EVENT = fc.record({
  subjects: fc.uniqueArray(fc.constantFrom("A", "B", "C", "D", "E"), { maxLength: 2 }),
  failures: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: MAX_ATTEMPTS - 1 }) },
    { weight: 1, arbitrary: fc.constant(MAX_ATTEMPTS) },
  ),
});
const SCENARIO = fc.record({
  events: fc.array(EVENT, { minLength: 1, maxLength: 30 }),
  /** Per call: 0 answers, 1 fails before the subscriber sees the batch, 2 loses the answer after it applied it. */
  calls: fc.array(fc.constantFrom(0, 0, 0, 1, 2), { maxLength: 20 }),
  batchSize: fc.integer({ min: 1, max: 8 }),
});

for (const target of await dialectTargets()) {
  describe(`publish/subscribe ordering on ${target.dialect}`, () => {
    it("applies every event once, in order per subject; dead letters hold back only their subjects until re-driven", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(SCENARIO, async ({ events, calls, batchSize }) => {
          run += 1;
          const publisherStore = await openMemberStorage<EventOutboxDb & PubSubPublisherDb>({
            component: `pub_${run}`,
            ...target.location(`pub_${run}`),
            migrations: { a: changeJournalMigration, b: eventOutboxMigration, c: pubsubPublisherMigration },
          });
          const subscriberStore = await openMemberStorage<SeenDb>({
            component: `sub_${run}`,
            ...target.location(`sub_${run}`),
            migrations: {
              a: changeJournalMigration,
              b: pubsubSubscriberMigration,
              c: {
                async up(db) {
                  await db.schema
                    .createTable("seen")
                    .addColumn("n", "integer", (c) => c.primaryKey())
                    .addColumn("seq", "integer", (c) => c.notNull())
                    .addColumn("subjects", "text", (c) => c.notNull())
                    .execute();
                },
              },
            },
          });
          try {
            // The burst: one event per change, each naming its subjects.
            for (const [i, event] of events.entries())
              await publisherStore.write(async ({ emit }) =>
                emit({ type: "thing.changed", data: { i, subjects: event.subjects } }),
              );
            await publisherStore.db
              .insertInto("pubsub_subscription")
              .values({
                id: "00000000-0000-4000-8000-000000000001",
                subscriber: SUBSCRIBER,
                event_types: JSON.stringify(["thing.changed"]),
                delivery: "PUSH",
                push_service: `${SUBSCRIBER}/events-inbox`,
                push_path: "/",
                status: "ACTIVE",
                cursor: 0,
                failures: 0,
                retry_at_ms: 0,
                last_error: null,
                created_at: "2026-11-28T00:00:00Z",
                updated_at: "2026-11-28T00:00:00Z",
              })
              .execute();
            const failuresLeft = events.map((e) => e.failures);
            let order = 0;
            const subscriber = createSubscriber<SeenDb>({
              storage: subscriberStore,
              publishers: [PUBLISHER],
              handlers: {
                "thing.changed": async (event, { trx }) => {
                  const i = (event.data as { i: number }).i;
                  // A poison event (failures ≥ MAX_ATTEMPTS) fails until the subscriber is fixed.
                  if ((failuresLeft[i] ?? 0) > 0) {
                    if (failuresLeft[i]! < MAX_ATTEMPTS) failuresLeft[i]! -= 1;
                    throw new Error(`refused ${i}`);
                  }
                  order += 1;
                  await trx
                    .insertInto("seen")
                    .values({ n: order, seq: event.sequence, subjects: JSON.stringify(event.subjects) })
                    .execute();
                },
              },
            });
            let call = 0;
            let clock = 1_000_000;
            const push = startPushDispatcher({
              db: publisherStore.db,
              publisher: PUBLISHER,
              subjectsOf: (_type, data) => (data as { subjects: string[] }).subjects,
              maxAttempts: MAX_ATTEMPTS,
              backoffMs: () => 1000,
              batchSize,
              intervalMs: 3_600_000,
              now: () => clock,
              send: async (_target, batch) => {
                // After the scripted calls the subscriber answers: every outage ends.
                const fate = calls[call++] ?? 0;
                if (fate === 1) throw new Error("subscriber unreachable");
                const results = await subscriber.apply(PUBLISHER, batch);
                if (fate === 2) throw new Error("answer lost");
                return results;
              },
            });
            const settle = async () => {
              for (let round = 0; round < 500; round++) {
                clock += 10_000;
                const before = call;
                await push.drain();
                if (call === before) return; // nothing was due: settled
              }
              assert.fail("delivery did not settle");
            };
            try {
              await settle();
              const dead = await publisherStore.db
                .selectFrom("pubsub_parked")
                .select(["seq", "dead_at"])
                .where("dead_at", "is not", null)
                .execute();
              // Expected: a poison event that reaches the subscriber dies; one held behind an
              // earlier dead letter of its subject never goes out; the rest are applied.
              const blocked = new Set<string>();
              const poisoned: number[] = [];
              const expectedApplied: number[] = [];
              for (const [i, e] of events.entries()) {
                const held = e.subjects.some((s) => blocked.has(s));
                if (!held && e.failures >= MAX_ATTEMPTS) poisoned.push(i + 1);
                if (held || e.failures >= MAX_ATTEMPTS) for (const s of e.subjects) blocked.add(s);
                else expectedApplied.push(i + 1);
              }
              assert.deepEqual(
                dead.map((d) => Number(d.seq)).sort((a, b) => a - b),
                poisoned,
                "dead letters",
              );
              const seenBefore = await subscriberStore.db.selectFrom("seen").select("seq").execute();
              assert.deepEqual(
                seenBefore.map((r) => Number(r.seq)).sort((a, b) => a - b),
                expectedApplied,
                "applied while the dead letters wait",
              );
              // The operator re-drives every dead letter (as POST …/redrive does) once the subscriber is fixed.
              failuresLeft.fill(0);
              await publisherStore.db
                .updateTable("pubsub_parked")
                .set({ dead_at: null, attempts: 0, next_attempt_ms: 0 })
                .execute();
              await settle();
            } finally {
              await push.stop();
            }
            const seen = await subscriberStore.db.selectFrom("seen").selectAll().orderBy("n").execute();
            assert.deepEqual(
              seen.map((r) => Number(r.seq)).sort((a, b) => a - b),
              events.map((_e, i) => i + 1),
              "every event applied exactly once",
            );
            for (const subject of ["A", "B", "C", "D", "E"]) {
              const sequence = seen
                .filter((r) => (JSON.parse(r.subjects) as string[]).includes(subject))
                .map((r) => Number(r.seq));
              assert.deepEqual(
                sequence,
                [...sequence].sort((a, b) => a - b),
                `subject ${subject} in order`,
              );
            }
            const applied = await subscriberStore.db.selectFrom("pubsub_applied").select("seq").execute();
            assert.equal(applied.length, events.length);
            assert.equal(
              Number(
                (
                  await publisherStore.db
                    .selectFrom("pubsub_parked")
                    .select((eb) => eb.fn.countAll().as("n"))
                    .executeTakeFirst()
                )?.n,
              ),
              0,
              "nothing left parked",
            );
          } finally {
            await publisherStore.close();
            await subscriberStore.close();
          }
        }),
        {
          numRuns: target.dialect === "sqlite" ? 40 : 5,
          verbose: 1,
          examples: [
            [
              {
                events: [
                  { subjects: ["A"], failures: 1 },
                  { subjects: [], failures: 1 },
                  { subjects: ["D"], failures: 0 },
                  { subjects: [], failures: 1 },
                ],
                calls: [0, 2],
                batchSize: 5,
              },
            ],
          ],
        },
      );
    });
  });
}
