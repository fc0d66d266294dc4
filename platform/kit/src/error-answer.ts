import { Type } from "typebox";

const ERROR_PROPERTIES = {
  code: Type.String({ description: "The riik error code, e.g. REQUEST_INVALID" }),
  message: Type.String(),
  details: Type.Optional(Type.Object({}, { additionalProperties: true })),
};

/**
 * The shape of every error answer (RiikError.toJSON and the service base's request codes).
 * Extra properties stay allowed so that the response serialiser passes `details` through whole.
 */
export const ERROR_ANSWER = Type.Object(ERROR_PROPERTIES, { additionalProperties: true });

/** Response schemas for a route's error statuses, each described by the codes it answers with. */
export function errorAnswers(described: Readonly<Record<number, string>>): Record<number, typeof ERROR_ANSWER> {
  return Object.fromEntries(
    Object.entries(described).map(([status, description]) => [
      status,
      Type.Object(ERROR_PROPERTIES, { additionalProperties: true, description }),
    ]),
  );
}

/** Routes that take no query parameters refuse any rather than ignore them. */
export const NO_QUERY = Type.Object({}, { additionalProperties: false });
