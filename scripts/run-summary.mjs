// A node:test reporter for scripts/test.mjs, which prints what it gathers under the runner's
// own closing lines (the part of a CI log that is always kept):
// - how many test cases ran on PostgreSQL: those named, or inside a suite named, "… on
//   postgres" (the names dialectTargets() suites carry), so a run that silently used SQLite shows;
// - every case that failed or was cancelled (a timeout counts as cancelled), with its file and
//   its suites, so a failure far up a long log is still named at its end;
// - the slowest test files, the figures the suite's run time is made of.
const ON_POSTGRES = /\bon postgres\b/;

export default async function* runSummary(source) {
  /** Per test file, the names of the tests now running, by nesting level. */
  const running = new Map();
  /** Per test file, the milliseconds of its top-level tests and suites. */
  const fileMs = new Map();
  const postgres = { passed: 0, failed: 0 };
  const failures = [];
  for await (const { type, data } of source) {
    if (type === "test:start") {
      const names = running.get(data.file) ?? [];
      names.length = data.nesting;
      names.push(data.name);
      running.set(data.file, names);
      continue;
    }
    if (type !== "test:pass" && type !== "test:fail") continue;
    if (data.nesting === 0 && data.file)
      fileMs.set(data.file, (fileMs.get(data.file) ?? 0) + (data.details?.duration_ms ?? 0));
    if (data.details?.type === "suite" || data.skip || data.todo) continue;
    const path = [...(running.get(data.file) ?? []).slice(0, data.nesting), data.name];
    if (path.some((name) => ON_POSTGRES.test(name))) postgres[type === "test:pass" ? "passed" : "failed"]++;
    if (type === "test:fail") {
      const error = data.details?.error;
      const cause = error?.cause?.message ?? error?.message ?? String(error);
      failures.push({
        file: data.file,
        test: path.join(" › "),
        kind: error?.failureType ?? "failure",
        message: String(cause).split("\n")[0].slice(0, 300),
      });
    }
  }
  const slowest = [...fileMs].sort((a, b) => b[1] - a[1]).slice(0, 12);
  yield `${JSON.stringify({ postgres, failures, slowest })}\n`;
}
