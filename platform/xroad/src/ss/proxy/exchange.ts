import type { IncomingMessage, ServerResponse } from "node:http";
import { XRoadFault } from "../../errors.ts";
import { type SsContext, sendFault } from "../context.ts";

export type ProxySide = "client" | "server";

/** How an answered exchange ended, for the metrics: the provider answered well or with its own error. */
export interface Outcome {
  outcome: "ok" | "provider_error";
}

/** The service an exchange is about, once parsed (the metrics label until then is "unknown"). */
export interface ExchangeLabel {
  service: string;
}

/**
 * Runs one exchange of one proxy side: `steps` answers `res` and says how it ended; anything
 * it throws is answered as a PR-REST 4.6 fault (an unexpected error as `InternalError`, and
 * logged), and either way the exchange is counted. The consumer side renders a fault as its
 * information system asked (Accept, the configured spelling); the provider side answers the
 * consumer's server in the transport's one form (JSON, 7.7 spelling), which that server
 * renders again for its own client.
 */
export async function runExchange(
  ctx: SsContext,
  side: ProxySide,
  req: IncomingMessage,
  res: ServerResponse,
  queryId: string,
  steps: (label: ExchangeLabel) => Promise<Outcome>,
): Promise<void> {
  const started = performance.now();
  const label: ExchangeLabel = { service: "unknown" };
  try {
    const { outcome } = await steps(label);
    count(ctx, side, label.service, outcome, started, undefined);
  } catch (error) {
    const prefix = side === "client" ? "Server.ClientProxy" : "Server.ServerProxy";
    const fault =
      error instanceof XRoadFault
        ? error
        : new XRoadFault(prefix, "InternalError", `internal error: ${(error as Error).message}`, { cause: error });
    if (fault.type.endsWith("InternalError")) ctx.logger.error({ err: error, queryId }, `${side} proxy failed`);
    const head = req.method === "HEAD";
    sendFault(
      res,
      fault,
      queryId,
      side === "client"
        ? { accept: req.headers.accept, spelling: ctx.wire.errorTypes, head }
        : { accept: undefined, spelling: "7.7", head },
    );
    count(ctx, side, label.service, "fault", started, fault.type);
  }
}

function count(
  ctx: SsContext,
  side: ProxySide,
  service: string,
  outcome: string,
  started: number,
  type: string | undefined,
): void {
  const { metrics } = ctx;
  metrics.requests.inc({ side, service, outcome });
  metrics.duration.observe({ side, service }, (performance.now() - started) / 1000);
  if (type) metrics.errors.inc({ side, type });
}

/** The message log could not take the record: the exchange fails rather than go unlogged. */
export function logFailure(prefix: "Server.ClientProxy" | "Server.ServerProxy", cause: unknown): XRoadFault {
  return new XRoadFault(prefix, "DatabaseError", `the message log cannot be written: ${(cause as Error).message}`, {
    cause,
  });
}

/**
 * An answer that has no content (RFC 9110 6.4.1): to HEAD, 1xx, 204 and 304. It gets no
 * Content-Length from the proxies: none is allowed on 1xx and 204 (RFC 9110 8.6), and one
 * invented for HEAD or 304 would misstate the representation's length.
 */
export const bodyless = (method: string, status: number): boolean =>
  method === "HEAD" || status < 200 || status === 204 || status === 304;
