import type { RiikFastify } from "@riik/core";
import { DATA_SUBJECTS_HEADER, xroadUserId } from "@riik/core";
import type { FastifyReply } from "fastify";

/**
 * The Data Tracker contract between a member's service and its security server: every
 * successful answer of a personal-data service names the persons it concerns in this header,
 * as X-Road user ids (EE + personal code), comma-separated; the provider security server
 * records one use per person and strips the header, and refuses a successful answer that
 * names nobody (fail closed). An error answer carries no personal data, so it names nobody:
 * the security server records the attempted use for the person the path names.
 */

/** The header as the OpenAPI document describes it on every successful personal-data answer. */
export const DATA_SUBJECTS_RESPONSE_HEADER = {
  "X-Riik-Data-Subjects": {
    description:
      "Every person this response concerns, as X-Road user ids (EE + personal code), comma-separated. The provider security server records a Data Tracker use for each and strips the header.",
    type: "string",
    pattern: "^EE[0-9]{11}(,EE[0-9]{11})*$",
  },
} as const;

/** Names every person (by personal code) whose data this answer carries; duplicates are named once. */
export function declareDataSubjects(reply: FastifyReply, personalCodes: readonly string[]): FastifyReply {
  return reply.header(DATA_SUBJECTS_HEADER, [...new Set(personalCodes)].map(xroadUserId).join(","));
}

/** Error answers name nobody, whatever a handler declared before it failed. */
export function dataSubjectsOnErrorsCleared(app: RiikFastify): void {
  app.addHook("onSend", async (_request, reply, payload) => {
    if (reply.statusCode >= 400) reply.removeHeader(DATA_SUBJECTS_HEADER);
    return payload;
  });
}

/** A successful personal-data answer's response schema: described, with the subjects header documented. */
export function personalAnswer<T extends object>(schema: T, description: string): T {
  return { ...schema, description, headers: DATA_SUBJECTS_RESPONSE_HEADER };
}
