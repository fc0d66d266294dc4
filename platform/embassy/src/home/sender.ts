import { isEmbassyError } from "../errors.ts";
import { encodeSegmentParts } from "../format/segment.ts";
import { backoffMs, type ShipperContext, sleep } from "./context.ts";
import type { DeliveryBoard } from "./delivery-status.ts";
import type { EmbassyClient } from "./embassy-client.ts";

/**
 * The send loop for one embassy and registry: anchored segments, in chain order, from the
 * position the embassy itself reports, so that a crash on either side neither loses nor
 * duplicates. Runs while `running()` holds.
 */
export async function sendLoop(
  context: ShipperContext,
  board: DeliveryBoard,
  client: EmbassyClient,
  embassy: string,
  registry: string,
  running: () => boolean,
): Promise<void> {
  const { store, config, metrics, logger } = context;
  let position: number | undefined;
  let failures = 0;
  while (running()) {
    try {
      // Where to resume is what the embassy says it holds, not what we remember.
      position ??= (await client.head(registry))?.index ?? -1;
      const rows = await store.db
        .selectFrom("shipper_segment")
        .selectAll()
        .where("registry", "=", registry)
        .where("idx", ">", position)
        .orderBy("idx")
        .limit(16)
        .execute();
      // Only anchored segments, and only the unbroken run after the embassy's head.
      const sendable: typeof rows = [];
      for (const row of rows) {
        if (row.signature === null || Number(row.idx) !== position + 1 + sendable.length) break;
        sendable.push(row);
      }
      if (sendable.length === 0) {
        await sleep(config.pollMs);
        continue;
      }
      for (const row of sendable) {
        const bytes = encodeSegmentParts(Buffer.from(row.header), row.signature!, Buffer.from(row.ciphertext));
        const result = await client.post(registry, bytes);
        position = Number(row.idx);
        await recordDelivery(context, embassy, registry, position, Number(row.last_seq));
        if (!result.duplicate) {
          metrics.shipped.inc({ embassy, registry });
          metrics.bytes.inc({ embassy, registry }, bytes.length);
        }
      }
      failures = 0;
      board.setError(embassy, registry, null);
    } catch (error) {
      failures += 1;
      const code = isEmbassyError(error) ? error.code : "ERROR";
      if (code !== "EMBASSY_UNREACHABLE") metrics.refused.inc({ embassy, code });
      board.setError(embassy, registry, `${code}: ${(error as Error).message}`);
      logger.warn(
        { embassy, registry, code, err: (error as Error).message },
        "send failed; asking the embassy where it stands",
      );
      position = undefined;
      await sleep(backoffMs(config, failures));
    }
  }
}

async function recordDelivery(
  context: ShipperContext,
  embassy: string,
  registry: string,
  idx: number,
  lastSeq: number,
): Promise<void> {
  const ackedAt = new Date(context.now()).toISOString();
  await context.store.db
    .insertInto("shipper_delivery")
    .values({ embassy, registry, idx, last_seq: lastSeq, acked_at: ackedAt })
    .onConflict((oc) => oc.columns(["embassy", "registry"]).doUpdateSet({ idx, last_seq: lastSeq, acked_at: ackedAt }))
    .execute();
  context.events.emit("delivered", { embassy, registry, index: idx, lastSeq });
}
