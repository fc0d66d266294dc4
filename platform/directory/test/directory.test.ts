import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { freePort, notOwnerOnly, skipUnlessAvailable, temporaryDirectory } from "@riik/core/testing";
import { issueCard, type TrustServices } from "@riik/pki";
import { startTestTrustServices } from "@riik/pki/testing";
import { CursorFile, DirectoryError, lookupAuthenticationCertificates, serveDirectory } from "../src/index.ts";

const run = promisify(execFile);
const skip = skipUnlessAvailable(
  existsSync("/usr/sbin/slapd") && existsSync("/usr/bin/ldapsearch"),
  "OpenLDAP slapd and ldap-utils (.ci/run installs them)",
);

const ALICE = "38001085718";
const BOB = "47101010033";
const CAROL = "39001010229";

/** Debian's ldapsearch, anonymous: the userCertificate values it prints for the code. */
async function ldapsearch(url: string, code: string): Promise<string[]> {
  const { stdout } = await run("/usr/bin/ldapsearch", [
    "-x",
    "-LLL",
    "-o",
    "ldif-wrap=no",
    "-H",
    url,
    "-b",
    "c=EE",
    `(serialNumber=PNOEE-${code})`,
    "userCertificate",
  ]);
  return stdout
    .split("\n")
    .filter((line) => /^userCertificate;binary::/.test(line))
    .map((l) => l.split(":: ")[1]!);
}

async function authSerial(services: TrustServices, code: string): Promise<string> {
  const rows = await services.registry.byPersonalCode(code);
  const auth = rows.filter((r) => r.purpose === "id-authentication" && r.status === "good").at(-1);
  assert.ok(auth, `an authentication certificate for ${code}`);
  return auth.serial;
}

const card = (personalCode: string, extra: { eResident: boolean } = { eResident: false }) => ({
  personalCode,
  givenName: "Mari",
  surname: "Maasikas",
  pin1: "1234",
  pin2: "12345",
  algorithm: "p384" as const,
  ...extra,
});

