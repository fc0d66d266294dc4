import { createHttpService, type ErrorCatalogue, type HttpService } from "@riik/core";
import { Type } from "typebox";
import { isLedgerError, type LedgerErrorCode } from "../errors.ts";
import type { Witness } from "./witness.ts";

const NO_QUERY = Type.Object({}, { additionalProperties: false });

export type WitnessErrorCode = Extract<LedgerErrorCode, `WITNESS_${string}`>;

/** HTTP statuses of C2SP tlog-witness "add-checkpoint"; every witness code has one. */
export const WITNESS_ERRORS: ErrorCatalogue<WitnessErrorCode> = Object.freeze({
  WITNESS_MALFORMED: { status: 400 },
  WITNESS_OLD_SIZE: { status: 400 },
  WITNESS_UNKNOWN_LOG: { status: 404 },
  WITNESS_BAD_SIGNATURE: { status: 403 },
  WITNESS_CONFLICT: { status: 409 },
  WITNESS_INCONSISTENT: { status: 422 },
});

/** The witness HTTP service: POST /add-checkpoint, plus /healthz and /metrics. */
export function createWitnessService(witness: Witness, options: { prefix?: string } = {}): HttpService {
  const service = createHttpService({ name: "witness", errors: WITNESS_ERRORS, bodyLimit: 128 * 1024 });
  const { app } = service;
  // The request body is text of no registered media type; take any as a string.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
  app.post(
    `${options.prefix ?? ""}/add-checkpoint`,
    { schema: { body: Type.String(), querystring: NO_QUERY } },
    async (request, reply) => {
      try {
        const line = await witness.addCheckpoint(request.body);
        return reply.type("text/plain; charset=utf-8").send(line);
      } catch (error) {
        if (isLedgerError(error, "WITNESS_CONFLICT")) {
          // The 409 body is the size of the latest cosigned checkpoint, text/x.tlog.size.
          return reply
            .status(409)
            .type("text/x.tlog.size")
            .send(`${error.details?.size ?? 0}\n`);
        }
        throw error;
      }
    },
  );
  app.get(`${options.prefix ?? ""}/witness.vkey`, { schema: { querystring: NO_QUERY } }, async (_request, reply) =>
    reply.type("text/plain; charset=utf-8").send(`${witness.verifierKey.text}\n`),
  );
  return service;
}
