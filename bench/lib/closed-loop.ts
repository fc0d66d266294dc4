// Closed-loop HTTP load for the benchmarks: CONCURRENCY clients, each sending its next request
// when the last is answered, for a number of seconds or until a piece of work ends.
import { Agent, request } from "undici";

export interface LoadFigures {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Request bodies built before timing (the load generator then spends its CPU on sending). */
export function bodyPool(make: (i: number) => Uint8Array, size = 2000): () => Uint8Array {
  const bodies = Array.from({ length: size }, (_, i) => make(i));
  let next = 0;
  return () => bodies[next++ % bodies.length]!;
}

/** POSTs bodies to URL for `seconds`, or until `until` settles; every answer must be 200. */
export async function closedLoop(
  url: string,
  makeBody: () => Uint8Array,
  contentType: string,
  options: { concurrency: number; seconds?: number; until?: Promise<unknown> },
): Promise<LoadFigures> {
  const agent = new Agent({ connections: options.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = options.seconds === undefined ? Number.POSITIVE_INFINITY : started + options.seconds * 1000;
  let done = false;
  options.until?.then(
    () => (done = true),
    () => (done = true),
  );
  let errors = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (!done && performance.now() < deadline) {
        const sent = performance.now();
        const reply = await request(url, {
          method: "POST",
          headers: { "content-type": contentType },
          body: makeBody(),
          dispatcher: agent,
        });
        await reply.body.arrayBuffer();
        if (reply.statusCode !== 200) errors++;
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  if (errors > 0) throw new Error(`${errors} requests failed at ${url}`);
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
  };
}
