// The public data of an election as Belenios 2.0 stores it (spec §4.4, archive.ml): an old-style
// tar file starting with a `BELENIOS` header entry ({"version":1,"timestamp":"…"}), then entries
// named `<sha256 hex>.data.json` and `<sha256 hex>.event.json`, each event naming its parent
// event's hash, its height and its payload's hash. Pinned to version 1 of the header, the format
// of Belenios 2.0: `belenios-tool election verify` rebuilds the file from the last event and
// requires it byte for byte, so the writer below produces exactly archive.ml's blocks (no
// end-of-archive blocks, every mtime the header's timestamp).
import { createHash } from "node:crypto";
import { ElectoralOfficeError } from "../errors.ts";
import { expectObject } from "./proofs.ts";

export type EventType =
  | "Setup"
  | "Ballot"
  | "EndBallots"
  | "EncryptedTally"
  | "Shuffle"
  | "EndShuffles"
  | "PartialDecryption"
  | "Result";

const EVENT_TYPES: readonly EventType[] = [
  "Setup",
  "Ballot",
  "EndBallots",
  "EncryptedTally",
  "Shuffle",
  "EndShuffles",
  "PartialDecryption",
  "Result",
];

export interface ArchiveEvent {
  readonly parent?: string;
  readonly height: number;
  readonly type: EventType;
  readonly payload?: string;
}

export const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

export function eventText(e: ArchiveEvent): string {
  return JSON.stringify({ parent: e.parent, height: e.height, type: e.type, payload: e.payload });
}

export function parseEvent(text: string): ArchiveEvent {
  const raw = JSON.parse(text) as unknown;
  const keys = ["parent", "height", "type", "payload"].filter(
    (k) => typeof raw === "object" && raw !== null && k in raw,
  );
  const o = expectObject(raw, "event", keys);
  const hex = (v: unknown) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v);
  if (
    !keys.includes("height") ||
    !keys.includes("type") ||
    typeof o.height !== "number" ||
    !Number.isInteger(o.height) ||
    !EVENT_TYPES.includes(o.type as EventType) ||
    (o.parent !== undefined && !hex(o.parent)) ||
    (o.payload !== undefined && !hex(o.payload))
  ) {
    throw new ElectoralOfficeError(
      "RECORD_MALFORMED",
      "an event is {parent?, height, type, payload?} with SHA-256 hex hashes",
    );
  }
  const event: ArchiveEvent = {
    ...(o.parent === undefined ? {} : { parent: o.parent as string }),
    height: o.height,
    type: o.type as EventType,
    ...(o.payload === undefined ? {} : { payload: o.payload as string }),
  };
  if (eventText(event) !== text)
    throw new ElectoralOfficeError("RECORD_MALFORMED", "an event is not in canonical form");
  return event;
}

const BLOCK = 512;

/** archive.ml raw_write_header: name, mode 0000644, uid/gid 0, size and mtime in octal, type '0'. */
function tarHeader(name: string, length: number, timestamp: bigint): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, "latin1");
  b.write("0000644", 100, "latin1");
  b.write("0000000", 108, "latin1");
  b.write("0000000", 116, "latin1");
  b.write(length.toString(8).padStart(11, "0"), 124, "latin1");
  b.write(timestamp.toString(8).padStart(11, "0"), 136, "latin1");
  b.write("        ", 148, "latin1");
  b.write("0", 156, "latin1");
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return b;
}

function tarEntry(name: string, body: string, timestamp: bigint): Buffer {
  const content = Buffer.from(body, "utf8");
  const padded = Buffer.alloc(Math.ceil(content.length / BLOCK) * BLOCK);
  content.copy(padded);
  return Buffer.concat([tarHeader(name, content.length, timestamp), padded]);
}

/**
 * The append-only public board (§4.4) as it grows: data are stored by hash, events chain by hash.
 * `bytes()` is the `.bel` file.
 */
export class ElectionArchive {
  private readonly chunks: Buffer[] = [];
  private last: { hash: string; event: ArchiveEvent } | undefined;

  constructor(readonly timestamp: bigint) {
    const header = JSON.stringify({ version: 1, timestamp: timestamp.toString() });
    this.chunks.push(tarEntry("BELENIOS", header, timestamp));
  }

  /** Appends a data entry and returns its hash (what events and other data refer to). */
  data(text: string): string {
    const hash = sha256(text);
    this.chunks.push(tarEntry(`${hash}.data.json`, text, this.timestamp));
    return hash;
  }

  /** Appends the next event of the chain. */
  event(type: EventType, payload?: string): string {
    const event: ArchiveEvent = {
      ...(this.last === undefined ? {} : { parent: this.last.hash }),
      height: this.last === undefined ? 0 : this.last.event.height + 1,
      type,
      ...(payload === undefined ? {} : { payload }),
    };
    const text = eventText(event);
    const hash = sha256(text);
    this.chunks.push(tarEntry(`${hash}.event.json`, text, this.timestamp));
    this.last = { hash, event };
    return hash;
  }

  /** The hash of the last event: the head a monitor records and the ledger anchors. */
  get head(): string | undefined {
    return this.last?.hash;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export interface ArchiveEntry {
  readonly hash: string;
  readonly kind: "data" | "event";
  readonly text: string;
}

/** Reads a `.bel` file's entries (archive.ml MakeReader), refusing anything it would not write. */
export function readArchive(bytes: Uint8Array): { timestamp: bigint; entries: ArchiveEntry[] } {
  const buf = Buffer.from(bytes);
  const malformed = (what: string) => new ElectoralOfficeError("RECORD_MALFORMED", `archive: ${what}`);
  const entries: { name: string; text: string }[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (offset + BLOCK > buf.length) throw malformed("truncated entry header");
    const header = buf.subarray(offset, offset + BLOCK);
    const nul = header.indexOf(0);
    const name = header.subarray(0, nul < 0 || nul > 100 ? 100 : nul).toString("latin1");
    const sizeText = header.subarray(124, 135).toString("latin1");
    if (!/^[0-7]{11}$/.test(sizeText)) throw malformed(`entry ${entries.length} has no octal size`);
    const size = Number.parseInt(sizeText, 8);
    const end = offset + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (end > buf.length) throw malformed(`entry ${name} is truncated`);
    entries.push({ name, text: buf.subarray(offset + BLOCK, offset + BLOCK + size).toString("utf8") });
    offset = end;
  }
  const [first, ...rest] = entries;
  if (first?.name !== "BELENIOS") throw malformed("the first entry must be the BELENIOS header");
  const head = expectObject(JSON.parse(first.text), "BELENIOS", ["version", "timestamp"]);
  if (head.version !== 1 || typeof head.timestamp !== "string" || !/^[0-9]{1,15}$/.test(head.timestamp)) {
    throw malformed("only version 1 headers (Belenios 2.0) are read");
  }
  return {
    timestamp: BigInt(head.timestamp),
    entries: rest.map(({ name, text }) => {
      const m = /^([0-9a-f]{64})\.(data|event)\.json$/.exec(name);
      if (m === null) throw malformed(`unexpected entry name ${JSON.stringify(name)}`);
      return { hash: m[1] as string, kind: m[2] as "data" | "event", text };
    }),
  };
}
