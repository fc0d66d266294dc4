// npm run bench -- tax [--persons N] [--year Y] [--db postgres://…]
// Pre-filled income tax returns for the whole state (issue 13: "computed for the 1.3 M-person
// state, time and rate"). N persons (default 1,300,000) born 1930-2025:
// 1. Baseline: each person's year drawn (syntheticReturnInputs) and the return computed in
//    memory, the rules alone; also the draw alone, to tell the rules' share.
// 2. The Board's path, on SQLite (and PostgreSQL with --db): the year seeded as the payers'
//    declarations (seedTaxYear, one transaction, every line journalled), then every person's
//    return computed from the store as the API computes one (TaxBoard.preFilledReturns: lines,
//    sources, reasons), its totals checked against the baseline's.
// Last line: the store's returns/s divided by the in-memory returns/s.
// The seed is one transaction whose journal is held until commit: 1.3 M persons peak near
// 10 GiB, so give Node the room: NODE_OPTIONS=--max-old-space-size=14336.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generatePersonalCode } from "@riik/core";
import { ProgressBar } from "@riik/state";
import pg from "pg";
import {
  computeReturns,
  defaultEmployers,
  openTaxBoard,
  type ReturnsSummary,
  seedTaxYear,
  syntheticReturnInputs,
} from "../agencies/tax-board/src/index.ts";

process.env.RIIK_LOG_LEVEL ??= "warn";
const { values } = parseArgs({
  options: {
    persons: { type: "string", default: "1300000" },
    year: { type: "string", default: "2025" },
    db: { type: "string" },
  },
});
const PERSONS = Number(values.persons);
const YEAR = Number(values.year);
if (!Number.isSafeInteger(PERSONS) || PERSONS < 1)
  throw new Error(`--persons must be a whole number, got ${values.persons}`);
const SEED = 1;
const employers = defaultEmployers(PERSONS);
const n = (x: number) => Math.round(x).toLocaleString("en-US");
const row = (label: string, figure: string) => console.log(label.padEnd(64), figure);

/**
 * Personal codes over birth dates 1930-2025 shaped roughly like Estonia's population: even
 * from 1955, fewer born 1991-2005 (births halved in the 1990s), thinning out before 1955.
 */
