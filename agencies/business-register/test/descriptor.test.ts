// The descriptor: the founding checks' config keys go together, the access rights the register
// asks for as a client, and the applications service granted to the portal.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { configProblems } from "@riik/core";
import { BUSINESS_SERVE, businessRegisterDescriptor } from "../src/descriptor.ts";

const AT = { subsystem: "EE/GOV/70000310/ariregister", url: "http://127.0.0.1:8470" };
const BASE = {
  dir: "/data",
  trust: "/root.crt",
  port: 8470,
  host: "127.0.0.1",
  applicationsClients: [],
  foundingHourlyLimit: 100,
};
const XROAD = {
  xroadSecurityServer: "http://127.0.0.1:8828",
  xroadClient: "EE/GOV/70000310/ariregister",
  personsService: "EE/GOV/70000562/rr/persons",
};

describe("business register descriptor", () => {
  test("the X-Road keys go together; service ids are checked", () => {
    assert.deepEqual(configProblems(BUSINESS_SERVE, { ...BASE, ...XROAD }), []);
    assert.deepEqual(
      configProblems(BUSINESS_SERVE, { ...BASE, foundingHourlyLimit: 0 }).map((p) => p.field),
      ["foundingHourlyLimit"],
    );
    const partial = configProblems(BUSINESS_SERVE, { ...BASE, xroadSecurityServer: XROAD.xroadSecurityServer });
    assert.deepEqual(partial.map((p) => p.field).sort(), ["personsService", "xroadClient"]);
    assert.deepEqual(
      configProblems(BUSINESS_SERVE, { ...BASE, ...XROAD, eResidentsService: "not/a/service" }).map((p) => p.field),
      ["eResidentsService"],
    );
    assert.deepEqual(
      configProblems(BUSINESS_SERVE, { ...BASE, businessBansService: "EE/GOV/70008747/police-app/business-bans" }).map(
        (p) => p.problem,
      ),
      ["goes together with businessBansService"],
    );
  });

  test("exchange: the applications service, the checks' access rights and the portal's", () => {
    const registration = businessRegisterDescriptor.exchange!(
      {
        ...BASE,
        ...XROAD,
        eResidentsService: "EE/GOV/70008747/e-residency/e-residents",
        businessBansService: "EE/GOV/70008747/police-app/business-bans",
        applicationsClients: ["EE/GOV/70006317/portal"],
        foundingHourlyLimit: 100,
        host: "127.0.0.1",
        port: 8470,
      } as never,
      AT,
    );
    assert.ok(registration.services?.some((s) => s.code === "applications" && s.personalData));
    const access = registration.access ?? [];
    assert.deepEqual(
      access.filter((a) => a.subject === XROAD.xroadClient).map((a) => [a.service, a.method, a.paths]),
      [
        ["EE/GOV/70000562/rr/persons", "GET", ["/persons/*"]],
        ["EE/GOV/70008747/e-residency/e-residents", "GET", ["/e-residents/*"]],
        ["EE/GOV/70008747/police-app/business-bans", "GET", ["/business-bans/*"]],
      ],
    );
    const portal = access.filter((a) => a.subject === "EE/GOV/70006317/portal");
    assert.ok(portal.every((a) => a.service === `${AT.subsystem}/applications`));
    assert.ok(portal.some((a) => a.method === "GET" && a.paths.includes("/persons/*/companies")));
    assert.ok(portal.some((a) => a.method === "POST" && a.paths.includes("/applications/*/registration")));
  });
});
