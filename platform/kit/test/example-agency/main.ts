// The worked example as a process of its own (the kill -9 test, `npm run bench -- events`):
// node --import tsx main.ts '<json>' serves a library-card register that publishes its
// card.issued events (role "publisher") or takes another register's (role "subscriber").
import { openMemberStorage, XRoadRestClient } from "@riik/kit";
import { createCardPublisher, createCardSubscriber } from "./events.ts";
import { type LibraryCardDb, migrations } from "./schema.ts";
import { createLibraryCardService } from "./service.ts";

interface ProcessConfig {
  role: "publisher" | "subscriber";
  port: number;
  storage: { dataDir: string; url?: string; schema?: string };
  /** Publisher: its own security server's client URL, its subsystem, the pushes' user. */
  securityServer?: string;
  client?: string;
  userId?: string;
  operatorToken?: string;
  intervalMs?: number;
  batchSize?: number;
  /** Subscriber: the publishers it takes events from. */
  publishers?: string[];
}

const config = JSON.parse(process.argv[2] ?? "{}") as ProcessConfig;
const store = await openMemberStorage<LibraryCardDb>({ component: "library_cards", ...config.storage, migrations });
const xroad =
  config.role === "publisher"
    ? new XRoadRestClient({ securityServer: config.securityServer!, client: config.client! })
    : undefined;
const publisher = xroad
  ? createCardPublisher(store, {
      publisher: config.client!,
      xroad,
      userId: config.userId!,
      ...(config.operatorToken ? { operatorToken: config.operatorToken } : {}),
      intervalMs: config.intervalMs ?? 100,
      batchSize: config.batchSize ?? 100,
      backoff: { baseMs: 100, maxMs: 1000 },
    })
  : undefined;
const subscriber = config.role === "subscriber" ? createCardSubscriber(store, config.publishers ?? []) : undefined;
const service = createLibraryCardService(store, {
  ...(publisher ? { publisher } : {}),
  ...(subscriber ? { subscriber } : {}),
});
const url = await service.listen({ port: config.port });
publisher?.start();
console.log(JSON.stringify({ ready: url }));

process.once("SIGTERM", async () => {
  await publisher?.stop();
  await service.close();
  await xroad?.close();
  await store.close();
  process.exit(0);
});
