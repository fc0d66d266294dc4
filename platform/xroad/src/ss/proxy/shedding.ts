import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type LoadGate, overloadedMessage } from "@riik/core";
import { type ErrorTypeSpelling, XRoadFault } from "../../errors.ts";
import { messageIdOf } from "../../protocol/message.ts";
import { sendFault } from "../context.ts";

/** A consumer-side fault answered 503 (RFC 9110 §15.6.4): the server is up but refuses work for now. */
class Overloaded extends XRoadFault {
  override readonly status = 503;
}

/**
 * Issue #18: the consumer side runs at most the gate's bound of exchanges at once (and a
 * bounded queue). Beyond it a request is answered at once, before its body is read, as
 * X-Road answers a fault of the consumer's server (PR-REST 4.6): `Server.ClientProxy.
 * InternalError` (X-Road has no type for overload), status 503 and Retry-After (RFC 9110
 * §10.2.3) so that information systems back off instead of retrying at once.
 */
export function shedding(
  gate: LoadGate,
  spelling: ErrorTypeSpelling,
  onShed: () => void,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => void {
  const retryAfter = gate.limits.retryAfterSeconds;
  return (req, res) =>
    void gate
      .admit("normal", () => req.socket.destroyed)
      .then((admitted) => {
        if (admitted) {
          // "close" comes once the answer is sent or the client is gone, whichever is first.
          res.once("close", () => gate.release());
          return handle(req, res);
        }
        onShed();
        res.setHeader("retry-after", String(retryAfter));
        const fault = new Overloaded("Server.ClientProxy", "InternalError", overloadedMessage(retryAfter));
        sendFault(res, fault, messageIdOf(req.headersDistinct) ?? randomUUID(), {
          accept: req.headers.accept,
          spelling,
          head: req.method === "HEAD",
        });
      });
}
