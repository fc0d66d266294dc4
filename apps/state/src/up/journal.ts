import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "@riik/core";
import { StateError } from "../errors.ts";

export const JOURNAL_FORMAT = "riik-state-init/1";

/** A demo person's ID card, as state.json and the start-up banner list it. */
export interface DemoCard {
  personalCode: string;
  name: string;
  /** The card file (JSON, keys encrypted under the PINs). */
  file: string;
  pin1: string;
  pin2: string;
}

/** The card of an official or professional of the sandbox, with what they do there. */
export interface OfficialCard extends DemoCard {
  role: string;
}

/**
 * DIR/init.json: what the first start has finished. Each step is recorded when it is
 * done, and `completedAt` last, so an interrupted first start resumes at the step it
 * did not finish (redoing that step from scratch) and a finished one is never redone.
 */
export interface InitJournal {
  format: typeof JOURNAL_FORMAT;
  createdAt: string;
  /** Certificates, the global configuration and the anchor name these ports. */
  portBase: number;
  persons: number;
  /** Where the components keep their data; the PostgreSQL URL itself is not stored. */
  database: "sqlite" | "postgres";
  steps: Record<string, string>;
  demoCards: DemoCard[];
  /** Cards of the sandbox's officials and professionals (the Board's official who decides e-Residency applications, the clinic's doctor, the pharmacist). */
  officials?: OfficialCard[];
  completedAt?: string;
}

export const journalPath = (dataDir: string) => join(dataDir, "init.json");

export function readJournal(dataDir: string): InitJournal | undefined {
  const path = journalPath(dataDir);
  if (!existsSync(path)) return undefined;
  let journal: InitJournal;
  try {
    journal = JSON.parse(readFileSync(path, "utf8")) as InitJournal;
  } catch (cause) {
    throw new StateError("STATE_DATA_DIR", `${path} is not JSON; remove ${dataDir} to start afresh`, { cause });
  }
  if (journal.format !== JOURNAL_FORMAT)
    throw new StateError("STATE_DATA_DIR", `${path} is not a ${JOURNAL_FORMAT} journal`);
  return journal;
}

export function writeJournal(dataDir: string, journal: InitJournal): void {
  writeFileAtomic(journalPath(dataDir), `${JSON.stringify(journal, null, 2)}\n`);
}
