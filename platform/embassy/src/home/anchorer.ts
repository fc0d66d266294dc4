import type { LedgerClient, LedgerSignature } from "@riik/ledger";
import { EmbassyError } from "../errors.ts";
import type { ShipperContext } from "./context.ts";

/** One pass of the anchor loop: outbox digests -> ledger signatures, in batches; true when it did work. */
export async function anchorOnce(context: ShipperContext, ledger: LedgerClient): Promise<boolean> {
  const { store, config, events } = context;
  const rows = await store.db
    .selectFrom("shipper_segment")
    .select(["registry", "idx", "digest"])
    .where("signature", "is", null)
    .orderBy("created_at")
    .limit(2000)
    .execute();
  if (rows.length === 0) return false;
  let signatures: LedgerSignature[];
  try {
    signatures = await ledger.aggregate(
      rows.map((r) => ({ algorithm: "SHA-256", digest: Buffer.from(r.digest, "hex") })),
    );
  } catch (cause) {
    throw new EmbassyError("LEDGER_UNAVAILABLE", `cannot anchor at ${config.ledgerUrl}: ${(cause as Error).message}`, {
      cause,
    });
  }
  await store.db.transaction().execute(async (trx) => {
    for (const [i, r] of rows.entries())
      await trx
        .updateTable("shipper_segment")
        .set({ signature: JSON.stringify(signatures[i]) })
        .where("registry", "=", r.registry)
        .where("idx", "=", r.idx)
        .execute();
  });
  events.emit("anchored", { segments: rows.length });
  return true;
}
