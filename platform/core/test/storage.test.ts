import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type Generated, sql } from "kysely";
import { type ComponentMigration, columnTypes, openStorage, StorageError } from "../src/index.ts";
import { dialectTargets, temporaryDirectory } from "../src/testing/index.ts";
import { crashMigrations } from "./fixtures/crash-writer.ts";

interface NotesDb {
  note: { id: Generated<number>; body: string; digest: Uint8Array };
}

const migrations: Record<string, ComponentMigration> = {
  "0001_notes": {
    async up(db, dialect) {
      const types = columnTypes(dialect);
      await db.schema
        .createTable("note")
        .addColumn("id", types.serialId, (c) => c.primaryKey())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("digest", types.binary, (c) => c.notNull())
        .execute();
    },
  },
};

for (const target of await dialectTargets()) {
  describe(`storage on ${target.dialect}`, () => {
    it("migrates, reads and writes binary data", async () => {
      const storage = await target.open<NotesDb>({ component: "notes", migrations });
      await storage.db
        .insertInto("note")
        .values({ body: "tere", digest: new Uint8Array([0, 1, 255]) })
        .execute();
      const row = await storage.db.selectFrom("note").selectAll().executeTakeFirstOrThrow();
      assert.equal(row.body, "tere");
      assert.deepEqual([...row.digest], [0, 1, 255]);
      assert.equal(typeof row.id, "number");
    });

    it("rolls back a failed transaction completely", async () => {
      const storage = await target.open<NotesDb>({ component: "rollback", migrations });
      await assert.rejects(
        storage.db.transaction().execute(async (trx) => {
          await trx
            .insertInto("note")
            .values({ body: "half", digest: new Uint8Array(1) })
            .execute();
          throw new Error("fail in the middle");
        }),
        /fail in the middle/,
      );
      const { count } = await storage.db
        .selectFrom("note")
        .select((eb) => eb.fn.countAll<number>().as("count"))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count), 0);
    });

    it("applies each migration once, on reopen too", async () => {
      const location = target.location("reopen");
      for (let i = 0; i < 2; i++) {
        const storage = await openStorage<NotesDb>({ component: "reopen", migrations, ...location });
        await storage.db
          .insertInto("note")
          .values({ body: `round ${i}`, digest: new Uint8Array(1) })
          .execute();
        await storage.close();
      }
      const storage = await openStorage<NotesDb>({ component: "reopen", migrations, ...location });
      const rows = await storage.db.selectFrom("note").select("body").execute();
      await storage.close();
      assert.deepEqual(
        rows.map((r) => r.body),
        ["round 0", "round 1"],
      );
    });

    it("reports a failing migration by name and leaves nothing of it", async () => {
      const broken: Record<string, ComponentMigration> = {
        ...migrations,
        "0002_broken": {
          async up(db) {
            await db.schema.createTable("half").addColumn("id", "integer").execute();
            await sql`this is not sql`.execute(db);
          },
        },
      };
      await assert.rejects(target.open({ component: "broken", migrations: broken }), (error: unknown) => {
        return (
          error instanceof StorageError && error.code === "STORAGE_MIGRATION" && error.message.includes("0002_broken")
        );
      });
    });

    it("loses no acknowledged transaction and keeps none half-written after kill -9", async () => {
      const location = target.location("crash");
      const writer = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          fileURLToPath(new URL("./fixtures/crash-writer.ts", import.meta.url)),
          JSON.stringify(location),
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      let acknowledged = 0;
      writer.stdout.setEncoding("utf8");
      writer.stdout.on("data", (chunk: string) => {
        const lines = chunk.trim().split("\n");
        acknowledged = Number(lines[lines.length - 1]);
        if (acknowledged >= 40) writer.kill("SIGKILL");
      });
      await once(writer, "exit");
      assert.ok(acknowledged >= 40, "the writer acknowledged transactions before it was killed");
      const storage = await openStorage<any>({ component: "crash", migrations: crashMigrations, ...location });
      const rows = await storage.db.selectFrom("batch_row").select(["batch", "position"]).execute();
      await storage.close();
      const perBatch = new Map<number, number>();
      for (const row of rows) perBatch.set(Number(row.batch), (perBatch.get(Number(row.batch)) ?? 0) + 1);
      for (const [batch, count] of perBatch) assert.equal(count, 10, `batch ${batch} is whole`);
      assert.ok(perBatch.size >= acknowledged, `${perBatch.size} batches stored, ${acknowledged} acknowledged`);
    });
  });
}

describe("storage options", () => {
  it("refuses a bad component name and a non-PostgreSQL URL", async () => {
    await assert.rejects(openStorage({ component: "../etc", dataDir: "/tmp", migrations }), {
      code: "STORAGE_COMPONENT",
    });
    await assert.rejects(openStorage({ component: "x", dataDir: "/tmp", url: "mysql://h/db", migrations }), {
      code: "STORAGE_URL",
    });
  });

  it("#10 keeps a new data directory 0700 and the SQLite file, -wal and -shm 0600 under umask 022", async () => {
    const previous = process.umask(0o022);
    try {
      const dataDir = join(temporaryDirectory(), "fresh", "notes");
      const storage = await openStorage<NotesDb>({ component: "notes", dataDir, migrations });
      await storage.db
        .insertInto("note")
        .values({ body: "isikuandmed", digest: new Uint8Array(1) })
        .execute();
      const file = join(dataDir, "notes.sqlite");
      assert.ok(existsSync(`${file}-wal`) && existsSync(`${file}-shm`), "WAL mode writes -wal and -shm");
      for (const path of [file, `${file}-wal`, `${file}-shm`]) assert.equal(modeOf(path), 0o600, path);
      assert.equal(modeOf(dataDir), 0o700);
      assert.equal(modeOf(dirname(dataDir)), 0o700);
      await storage.close();

      // A store written before this rule is tightened when it is opened.
      for (const path of [file, `${file}-wal`]) if (existsSync(path)) chmodSync(path, 0o644);
      const reopened = await openStorage<NotesDb>({ component: "notes", dataDir, migrations });
      for (const path of [file, `${file}-wal`, `${file}-shm`]) assert.equal(modeOf(path), 0o600, path);
      await reopened.close();
    } finally {
      process.umask(previous);
    }
  });
});

const modeOf = (path: string) => statSync(path).mode & 0o777;
