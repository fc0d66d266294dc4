// npm run bench -- events [events]
// Life events end to end: a register writes changes with their events (outbox, same
// transaction), its publisher pushes them through its own security server to the
// subscriber's, whose inbox applies each exactly once. Events delivered per second, against
// the rate of the same changes written without publishing, in one run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@riik/core/testing";
import { openMemberStorage, SUBSCRIPTION_ITEM, XRoadRestClient } from "@riik/kit";
import { type LibraryCardDb, migrations } from "../platform/kit/test/example-agency/schema.ts";
import {
  OFFICIAL,
  PUBLISHER,
  registerEventServices,
  SUBSCRIBER,
  startAgency,
  writeBurst,
} from "../platform/kit/test/pubsub/fixture.ts";
import { startSandbox } from "../platform/xroad/test/fixtures/sandbox.ts";

const total = Number(process.argv[2] ?? 10_000);
const PER_WRITE = 10;
const dir = mkdtempSync(join(tmpdir(), "riik-bench-events-"));
const sb = await startSandbox({ dir });
const open = (name: string) =>
  openMemberStorage<LibraryCardDb>({ component: "library_cards", dataDir: join(dir, name), migrations });
try {
  // Baseline: the same changes, journalled, no events.
  const plain = await open("plain");
  let started = performance.now();
  await writeBurst(plain, 0, total, PER_WRITE, undefined, false);
  const writeRate = total / ((performance.now() - started) / 1000);
  await plain.close();
  console.log(
    `changes written without publishing (${PER_WRITE} per transaction)`.padEnd(62),
    `${writeRate.toFixed(0).padStart(9)} /s`,
  );

  const ports = { publisher: await freePort(), subscriber: await freePort() };
  const services = await registerEventServices(sb, "bench", ports);
  const publisher = await startAgency({
    role: "publisher",
    port: ports.publisher,
    storage: { dataDir: join(dir, "publisher") },
    securityServer: sb.ss2.client,
    client: PUBLISHER,
    userId: OFFICIAL,
    intervalMs: 20,
  });
  const subscriber = await startAgency({
    role: "subscriber",
    port: ports.subscriber,
    storage: { dataDir: join(dir, "subscriber") },
    publishers: [PUBLISHER],
  });
  const client = new XRoadRestClient({ securityServer: sb.ss1.client, client: SUBSCRIBER });
  await client.call({
    service: services.events,
    path: "/subs",
    method: "POST",
    body: { eventTypes: ["card.issued"], delivery: "PUSH", push: { service: services.inbox } },
    answer: SUBSCRIPTION_ITEM,
    userId: OFFICIAL,
    issue: "benchmark",
  });
  await client.close();
  const source = await open("publisher");
  const sink = await open("subscriber");
  const applied = async () =>
    Number(
      (
        await sink.db
          .selectFrom("card_notice")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirst()
      )?.n,
    );
  started = performance.now();
  let writtenAt = 0;
  const writing = writeBurst(source, 0, total, PER_WRITE, undefined, true).then(() => {
    writtenAt = performance.now();
  });
  let lastShown = performance.now();
  for (let last = await applied(); last < total; last = await applied()) {
    if (performance.now() - lastShown > 5000) {
      console.log(`  … ${last} of ${total} applied`);
      lastShown = performance.now();
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const elapsed = (performance.now() - started) / 1000;
  await writing;
  const eventRate = total / elapsed;
  console.log(
    `changes written with their events (same transactions)`.padEnd(62),
    `${(total / ((writtenAt - started) / 1000)).toFixed(0).padStart(9)} /s  (while being delivered)`,
  );
  console.log(
    `events delivered end to end (ss2 → ss1, applied once)`.padEnd(62),
    `${eventRate.toFixed(0).padStart(9)} /s  (${total} in ${elapsed.toFixed(1)} s)`,
  );
  await source.close();
  await sink.close();
  await publisher.stop();
  await subscriber.stop();
  console.log(`ratio events delivered/s ÷ changes written without publishing/s: ${(eventRate / writeRate).toFixed(3)}`);
} finally {
  await sb.stop();
  rmSync(dir, { recursive: true, force: true });
}
