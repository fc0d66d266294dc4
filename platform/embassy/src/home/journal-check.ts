import type { ShipperContext } from "./context.ts";
import type { EmbassyClient } from "./embassy-client.ts";
import type { HomeRegistry } from "./home-registry.ts";
import { entryHash, type OutboxHead } from "./outbox.ts";

/**
 * The journal entry at the chain's last seq must still be the one shipped. If not, the
 * registry's data was replaced (a restore from an embassy): the chain continues from the
 * newest element the journal still matches ("rewound": cut segments after it, which no
 * embassy holds, are dropped), or shipping pauses when embassies hold more than that.
 */
export async function checkJournal(
  context: ShipperContext,
  registry: HomeRegistry,
  head: OutboxHead,
  embassies: ReadonlyMap<string, EmbassyClient>,
): Promise<"matches" | "rewound" | "paused"> {
  if (!head.entryHash || head.lastSeq === 0) return "matches";
  const matches = async (seq: number, hash: string) => {
    const row = await registry.entryAt(seq);
    return row !== undefined && entryHash(row) === hash;
  };
  if (await matches(head.lastSeq, head.entryHash)) {
    registry.paused = undefined;
    return "matches";
  }
  const { store, logger } = context;
  const name = registry.name;
  const candidates = await store.db
    .selectFrom("shipper_segment")
    .select(["idx", "last_seq", "entry_hash", "kind", "snapshot_last"])
    .where("registry", "=", name)
    .where("entry_hash", "is not", null)
    .orderBy("idx", "desc")
    .execute();
  let keep: number | undefined;
  // The last element of a complete snapshot or a changes segment; never inside a snapshot.
  for (const c of candidates)
    if ((c.kind === "changes" || Number(c.snapshot_last) === 1) && (await matches(Number(c.last_seq), c.entry_hash!))) {
      keep = Number(c.idx);
      break;
    }
  let held = -1;
  for (const [embassy, client] of embassies) {
    try {
      held = Math.max(held, (await client.head(name))?.index ?? -1);
    } catch (error) {
      registry.paused = `the journal of ${name} changed under the shipper and embassy ${embassy} cannot be asked what it holds: ${(error as Error).message}`;
      logger.error({ registry: name }, registry.paused);
      return "paused";
    }
  }
  if (keep === undefined || held > keep) {
    registry.paused = `the journal of ${name} no longer matches the chain (embassies hold up to segment ${held}, the journal matches ${keep ?? "none"}); shipping of ${name} is paused`;
    logger.error({ registry: name }, registry.paused);
    return "paused";
  }
  await store.db.deleteFrom("shipper_segment").where("registry", "=", name).where("idx", ">", keep).execute();
  logger.warn(
    { registry: name, from: keep },
    "the registry was restored; the chain continues from the restored position",
  );
  return "rewound";
}
