import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "@riik/core";
import type { Logger } from "pino";
import { request } from "undici";
import { XRoadError } from "../errors.ts";
import { type ConfigurationAnchor, GlobalConfIndex, verifyGlobalConf } from "../globalconf/document.ts";

/**
 * Keeps a verified copy of the global configuration: downloads it from the anchor's sources
 * every few seconds, verifies it against the anchor, refuses older versions (rollback) and
 * keeps the last good copy on disk so a restart works until that copy expires.
 */
export class GlobalConfClient {
  #index: GlobalConfIndex | undefined;
  #timer: NodeJS.Timeout | undefined;
  #listeners: Array<(index: GlobalConfIndex) => void> = [];
  lastError: string | undefined;

  constructor(
    readonly anchor: ConfigurationAnchor,
    readonly copyPath: string,
    readonly logger: Logger,
  ) {
    if (existsSync(copyPath)) {
      try {
        this.#index = new GlobalConfIndex(verifyGlobalConf(readFileSync(copyPath), anchor, new Date(0)));
      } catch (error) {
        logger.warn({ err: error }, "ignoring the stored global configuration copy");
      }
    }
  }

  /** The current configuration, or undefined when none was ever downloaded. Expiry is the caller's check. */
  get current(): GlobalConfIndex | undefined {
    return this.#index;
  }

  onChange(listener: (index: GlobalConfIndex) => void): void {
    this.#listeners.push(listener);
  }

  async refresh(): Promise<GlobalConfIndex> {
    let lastError: unknown;
    for (const source of this.anchor.sources) {
      try {
        const reply = await request(source.url, { headersTimeout: 5000, bodyTimeout: 5000 });
        const bytes = Buffer.from(await reply.body.arrayBuffer());
        if (reply.statusCode !== 200)
          throw new XRoadError("XROAD_GLOBALCONF_FORMAT", `${source.url} answered ${reply.statusCode}`);
        const conf = verifyGlobalConf(bytes, this.anchor);
        const previous = this.#index?.conf.content.version ?? 0;
        if (conf.content.version < previous)
          throw new XRoadError(
            "XROAD_GLOBALCONF_FORMAT",
            `refusing version ${conf.content.version} older than ${previous}`,
          );
        if (conf.content.version !== previous || conf.content.expiresAt !== this.#index?.conf.content.expiresAt) {
          this.#index = new GlobalConfIndex(conf);
          writeFileAtomic(this.copyPath, bytes);
          for (const listener of this.#listeners) listener(this.#index);
        }
        this.lastError = undefined;
        return this.#index!;
      } catch (error) {
        lastError = error;
      }
    }
    this.lastError = (lastError as Error)?.message ?? String(lastError);
    throw lastError;
  }

  start(intervalSeconds: number): void {
    const tick = () => {
      this.refresh().catch((err) => this.logger.warn({ err: err?.message }, "global configuration download failed"));
    };
    this.#timer = setInterval(tick, intervalSeconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
