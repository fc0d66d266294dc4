import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AnchorVerifier } from "../src/datatracker/anchoring.ts";
import { DataTracker } from "../src/datatracker/usage.ts";
import type { XRoadCalls } from "../src/xroad/calls.ts";

describe("Data Tracker period", () => {
  it("#10 who used my data: a use logged earlier in the current second is inside the period", async () => {
    const logged = "2026-11-28T06:40:12.300Z";
    // Stand-in for the provider: it filters by logged_at <= periodEnd at millisecond precision
    // as the xroad Data Tracker store does; only the portal's query is under test here.
    const xroad = {
      async get(call: { path: string }) {
        const query = new URL(call.path, "http://x").searchParams;
        const end = Date.parse(query.get("periodEnd") ?? "");
        const usages =
          Date.parse(logged) <= end ? [{ logtime: logged, action: "Isiku päring", receiverCode: "70000562" }] : [];
        return { status: 200, body: { totalUsages: usages.length, usages } };
      },
    } as unknown as XRoadCalls;
    const tracker = new DataTracker(xroad, {
      client: "EE/GOV/70000000/portal",
      providers: ["EE/GOV/70000562/rr"],
      periodDays: 30,
      anchors: new AnchorVerifier(undefined),
    });
    const report = await tracker.findUsage("38001085718", { now: new Date("2026-11-28T06:40:12.700Z") });
    assert.equal(report.usages.length, 1);
    assert.equal(report.periodEnd, "2026-11-28T06:40:13Z");
  });
});
