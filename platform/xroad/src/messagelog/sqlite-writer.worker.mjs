// Message-log writer thread for SQLite: better-sqlite3 commits (with their fsync) block the
// thread they run on, so they run here and the security server's event loop keeps serving.
import { parentPort, workerData } from "node:worker_threads";
import SQLite from "better-sqlite3";

const database = new SQLite(workerData.file);
database.pragma("journal_mode = WAL");
database.pragma("synchronous = FULL");
database.pragma("busy_timeout = 5000");
const columns = workerData.columns;
// Rows arrive as values in column order (log.ts, toValues).
const insert = database.prepare(
  `insert into message_log (${columns.join(", ")}) values (${columns.map(() => "?").join(", ")})`,
);
// Data Tracker use rows (datatracker/record.ts) share the transaction of their message.
const useColumns = workerData.useColumns;
const insertUse = database.prepare(
  `insert into data_use (${useColumns.join(", ")}) values (${useColumns.map(() => "?").join(", ")})`,
);
const toBuffer = (value) =>
  value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
const writeAll = database.transaction((rows, uses) => {
  for (const row of rows) insert.run(row.map(toBuffer));
  for (const use of uses) insertUse.run(use.map(toBuffer));
});

// An anchored batch (batch.ts): its statement and the marking of its id range, in one transaction.
const insertBatch = database.prepare(
  "insert into anchor_batch (id, first_id, last_id, statement, tsa_token, ledger_proof, created_at) values (?, ?, ?, ?, ?, ?, ?)",
);
const markBatch = database.prepare("update message_log set batch_id = ? where id >= ? and id <= ?");
const storeBatch = database.transaction((batch) => {
  insertBatch.run(
    batch.id,
    batch.first_id,
    batch.last_id,
    batch.statement,
    toBuffer(batch.tsa_token),
    batch.ledger_proof,
    batch.created_at,
  );
  markBatch.run(batch.id, batch.first_id, batch.last_id);
});

// Replay guard (ss/context.ts): ids of accepted messages, expired ones dropped first.
const pruneRequests = database.prepare("delete from replay_guard where signed_at < ?");
const rememberRequest = database.prepare("insert or ignore into replay_guard (id, signed_at) values (?, ?)");
const rememberAll = database.transaction((entries, pruneBefore) => {
  if (pruneBefore !== null) pruneRequests.run(pruneBefore);
  return entries.map(([requestId, signedAt]) => rememberRequest.run(requestId, signedAt).changes === 1);
});

parentPort.on("message", ({ id, rows, uses, batch, replay, pruneBefore }) => {
  try {
    if (replay) return parentPort.postMessage({ id, result: rememberAll(replay, pruneBefore) });
    if (batch) storeBatch(batch);
    else writeAll(rows, uses);
    parentPort.postMessage({ id });
  } catch (error) {
    parentPort.postMessage({ id, error: error.message });
  }
});
