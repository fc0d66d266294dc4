import { Type } from "typebox";
import { REGISTRY_NAME_PATTERN } from "../format/segment.ts";

// Request schemas of the embassy node and the shipper's status API: every route declares
// what it takes, so garbage is refused with REQUEST_INVALID before a handler runs.

/** Routes that take no query parameters refuse any rather than ignore them. */
export const NO_QUERY = Type.Object({}, { additionalProperties: false });

const registry = Type.String({ pattern: REGISTRY_NAME_PATTERN });
const position = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const REGISTRY_PARAMS = Type.Object({ registry }, { additionalProperties: false });
export const SEGMENT_PARAMS = Type.Object({ registry, index: position }, { additionalProperties: false });

/** One listing page: at most 10,000 segments' metadata. */
export const SEGMENT_LIST_QUERY = Type.Object(
  {
    from: Type.Optional(position),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: false },
);

/** Segments travel as their file bytes (README "Segment file"); the parser refuses any other type. */
export const SEGMENT_POST_HEADERS = Type.Object({
  "content-type": Type.String({ pattern: "^application/octet-stream\\s*(;.*)?$" }),
});