describe("the certificate directory (real slapd)", { skip }, () => {
  test("follows the registry: issued appears, suspended disappears, resumed returns, restart resumes from the cursor", async () => {
    const trust = await startTestTrustServices();
    const { services } = trust;
    const dir = join(temporaryDirectory("riik-directory-"), "ldap");
    await issueCard(services, card(ALICE));
    const port = await freePort();
    let directory = await serveDirectory({ dir, port, pkiDir: trust.dir, intervalMs: 60_000 });
    after(() => directory.close());
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(notOwnerOnly(dir), []);

    // Full reconcile at start: the card issued before the directory existed is there.
    const alice = await ldapsearch(directory.ldapUrl, ALICE);
    assert.equal(alice.length, 1);
    const aliceRow = (await services.registry.byPersonalCode(ALICE)).find((r) => r.purpose === "id-authentication")!;
    assert.equal(alice[0], Buffer.from(aliceRow.der).toString("base64"));
    assert.deepEqual(await ldapsearch(directory.ldapUrl, BOB), []);

    // A newly issued e-Residency card appears; its signing certificate does not.
    await issueCard(services, card(BOB, { eResident: true }));
    await directory.catchUp();
    const bob = await lookupAuthenticationCertificates(directory.ldapUrl, `EE${BOB}`);
    assert.equal(bob.length, 1);
    assert.match(bob[0]!.dn, /o=Digital identity card of e-resident,dc=ESTEID,c=EE$/);
    assert.equal((await ldapsearch(directory.ldapUrl, BOB)).length, 1);

    const serial = await authSerial(services, BOB);
    await services.registry.changeStatus("esteid", serial, { event: "suspended", actor: "test" });
    await directory.catchUp();
    assert.deepEqual(await ldapsearch(directory.ldapUrl, BOB), []);
    await services.registry.changeStatus("esteid", serial, { event: "resumed", actor: "test" });
    await directory.catchUp();
    assert.equal((await ldapsearch(directory.ldapUrl, BOB)).length, 1);

    // Stopped: slapd goes with it. A change made meanwhile is applied from the saved cursor.
    const cursor = CursorFile.in(dir).read();
    assert.ok(cursor !== undefined && cursor > 0);
    const pid = directory.slapd.pid;
    await directory.close();
    assert.throws(() => process.kill(pid, 0));
    await services.registry.changeStatus("esteid", await authSerial(services, ALICE), {
      event: "revoked",
      actor: "test",
    });
    await issueCard(services, card(CAROL));
    directory = await serveDirectory({ dir, port, pkiDir: trust.dir, intervalMs: 60_000 });
    assert.deepEqual(await ldapsearch(directory.ldapUrl, ALICE), []);
    assert.equal((await ldapsearch(directory.ldapUrl, CAROL)).length, 1);
    assert.equal((await ldapsearch(directory.ldapUrl, BOB)).length, 1);
    assert.ok(CursorFile.in(dir).read()! > cursor);

    // An expiry is no journal event: the sweep removes what expired (here: as if 30 years on).
    assert.equal(await directory.sync.expire(new Date(Date.now() - 60_000)), 0);
    assert.equal((await ldapsearch(directory.ldapUrl, BOB)).length, 1);
    const later = new Date(Date.now() + 30 * 365 * 86_400_000);
    assert.ok((await directory.sync.expire(later)) >= 2);
    assert.deepEqual(await ldapsearch(directory.ldapUrl, BOB), []);
    assert.deepEqual(await ldapsearch(directory.ldapUrl, CAROL), []);
    assert.equal(await directory.sync.expire(later), 0, "a sweep goes on from where the last one ended");
  });

  test("anonymous users read but cannot write; filter injection is refused before any search", async () => {
    const trust = await startTestTrustServices();
    await issueCard(trust.services, card(ALICE));
    const dir = join(temporaryDirectory("riik-directory-"), "ldap");
    const directory = await serveDirectory({
      dir,
      port: await freePort(),
      pkiDir: trust.dir,
      httpPort: await freePort(),
    });
    after(() => directory.close());
    const [entry] = await lookupAuthenticationCertificates(directory.ldapUrl, ALICE);
    assert.ok(entry);
    await assert.rejects(
      run("/usr/bin/ldapdelete", ["-x", "-H", directory.ldapUrl, entry.dn]),
      (error: { code?: number }) => {
        // strongAuthRequired (8) or insufficientAccessRights (50), RFC 4511 A.2: slapd refuses anonymous updates.
        assert.ok(error.code === 8 || error.code === 50, `ldapdelete exited ${error.code}`);
        return true;
      },
    );
    assert.equal((await ldapsearch(directory.ldapUrl, ALICE)).length, 1);

    for (const hostile of ["*", `${ALICE})(cn=*`, "3800108571*", "38001085719", "PNOEE-*"]) {
      await assert.rejects(lookupAuthenticationCertificates(directory.ldapUrl, hostile), (error) => {
        assert.ok(error instanceof DirectoryError);
        assert.equal(error.code, "DIRECTORY_BAD_CODE");
        return true;
      });
    }

    const found = await fetch(`${directory.httpUrl}/certificates?code=EE${ALICE}`);
    assert.equal(found.status, 200);
    const body = (await found.json()) as { certificates: { der: string; pem: string }[] };
    assert.equal(body.certificates.length, 1);
    assert.equal(body.certificates[0]!.der, Buffer.from(entry.der).toString("base64"));
    assert.match(body.certificates[0]!.pem, /^-----BEGIN CERTIFICATE-----\n/);
    const star = await fetch(`${directory.httpUrl}/certificates?code=*`);
    assert.equal(star.status, 400);
    const badCheck = await fetch(`${directory.httpUrl}/certificates?code=38001085719`);
    assert.equal(badCheck.status, 400);
    assert.equal(((await badCheck.json()) as { code: string }).code, "DIRECTORY_BAD_CODE");
  });
});
