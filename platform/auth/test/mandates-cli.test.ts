// The administrator's path to explicit mandates: the real `riik auth mandate list|grant|revoke`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runRiik, temporaryDirectory } from "@riik/core/testing";

describe("riik auth mandate", () => {
  it("grants, lists and revokes a mandate, each sealed; refuses bad ones with their code", async () => {
    const dir = temporaryDirectory("riik-auth-mandate-cli-");
    const store = ["--dir", dir];
    const issuer = ["--issuer", "http://127.0.0.1:8923"];
    const granted = await runRiik([
      "auth",
      "mandate",
      "grant",
      ...store,
      ...issuer,
      "--grantor",
      "49403136526",
      "--representative",
      "EE38001085718",
      "--role",
      "AGENCY-Q:Edit",
      "--until",
      "2099-01-01",
    ]);
    assert.equal(granted.code, 0, granted.stderr);
    const mandate = JSON.parse(granted.stdout) as Record<string, string>;
    assert.equal(mandate.grantor, "EE49403136526");
    assert.equal(mandate.representative, "EE38001085718");
    assert.equal(mandate.grantedBy, "admin:cli");
    assert.equal(mandate.validUntil, "2099-01-01T00:00:00.000Z");
    assert.equal(mandate.status, "valid");
    const payload = JSON.parse(Buffer.from(mandate.seal!.split(".")[1]!, "base64url").toString());
    assert.equal(payload.id, mandate.id);
    assert.equal(payload.iss, "http://127.0.0.1:8923");

    const listed = await runRiik(["auth", "mandate", "list", ...store, "--person", "38001085718"]);
    assert.equal(listed.code, 0, listed.stderr);
    const lists = JSON.parse(listed.stdout) as { held: Array<{ id: string }>; granted: unknown[] };
    assert.deepEqual(
      lists.held.map((m) => m.id),
      [mandate.id],
    );
    assert.deepEqual(lists.granted, []);

    const revoked = await runRiik(["auth", "mandate", "revoke", mandate.id!, ...store, ...issuer]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = JSON.parse(revoked.stdout) as Record<string, string>;
    assert.equal(after.status, "revoked");
    assert.equal(after.revokedBy, "admin:cli");
    assert.ok(after.revocationSeal);

    const refusals: Array<[string[], RegExp]> = [
      [["revoke", mandate.id!, ...store, ...issuer], /MANDATE_REVOKED/],
      [["revoke", "00000000-0000-4000-8000-000000000000", ...store, ...issuer], /MANDATE_UNKNOWN/],
      [
        ["grant", ...store, ...issuer, "--grantor", "38001085718", "--representative", "38001085718", "--role", "X:Y"],
        /MANDATE_SELF/,
      ],
      [
        ["grant", ...store, ...issuer, "--grantor", "38001085719", "--representative", "49403136526", "--role", "X:Y"],
        /MANDATE_ARGUMENT: grantor is not a valid personal code/,
      ],
      [
        [
          "grant",
          ...store,
          ...issuer,
          "--grantor",
          "38001085718",
          "--representative",
          "49403136526",
          "--role",
          "X:Y",
          "--from",
          "2030-01-01",
          "--until",
          "2029-01-01",
        ],
        /MANDATE_VALIDITY/,
      ],
      [
        [
          "grant",
          ...store,
          ...issuer,
          "--grantor",
          "38001085718",
          "--representative",
          "49403136526",
          "--role",
          "X:Y",
          "--until",
          "soon",
        ],
        /MANDATE_ARGUMENT: --until/,
      ],
    ];
    for (const [args, error] of refusals) {
      const run = await runRiik(["auth", "mandate", ...args]);
      assert.notEqual(run.code, 0, args.join(" "));
      assert.match(run.stderr, error);
    }
  });
});
