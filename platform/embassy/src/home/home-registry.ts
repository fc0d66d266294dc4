import { statSync } from "node:fs";
import { type JournalEntry, openStorage, type RegistryDefinition, type Storage } from "@riik/core";
import type { Logger } from "pino";
import { EmbassyError } from "../errors.ts";
import type { ShipperConfig } from "./config.ts";

/**
 * A registry's database at home as the shipper reads it: two connections (a long snapshot
 * dump must not stall journal reading) that follow a restore replacing the database file.
 */
export class HomeRegistry {
  /** Why shipping of this registry is paused (shown as its last error), if it is. */
  paused: string | undefined;

  private constructor(
    readonly definition: RegistryDefinition,
    private readonly open: () => Promise<Storage<any>>,
    public storage: Storage<any>,
    public snapshotStorage: Storage<any>,
    /** SQLite: the database file's inode, to notice a file replaced by a restore. */
    private inode: number | undefined,
  ) {}

  static async open(definition: RegistryDefinition, entry: ShipperConfig["registries"][number]): Promise<HomeRegistry> {
    const open = () =>
      openStorage<any>({
        component: definition.component,
        dataDir: entry.dataDir,
        url: entry.databaseUrl,
        ...(entry.schema ? { schema: entry.schema } : {}),
        migrations: definition.migrations,
      });
    const storage = await open();
    const snapshotStorage = await open().catch(async (error) => {
      await storage.close();
      throw error;
    });
    const inode = storage.dialect === "sqlite" ? statSync(storage.location).ino : undefined;
    return new HomeRegistry(definition, open, storage, snapshotStorage, inode);
  }

  get name(): string {
    return this.definition.name;
  }

  /** The journal entry at `seq`, if the journal holds it. */
  async entryAt(seq: number): Promise<JournalEntry | undefined> {
    return (await this.storage.db.selectFrom("change_journal").selectAll().where("seq", "=", seq).executeTakeFirst()) as
      | JournalEntry
      | undefined;
  }

  /**
   * A registry restored from an embassy is a new SQLite file: connections to the old one
   * would go on reading destroyed data. Wait while the file is missing (never create it).
   */
  async reopenIfReplaced(logger: Logger): Promise<void> {
    if (this.inode === undefined) return;
    let inode: number;
    try {
      inode = statSync(this.storage.location).ino;
    } catch {
      this.paused = `the database of ${this.name} (${this.storage.location}) is missing`;
      throw new EmbassyError("JOURNAL_REGRESSED", this.paused);
    }
    if (inode === this.inode) return;
    await this.storage.close().catch(() => undefined);
    await this.snapshotStorage.close().catch(() => undefined);
    this.storage = await this.open();
    this.snapshotStorage = await this.open();
    this.inode = inode;
    this.paused = undefined;
    logger.warn({ registry: this.name }, "the registry's database file was replaced; reopened");
  }

  async close(): Promise<void> {
    await this.storage.close().catch(() => undefined);
    await this.snapshotStorage.close().catch(() => undefined);
  }
}
