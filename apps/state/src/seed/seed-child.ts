// Seeds the population register in a process of its own, so that `riik up` keeps
// starting the other services meanwhile and the benchmark can read the seed's peak
// memory. Options come as JSON in argv[2]; progress and the result go over IPC.
import { loadPopulationRegister, type SeedOptions } from "../up/components.ts";

export type SeedMessage =
  | { type: "progress"; done: number; total: number }
  | { type: "done"; ms: number; maxRssBytes: number }
  | { type: "error"; message: string };

const send = (message: SeedMessage) => process.send?.(message);
// `riik up` gone (killed): stop rather than write on alone; the next start redoes the seed.
process.once("disconnect", () => {
  if (!finished) process.exit(1);
});
let finished = false;

try {
  const options = JSON.parse(process.argv[2] ?? "{}") as Omit<SeedOptions, "onProgress">;
  const register = await loadPopulationRegister();
  if (!register) throw new Error("@riik/population-register is not installed");
  const started = performance.now();
  let lastSent = 0;
  await register.seedPopulation({
    ...options,
    onProgress: (done, total) => {
      const now = performance.now();
      if (done === total || now - lastSent > 100) {
        lastSent = now;
        send({ type: "progress", done, total });
      }
    },
  });
  // resourceUsage().maxRSS is in kibibytes (getrusage ru_maxrss).
  finished = true;
  send({ type: "done", ms: performance.now() - started, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
  process.disconnect?.();
} catch (error) {
  finished = true;
  send({ type: "error", message: (error as Error).stack ?? String(error) });
  process.disconnect?.();
  process.exitCode = 1;
}
