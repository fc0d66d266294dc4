// The election record against the independent verifier: an election run entirely by riik's code
// must pass `belenios-tool election verify` (Debian's belenios-tool 2.0), tampered copies must
// fail it, and riik's own verifier must agree on every one.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ElectionArchive,
  type ElectoralOfficeErrorCode,
  readArchive,
  verifyArchiveGrowth,
  verifyElectionArchive,
  verifyElectionRecord,
} from "../src/index.ts";
import { CHOICES, runElection } from "./election.ts";

const hasTool = spawnSync("belenios-tool", ["--version"]).status === 0;
if (!hasTool && process.env.CI === "true")
  throw new Error("belenios-tool is required under CI (apt-get install belenios-tool)");

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs belenios-tool without blocking, so the independent checks of several cases overlap. */
function belenios(args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile("belenios-tool", args, (error, stdout, stderr) =>
      resolve({ ok: error === null, output: `${stdout}${stderr}` }),
    );
  });
}

/** Writes the archive alone in a fresh directory and runs `belenios-tool election verify` on it. */
function beleniosVerify(uuid: string, bytes: Buffer): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), "riik-belenios-"));
  dirs.push(dir);
  writeFileSync(join(dir, `${uuid}.bel`), bytes);
  return belenios(["election", "verify", `--dir=${dir}`]);
}

/**
 * A tampered copy whose chain is consistent again: each data entry may be edited or dropped (null,
 * and its event with it), and every hash that referred to an edited entry is replaced by the new
 * one — what a dishonest server would publish.
 */
function tamper(bytes: Buffer, edit: (text: string, index: number) => string | null): Buffer {
  const { timestamp, entries } = readArchive(bytes);
  const out = new ElectionArchive(timestamp);
  const renamed = new Map<string, string>();
  const dropped = new Set<string>();
  const relink = (text: string) => text.replace(/[0-9a-f]{64}/g, (h) => renamed.get(h) ?? h);
  entries.forEach((e, i) => {
    if (e.kind === "data") {
      const text = edit(e.text, i);
      if (text === null) dropped.add(e.hash);
      else renamed.set(e.hash, out.data(relink(text)));
    } else {
      const event = JSON.parse(e.text) as { type: Parameters<ElectionArchive["event"]>[0]; payload?: string };
      if (event.payload !== undefined && dropped.has(event.payload)) return;
      renamed.set(e.hash, out.event(event.type, event.payload === undefined ? undefined : relink(event.payload)));
    }
  });
  return out.bytes();
}

/** `belenios-tool election verify-diff`: the earlier snapshot must be a prefix of the later archive. */
function beleniosVerifyDiff(uuid: string, earlier: Buffer, later: Buffer): Promise<{ ok: boolean; output: string }> {
  const [dir1, dir2] = [0, 1].map(() => {
    const dir = mkdtempSync(join(tmpdir(), "riik-belenios-diff-"));
    dirs.push(dir);
    return dir;
  });
  writeFileSync(join(dir1 as string, `${uuid}.bel`), earlier);
  writeFileSync(join(dir2 as string, `${uuid}.bel`), later);
  return belenios(["election", "verify-diff", `--dir1=${dir1}`, `--dir2=${dir2}`]);
}

/** The index of the n-th data entry whose JSON text starts with `prefix`. */
function dataIndex(bytes: Buffer, prefix: string, n = 0): number {
  const { entries } = readArchive(bytes);
  const matches = entries.flatMap((e, i) => (e.kind === "data" && e.text.startsWith(prefix) ? [i] : []));
  const index = matches[n];
  assert.ok(index !== undefined, `no data entry #${n} starting with ${prefix}`);
  return index;
}

