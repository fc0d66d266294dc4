import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { notOwnerOnly, runRiik, temporaryDirectory } from "@riik/core/testing";

describe("riik auth client and keys", () => {
  it("registers, lists and removes relying parties, and rotates and retires signing keys", async () => {
    const dir = temporaryDirectory("riik-auth-cli-");
    const store = ["--dir", dir];
    const added = await runRiik([
      "auth",
      "client",
      "add",
      ...store,
      "--client-id",
      "portal",
      "--redirect-uri",
      "http://127.0.0.1:8080/callback",
      "--scope",
      "openid",
      "--scope",
      "idcard",
      "--min-acr",
      "high",
    ]);
    assert.equal(added.code, 0, added.stderr);
    const { clientId, clientSecret } = JSON.parse(added.stdout) as { clientId: string; clientSecret: string };
    assert.equal(clientId, "portal");
    assert.match(clientSecret, /^[A-Za-z0-9_-]{43}$/);

    const listed = await runRiik(["auth", "client", "list", ...store]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as Array<{ clientId: string; scopes: string[] }>).map((c) => [c.clientId, c.scopes]),
      [["portal", ["openid", "idcard"]]],
    );
    assert.ok(!listed.stdout.includes(clientSecret), "a secret is shown once, never listed");

    const twice = await runRiik([
      "auth",
      "client",
      "add",
      ...store,
      "--client-id",
      "portal",
      "--redirect-uri",
      "http://127.0.0.1:1/cb",
    ]);
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /AUTH_CLIENT_EXISTS/);
    const bad = await runRiik([
      "auth",
      "client",
      "add",
      ...store,
      "--client-id",
      "x",
      "--redirect-uri",
      "nope",
      "--scope",
      "bogus",
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /AUTH_ARGUMENT/);
    assert.match(bad.stderr, /unknown scope bogus/);

    const first = JSON.parse((await runRiik(["auth", "keys", "rotate", ...store])).stdout) as { kid: string };
    const second = JSON.parse((await runRiik(["auth", "keys", "rotate", ...store])).stdout) as { kid: string };
    const keys = JSON.parse((await runRiik(["auth", "keys", "list", ...store])).stdout) as Array<{
      kid: string;
      active: boolean;
    }>;
    assert.deepEqual(
      keys.map((k) => [k.kid, k.active]),
      [
        [second.kid, true],
        [first.kid, false],
      ],
    );
    assert.deepEqual(JSON.parse((await runRiik(["auth", "keys", "retire", ...store])).stdout), [first.kid]);

    const removed = await runRiik(["auth", "client", "remove", ...store, "portal"]);
    assert.equal(removed.code, 0, removed.stderr);
    const again = await runRiik(["auth", "client", "remove", ...store, "portal"]);
    assert.match(again.stderr, /AUTH_CLIENT_UNKNOWN/);

    // Secrets and keys are owner-only (the key store's files, the SQLite database).
    assert.deepEqual(notOwnerOnly(dir), []);
    assert.equal(statSync(join(dir, "keys")).mode & 0o777, 0o700);
  });
});
