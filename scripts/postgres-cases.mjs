// A node:test reporter that counts the test cases that ran on PostgreSQL: those named, or
// inside a suite named, "… on postgres" (the names dialectTargets() suites carry). It writes
// one JSON line {passed, failed} for scripts/test.mjs to print under the runner's summary.
const ON_POSTGRES = /\bon postgres\b/;

export default async function* postgresCases(source) {
  /** Per test file, the names of the tests now running, by nesting level. */
  const running = new Map();
  let passed = 0;
  let failed = 0;
  for await (const { type, data } of source) {
    if (type === "test:start") {
      const names = running.get(data.file) ?? [];
      names.length = data.nesting;
      names.push(data.name);
      running.set(data.file, names);
    } else if (
      (type === "test:pass" || type === "test:fail") &&
      data.details?.type !== "suite" &&
      !data.skip &&
      !data.todo
    ) {
      const names = [...(running.get(data.file) ?? []).slice(0, data.nesting), data.name];
      if (names.some((name) => ON_POSTGRES.test(name))) {
        if (type === "test:pass") passed++;
        else failed++;
      }
    }
  }
  yield `${JSON.stringify({ passed, failed })}\n`;
}
