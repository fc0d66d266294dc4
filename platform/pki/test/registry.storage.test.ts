// The certificate registry on SQLite and PostgreSQL, from the same file (STYLE.md 6).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, describe, it } from "node:test";
import { openStorage } from "@riik/core";
import { dialectTargets, temporaryDirectory } from "@riik/core/testing";
import { normaliseSerial, REVOCATION_REASONS, RegistrationAuthorities } from "../src/index.ts";
import { CertificateRegistry } from "../src/registry/certificate-registry.ts";
import { pkiMigrations } from "../src/registry/migrations.ts";

const targets = await dialectTargets();

const row = (serial: string, personalCode: string | null = "38001085718") => ({
  issuer: "esteid",
  serial,
  purpose: "id-signing",
  subject: `CN=TAMM,JAAN,${personalCode}`,
  personal_code: personalCode,
  document_number: "AB0012345",
  not_before: "2026-01-01T00:00:00.000Z",
  not_after: "2031-01-01T00:00:00.000Z",
  issued_at: "2026-01-01T00:00:00.000Z",
  der: new Uint8Array([0x30, 0x00, 0xff, 0x00, 0x80]),
});

for (const target of targets) {
  describe(`#22 certificate registry on ${target.dialect}`, async () => {
    const registry = await CertificateRegistry.open(target.location("pki"));
    after(() => registry.close());

    it("records a certificate once, with its DER byte for byte and an 'issued' event", async () => {
      await registry.record(row("0a1b"), "test");
      await registry.record(row("0a1b"), "test again");
      const found = await registry.find("esteid", "0A:1B");
      assert.equal(found?.serial, "0a1b", "one spelling: lowercase, no colons, whole octets");
      assert.deepEqual(new Uint8Array(found!.der), row("0a1b").der);
      assert.equal(found?.status, "good");
      assert.equal(found?.version, 1);
      assert.deepEqual(
        (await registry.events("esteid", "0a1b")).map((e) => [e.event, e.actor]),
        [["issued", "test"]],
      );
      assert.deepEqual(
        (await registry.byPersonalCode("38001085718")).map((r) => r.serial),
        ["0a1b"],
      );
      assert.equal(await registry.find("esteid", "ffff"), undefined);
    });

    it("suspends, resumes and revokes, bumping the version; refuses the transitions RFC 5280 forbids", async () => {
      await registry.record(row(normaliseSerial("00c0ffee")), "test");
      const suspended = await registry.changeStatus("esteid", "c0ffee", { event: "suspended", actor: "test" });
      assert.equal(suspended.revocation_reason, REVOCATION_REASONS.certificateHold);
      await assert.rejects(registry.changeStatus("esteid", "c0ffee", { event: "suspended", actor: "test" }), {
        code: "PKI_STATUS_TRANSITION",
      });
      await registry.changeStatus("esteid", "c0ffee", { event: "resumed", actor: "test" });
      const revoked = await registry.changeStatus("esteid", "c0ffee", {
        event: "revoked",
        reason: "keyCompromise",
        actor: "test",
      });
      assert.equal(revoked.version, 4);
      await assert.rejects(registry.changeStatus("esteid", "c0ffee", { event: "resumed", actor: "test" }), {
        code: "PKI_STATUS_TRANSITION",
      });
      await assert.rejects(registry.changeStatus("esteid", "0bad", { event: "revoked", actor: "test" }), {
        code: "PKI_CERTIFICATE_UNKNOWN",
      });
      const status = await registry.status("esteid", "c0ffee");
      assert.deepEqual([status?.status, status?.revocation_reason, status?.version], ["revoked", 1, 4]);
      assert.deepEqual(
        (await registry.events("esteid", "c0ffee")).map((e) => e.event),
        ["issued", "suspended", "resumed", "revoked"],
      );
    });

    it("lets exactly one of two concurrent suspensions through, and bumps the version once", async () => {
      // Many pairs at once, so that on PostgreSQL the two transactions of a pair interleave.
      const serials = Array.from({ length: 20 }, (_, i) => `5eed${i.toString(16).padStart(2, "0")}`);
      for (const serial of serials) await registry.record(row(serial, null), "test");
      const pairs = await Promise.all(
        serials.map((serial) =>
          Promise.allSettled([
            registry.changeStatus("esteid", serial, { event: "suspended", actor: "one" }),
            registry.changeStatus("esteid", serial, { event: "suspended", actor: "two" }),
          ]),
        ),
      );
      for (const [i, results] of pairs.entries()) {
        const serial = serials[i]!;
        assert.deepEqual(results.map((r) => r.status).sort(), ["fulfilled", "rejected"], serial);
        const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
        assert.equal(refused.reason.code, "PKI_STATUS_TRANSITION");
        assert.equal((await registry.status("esteid", serial))?.version, 2);
        assert.deepEqual(
          (await registry.events("esteid", serial)).map((e) => e.event),
          ["issued", "suspended"],
        );
      }
    });

    it("#14 an authority added before permissions existed keeps what it could do: app certificates", async () => {
      // On SQLite every location is one directory (pki.sqlite): the upgrade gets its own.
      const location = target.dialect === "sqlite" ? { dataDir: temporaryDirectory() } : target.location("pki_upgrade");
      // The store as it was before permissions: the migrations that sort before theirs.
      const before = Object.fromEntries(
        Object.entries(pkiMigrations).filter(([name]) => name < "0003_registration_authority_permissions"),
      );
      const old = await openStorage<any>({ component: "pki", migrations: before, ...location });
      const token = "A".repeat(43);
      await old.db
        .insertInto("registration_authority")
        .values({
          name: "auth",
          token_hash: createHash("sha256").update(token).digest("hex"),
          hourly_quota: 600,
          created_at: "2026-01-01T00:00:00.000Z",
        })
        .execute();
      await old.close();
      const upgraded = await CertificateRegistry.open(location);
      try {
        const authorities = new RegistrationAuthorities(upgraded);
        const authority = await authorities.authenticate(`Bearer ${token}`);
        assert.deepEqual(authority.allow, ["app-certificates"]);
        await authorities.add("e-residency", { allow: ["cards"] });
        assert.deepEqual(
          (await authorities.list()).map((a) => [a.name, a.allow]),
          [
            ["auth", ["app-certificates"]],
            ["e-residency", ["cards"]],
          ],
        );
      } finally {
        await upgraded.close();
      }
    });
  });
}
