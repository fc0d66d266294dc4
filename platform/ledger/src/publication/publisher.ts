import type { Calendar } from "../calendar/calendar.ts";
import type { CalendarStore } from "../calendar/store.ts";
import { LedgerError } from "../errors.ts";
import type { NoteSigner } from "../note/verifier-key.ts";
import { encodePublicationCode } from "./publication-code.ts";
import { type PublicationRecord, signPublicationsFile } from "./publications-file.ts";

/**
 * Makes a publication of the latest checkpoint at a fixed interval (default daily), and
 * keeps the signed publications file listing all of them.
 */
export class Publisher {
  private records: PublicationRecord[] = [];
  private file = "";
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly calendar: Calendar,
    private readonly store: CalendarStore,
    private readonly signer: NoteSigner,
  ) {}

  static async open(calendar: Calendar, store: CalendarStore, signer: NoteSigner): Promise<Publisher> {
    const publisher = new Publisher(calendar, store, signer);
    publisher.records = await store.publications();
    publisher.file = signPublicationsFile(calendar.origin, publisher.records, signer);
    return publisher;
  }

  get publications(): readonly PublicationRecord[] {
    return this.records;
  }

  /** The signed publications file (a C2SP signed note). */
  get publicationsFile(): string {
    return this.file;
  }

  start(intervalMs: number, onError: (error: unknown) => void): void {
    this.timer = setInterval(() => this.publish().catch(onError), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Publishes the latest checkpoint if the calendar grew since the last publication. */
  async publish(now = Date.now()): Promise<PublicationRecord | undefined> {
    const latest = this.calendar.latest;
    const previous = this.records[this.records.length - 1];
    if (!latest || latest.checkpoint.size === 0 || (previous && previous.size >= latest.checkpoint.size))
      return undefined;
    const { size, root } = latest.checkpoint;
    const record: PublicationRecord = { size, root, publishedAt: now, code: encodePublicationCode({ size, root }) };
    await this.store.addPublication(record);
    this.records = [...this.records, record];
    this.file = signPublicationsFile(this.calendar.origin, this.records, this.signer);
    return record;
  }

  /** The publication to extend a round to: the given size, or the first publication covering the round. */
  find(round: number, size?: number): PublicationRecord {
    const found =
      size === undefined ? this.records.find((p) => p.size > round) : this.records.find((p) => p.size === size);
    if (!found) {
      throw new LedgerError(
        "PUBLICATION_NOT_FOUND",
        size === undefined ? `no publication covers round ${round} yet` : `no publication of size ${size}`,
      );
    }
    if (found.size <= round)
      throw new LedgerError("PUBLICATION_NOT_FOUND", `publication ${found.size} precedes round ${round}`);
    return found;
  }
}
