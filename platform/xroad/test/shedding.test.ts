import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { LoadGate, loadLimits } from "@riik/core";
import type { ErrorTypeSpelling } from "../src/errors.ts";
import { shedding } from "../src/ss/proxy/shedding.ts";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(base: string, headers: Record<string, string> = {}, method = "GET"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/r1/EE/GOV/70000001/rr/person`, { agent: false, headers, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** The consumer side's front door with a bound of 2 and no queue; the proxy holds until opened. */
async function frontDoor(spelling: ErrorTypeSpelling) {
  const gate = new LoadGate(
    loadLimits({ maxInFlight: 2, reservedForCritical: 0, maxQueued: 0, retryAfterSeconds: 3 }, {}),
  );
  let shed = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const server = createServer(
    shedding(
      gate,
      spelling,
      () => shed++,
      async (_req, res) => {
        await opened;
        res.end("served");
      },
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { gate, base, open, server, shed: () => shed };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("security server, consumer side: a shed request is an X-Road fault with 503 and Retry-After", () => {
  it("answers JSON or XML as the information system accepts, in the configured spelling, and recovers", async () => {
    const door = await frontDoor("7.7");
    try {
      const held = [get(door.base), get(door.base)];
      await until(() => door.gate.inFlight === 2);

      const json = await get(door.base, { "x-road-id": "query-1" });
      assert.equal(json.status, 503);
      assert.equal(json.headers["retry-after"], "3");
      assert.equal(json.headers["x-road-error"], "Server.ClientProxy.InternalError");
      const body = JSON.parse(json.body) as { type: string; message: string; detail: string };
      assert.equal(body.type, "Server.ClientProxy.InternalError");
      assert.match(body.message, /overloaded.*retry after 3 s/);
      assert.equal(body.detail, "query-1", "the detail is the query id, as for every fault");

      const xml = await get(door.base, { accept: "text/xml" });
      assert.equal(xml.status, 503);
      assert.match(xml.body, /<type>Server\.ClientProxy\.InternalError<\/type>/);

      const head = await get(door.base, {}, "HEAD");
      assert.equal(head.status, 503);
      assert.equal(head.headers["retry-after"], "3");
      assert.equal(head.body, "");
      assert.equal(door.shed(), 3);

      door.open();
      assert.deepEqual(
        (await Promise.all(held)).map((r) => r.body),
        ["served", "served"],
      );
      await until(() => door.gate.inFlight === 0);
      assert.equal((await get(door.base)).status, 200);
    } finally {
      door.open();
      door.server.close();
    }
  });

  it("names the fault in 7.8's spelling when the server is configured for it", async () => {
    const door = await frontDoor("7.8");
    try {
      const held = [get(door.base), get(door.base)];
      await until(() => door.gate.inFlight === 2);
      const reply = await get(door.base);
      assert.equal(reply.status, 503);
      assert.equal(reply.headers["x-road-error"], "server.clientproxy.internal_error");
      door.open();
      await Promise.all(held);
    } finally {
      door.open();
      door.server.close();
    }
  });
});