describe("an election run by riik, verified by belenios-tool 2.0 and by riik", {
  skip: !hasTool && "belenios-tool not installed",
  // The cases only read the one election; their belenios-tool runs overlap.
  concurrency: true,
}, () => {
  let election: ReturnType<typeof runElection>;
  before(() => {
    election = runElection();
  });

  it("the result lists each voter's last vote once, in mixed order", () => {
    const tally = (indexes: number[]) => [0, 1, 2].map((c) => indexes.filter((i) => i === c).length);
    assert.deepEqual(tally(election.expected.map((v) => v.indexOf(1))), tally(CHOICES));
    assert.equal(election.expected.length, CHOICES.length);
  });

  it("belenios-tool election verify passes on the full archive, and riik's verifier agrees", async () => {
    const tool = await beleniosVerify(election.uuid, election.bytes);
    assert.ok(tool.ok, tool.output);
    assert.match(tool.output, /all checks passed/);
    const dir = mkdtempSync(join(tmpdir(), "riik-belenios-own-"));
    dirs.push(dir);
    writeFileSync(join(dir, "e.bel"), election.bytes);
    const report = await verifyElectionArchive(join(dir, "e.bel"));
    assert.equal(report.valid, true, JSON.stringify(report.error));
    assert.deepEqual(
      {
        ballots: report.ballots,
        tallied: report.tallied,
        shuffles: report.shuffles,
        decryptions: report.partialDecryptions,
      },
      { ballots: CHOICES.length + 1, tallied: CHOICES.length, shuffles: 2, decryptions: 3 },
    );
    assert.deepEqual(report.result, [election.expected]);
  });

  const cases: [name: string, code: ElectoralOfficeErrorCode, make: (b: Buffer) => Buffer][] = [
    [
      "a changed ballot (one ciphertext replaced by another ballot's)",
      "PROOF_INVALID",
      (b) => {
        const target = dataIndex(b, '{"election_uuid"', 1);
        const donor = JSON.parse(readArchive(b).entries[dataIndex(b, '{"election_uuid"', 2)]?.text as string);
        return tamper(b, (text, i) => {
          if (i !== target) return text;
          const ballot = JSON.parse(text);
          ballot.answers[0].choices.beta = donor.answers[0].choices.beta;
          return JSON.stringify(ballot);
        });
      },
    ],
    [
      "a trustee's wrong decryption share",
      "PROOF_INVALID",
      (b) => {
        const target = dataIndex(b, '{"decryption_factors"', 1);
        return tamper(b, (text, i) => {
          if (i !== target) return text;
          const d = JSON.parse(text);
          [d.decryption_factors[0][0], d.decryption_factors[0][1]] = [
            d.decryption_factors[0][1],
            d.decryption_factors[0][0],
          ];
          return JSON.stringify(d);
        });
      },
    ],
    [
      "a changed result",
      "RESULT_MISMATCH",
      (b) => {
        const target = dataIndex(b, '{"result"');
        return tamper(b, (text, i) => {
          if (i !== target) return text;
          const r = JSON.parse(text);
          r.result[0][0] = r.result[0][0].map((x: number) => 1 - x);
          return JSON.stringify(r);
        });
      },
    ],
    [
      "two outputs of a shuffle swapped",
      "PROOF_INVALID",
      (b) => {
        const target = dataIndex(b, '{"ciphertexts"', 0);
        return tamper(b, (text, i) => {
          if (i !== target) return text;
          const s = JSON.parse(text);
          [s.ciphertexts[0][0], s.ciphertexts[0][1]] = [s.ciphertexts[0][1], s.ciphertexts[0][0]];
          return JSON.stringify(s);
        });
      },
    ],
    [
      "a ballot's bytes changed without re-hashing",
      "CHAIN_BROKEN",
      (b) => {
        const copy = Buffer.from(b);
        const at = copy.indexOf('"credential":"') + 20;
        copy[at] = copy[at] === 0x31 ? 0x32 : 0x31;
        return copy;
      },
    ],
  ];
  for (const [name, code, make] of cases) {
    it(`${name}: belenios-tool fails and riik's verifier says ${code}`, async () => {
      const bytes = make(election.bytes);
      assert.notDeepEqual(bytes, election.bytes);
      const pending = beleniosVerify(election.uuid, bytes);
      const report = verifyElectionRecord(bytes);
      const tool = await pending;
      assert.equal(tool.ok, false, `belenios-tool accepted the tampered archive:\n${tool.output}`);
      assert.equal(report.valid, false);
      assert.equal(report.error?.code, code, report.error?.message ?? "no error");
    });
  }

  it("a monitor's snapshot: growth passes verify-diff and riik; a dropped ballot with a rebuilt chain passes verify alone, fails both diffs", async () => {
    const { early, voted } = election.snapshots;
    const diff = await beleniosVerifyDiff(election.uuid, early, voted);
    assert.ok(diff.ok, diff.output);
    assert.equal(verifyArchiveGrowth(early, voted).valid, true);

    const voter1Ballot = dataIndex(voted, '{"election_uuid"', 1);
    const dropped = tamper(voted, (text, i) => (i === voter1Ballot ? null : text));
    assert.ok((await beleniosVerify(election.uuid, dropped)).ok, "the rebuilt chain alone is consistent");
    assert.equal(verifyElectionRecord(dropped).valid, true);
    assert.equal((await beleniosVerifyDiff(election.uuid, early, dropped)).ok, false);
    const report = verifyArchiveGrowth(early, dropped);
    assert.equal(report.valid, false);
    assert.equal(report.error?.code, "CHAIN_BROKEN");
  });

  it("an unchanged copy rebuilt by the tamper helper is byte-identical (the helper itself is faithful)", () => {
    const bytes = tamper(election.bytes, (text) => text);
    assert.deepEqual(bytes, election.bytes);
  });
});
