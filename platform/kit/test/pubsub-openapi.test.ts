// The publisher's `events` service described on its own, as its security server publishes it.
import assert from "node:assert/strict";
import { it } from "node:test";
import { eventsOpenApi } from "../src/index.ts";

it("describes the events service's routes relative to its base, without the operator's", async () => {
  const doc = (await eventsOpenApi({
    publisher: "EE/GOV/70000562/rr",
    eventTypes: { "person.born": "a birth was registered" },
    title: "Population register events",
  })) as { openapi: string; paths: Record<string, Record<string, { operationId: string; responses: any }>> };
  assert.equal(doc.openapi, "3.1.0");
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    "/event-types",
    "/subs",
    "/subs/{id}",
    "/subs/{id}/events",
    "/subs/{id}/replay",
  ]);
  assert.equal(doc.paths["/subs"]?.post?.operationId, "addSub");
  assert.ok(doc.paths["/subs/{id}/events"]?.get?.responses["200"].headers["X-Riik-Data-Subjects"]);
});
