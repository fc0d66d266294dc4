export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Reads the samples of the Prometheus text exposition format (version 0.0.4); comments are skipped. */
export function parsePrometheusText(text: string, only?: (name: string) => boolean): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    if (only && !only(match[1])) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? "").matchAll(LABEL))
      if (label[1]) labels[label[1]] = (label[2] ?? "").replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    const value = Number(match[3]);
    if (!Number.isNaN(value)) samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** Message counts of a security server from `riik_xroad_messages_total{side,service,outcome}`. */
export function messageCounts(text: string): {
  total: number;
  bySide: Record<string, number>;
  byOutcome: Record<string, number>;
} {
  const bySide: Record<string, number> = {};
  const byOutcome: Record<string, number> = {};
  let total = 0;
  for (const sample of parsePrometheusText(text, (name) => name === "riik_xroad_messages_total")) {
    total += sample.value;
    const side = sample.labels.side ?? "?";
    const outcome = sample.labels.outcome ?? "?";
    bySide[side] = (bySide[side] ?? 0) + sample.value;
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + sample.value;
  }
  return { total, bySide, byOutcome };
}