function population(count: number): string[] {
  const years = Array.from({ length: 96 }, (_, i) => 1930 + i);
  const weight = (y: number) => (y < 1955 ? 0.15 + (0.85 * (y - 1930)) / 25 : y >= 1991 && y <= 2005 ? 0.65 : 1);
  let sum = 0;
  const upTo = years.map((y) => (sum += weight(y)));
  const serials = new Map<string, number>();
  const codes: string[] = [];
  let state = 0x1ce;
  const random = () => {
    // mulberry32, as the synthetic year's generator
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  while (codes.length < count) {
    const pick = random() * sum;
    const year = years[upTo.findIndex((u) => pick < u)] ?? 2025;
    const day = new Date(Date.UTC(year, 0, 1 + Math.floor(random() * 365)));
    const date = day.toISOString().slice(0, 10);
    const sex = random() < 0.5 ? "female" : "male";
    const serial = serials.get(date + sex) ?? 0;
    if (serial > 999) continue;
    serials.set(date + sex, serial + 1);
    codes.push(generatePersonalCode(date, sex, serial));
  }
  return codes;
}

/** Each item counted onto a progress bar as it passes. */
function* counted<T>(items: Iterable<T>, bar: ProgressBar, total: number): Generator<T> {
  let done = 0;
  for (const item of items) {
    yield item;
    if (++done % 10_000 === 0 || done === total) bar.update(done, total);
  }
}

const seconds = (since: number) => (performance.now() - since) / 1000;

let started = performance.now();
const codes = population(PERSONS);
row(`${n(PERSONS)} personal codes (births 1930-2025)`, `${seconds(started).toFixed(1)} s`);

// 1. Baseline: the rules in memory.
const options = { year: YEAR, seed: SEED, employers };
started = performance.now();
let drawn = 0;
for (const input of counted(syntheticReturnInputs(codes, options), new ProgressBar("drawing inputs"), PERSONS))
  drawn += input.payroll.length;
const drawSeconds = seconds(started);
started = performance.now();
const memory = computeReturns(
  counted(syntheticReturnInputs(codes, options), new ProgressBar("returns in memory"), PERSONS),
);
const memorySeconds = seconds(started);
const memoryRate = PERSONS / memorySeconds;
row(
  `inputs drawn alone (the synthetic year ${YEAR}, ${n(drawn)} payroll months)`,
  `${n(PERSONS / drawSeconds).padStart(9)} /s`,
);
row(
  "baseline: returns in memory (inputs drawn + rules)",
  `${n(memoryRate).padStart(9)} /s  (${memorySeconds.toFixed(1)} s; rules alone ≈ ${n(PERSONS / Math.max(0.001, memorySeconds - drawSeconds))} /s)`,
);
const euros = (cents: number) => `€${n(cents / 100)}`;
console.log(
  `  ${n(memory.returns)} returns: tax ${euros(memory.taxCents)}, withheld ${euros(memory.withheldCents)}, refunds ${euros(memory.refundCents)}, due ${euros(memory.dueCents)}`,
);

// 2. The Board's store.
const dir = mkdtempSync(join(tmpdir(), "riik-bench-tax-"));
const schema = `bench_tax_${process.pid}`;
const targets: Array<{ name: string; location: { dataDir: string; url?: string; schema?: string } }> = [
  { name: "SQLite", location: { dataDir: dir } },
];
if (values.db) targets.push({ name: "PostgreSQL", location: { dataDir: dir, url: values.db, schema } });
// The headline is SQLite's, the Board's default store.
let headline: { rate: number; seconds: number } | undefined;
try {
  for (const { name, location } of targets) {
    started = performance.now();
    const seedBar = new ProgressBar(`seeding ${name}`);
    const seeded = await seedTaxYear({
      ...location,
      ...options,
      persons: codes,
      onProgress: (done) => seedBar.update(done, PERSONS),
    });
    const seedSeconds = seconds(started);
    const lines = seeded.payrollLines + seeded.interestLines + seeded.pensionLines;
    row(
      `${name}: year seeded (${n(seeded.declarations)} declarations, ${n(lines)} lines)`,
      `${n(seeded.declarations / seedSeconds).padStart(9)} declarations/s  (${n(lines / seedSeconds)} lines/s, ${seedSeconds.toFixed(1)} s)`,
    );

    const board = await openTaxBoard(location);
    try {
      started = performance.now();
      const bar = new ProgressBar(`returns from ${name}`);
      const stored: ReturnsSummary = { returns: 0, taxCents: 0, withheldCents: 0, refundCents: 0, dueCents: 0 };
      for await (const r of board.preFilledReturns(YEAR)) {
        stored.returns++;
        stored.taxCents += r.taxCents;
        stored.withheldCents += r.withheldCents;
        if (r.balanceCents > 0) stored.refundCents += r.balanceCents;
        else stored.dueCents -= r.balanceCents;
        if (stored.returns % 10_000 === 0 || stored.returns === PERSONS) bar.update(stored.returns, PERSONS);
      }
      const storeSeconds = seconds(started);
      // The same returns whichever way they were computed, or the figures mean nothing.
      if (JSON.stringify(stored) !== JSON.stringify(memory))
        throw new Error(`${name}: the returns from the store differ: ${JSON.stringify(stored)}`);
      const rate = PERSONS / storeSeconds;
      row(
        `${name}: returns from the store (lines and sources, totals match)`,
        `${n(rate).padStart(9)} /s  (${storeSeconds.toFixed(1)} s)`,
      );
      headline ??= { rate, seconds: storeSeconds };
    } finally {
      await board.close();
    }
  }
  console.log(`peak RSS ${n(process.resourceUsage().maxRSS / 1024)} MiB`);
  console.log(
    `tax: returns from the Board's store at ${(headline!.rate / memoryRate).toFixed(2)} of the rules' rate in memory (${n(PERSONS)} persons, ${headline!.seconds.toFixed(1)} s)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (values.db) {
    const client = new pg.Client({ connectionString: values.db });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}
