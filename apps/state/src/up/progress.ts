/**
 * A progress bar on standard error: redrawn in place on a terminal, one line per tenth
 * when the output goes to a file or pipe (logs stay readable).
 */
export class ProgressBar {
  readonly #label: string;
  readonly #stream: NodeJS.WriteStream;
  readonly #started = performance.now();
  #lastDraw = 0;
  #lastTenth = -1;
  #finished = false;

  constructor(label: string, stream: NodeJS.WriteStream = process.stderr) {
    this.#label = label;
    this.#stream = stream;
  }

  update(done: number, total: number): void {
    if (this.#finished) return;
    const now = performance.now();
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    if (this.#stream.isTTY) {
      if (done < total && now - this.#lastDraw < 100) return;
      this.#lastDraw = now;
      this.#stream.write(`\r${this.#line(done, total, fraction, now)}\u001b[K`);
      if (done >= total) this.#end();
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth === this.#lastTenth) return;
    this.#lastTenth = tenth;
    this.#stream.write(`${this.#line(done, total, fraction, now)}\n`);
    if (done >= total) this.#finished = true;
  }

  #end(): void {
    this.#finished = true;
    this.#stream.write("\n");
  }

  #line(done: number, total: number, fraction: number, now: number): string {
    const width = 30;
    const filled = Math.round(fraction * width);
    const seconds = (now - this.#started) / 1000;
    const eta = fraction > 0 && fraction < 1 ? ` ETA ${Math.ceil((seconds / fraction) * (1 - fraction))} s` : "";
    const n = (x: number) => x.toLocaleString("en-US");
    return `${this.#label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${n(done)}/${n(total)} ${seconds.toFixed(1)} s${eta}`;
  }
}
