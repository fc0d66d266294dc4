// Message-log writer thread for SQLite: better-sqlite3 commits (with their fsync) block the
// thread they run on, so they run here and the security server's event loop keeps serving.
import { parentPort, workerData } from "node:worker_threads";
import SQLite from "better-sqlite3";

const database = new SQLite(workerData.file);
database.pragma("journal_mode = WAL");
database.pragma("synchronous = FULL");
database.pragma("busy_timeout = 5000");
const columns = workerData.columns;
const insert = database.prepare(
  `insert into message_log (${columns.join(", ")}) values (${columns.map((c) => `@${c}`).join(", ")})`,
);
// Data Tracker use rows (datatracker/record.ts) share the transaction of their message.
const useColumns = workerData.useColumns ?? [];
const insertUse =
  useColumns.length > 0
    ? database.prepare(
        `insert into data_use (${useColumns.join(", ")}) values (${useColumns.map((c) => `@${c}`).join(", ")})`,
      )
    : undefined;
const toBuffer = (value) =>
  value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
const writeAll = database.transaction((rows, uses) => {
  for (const row of rows) {
    const bound = {};
    for (const column of columns) bound[column] = toBuffer(row[column] ?? null);
    insert.run(bound);
  }
  for (const use of uses ?? []) {
    const bound = {};
    for (const column of useColumns) bound[column] = use[column] ?? null;
    insertUse.run(bound);
  }
});

parentPort.on("message", ({ id, rows, uses }) => {
  try {
    writeAll(rows, uses);
    parentPort.postMessage({ id });
  } catch (error) {
    parentPort.postMessage({ id, error: error.message });
  }
});
