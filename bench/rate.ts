/** How long each figure is measured (BENCH_SECONDS, default 4). */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);

/** Runs WORK one after the other for SECONDS after one warm-up, prints and answers the rate per second. */
export async function rate(label: string, work: () => Promise<unknown> | unknown): Promise<number> {
  await work();
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < SECONDS * 1000) {
    await work();
    count++;
  }
  const perSecond = count / ((performance.now() - start) / 1000);
  console.log(`${label.padEnd(62)} ${perSecond.toFixed(2).padStart(9)} /s  (${count} in ${SECONDS} s)`);
  return perSecond;
}
