// A secret read from a file is refused when others may read the file, when it is empty or
// missing (SECRET_FILE), so a leaked or absent token is never used as if it were one.
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { RiikError, readSecretFile } from "../src/index.ts";
import { temporaryDirectory } from "../src/testing/index.ts";

test("an owner-only file's secret is read trimmed; a readable, empty or missing one is SECRET_FILE", () => {
  const dir = temporaryDirectory("riik-secret-");
  const file = join(dir, "operator.token");
  writeFileSync(file, "s3cret-token\n", { mode: 0o600 });
  chmodSync(file, 0o600);
  assert.equal(readSecretFile(file, "the token"), "s3cret-token");
  const refused = (path: string, message: RegExp) =>
    assert.throws(
      () => readSecretFile(path, "the token"),
      (error: unknown) => error instanceof RiikError && error.code === "SECRET_FILE" && message.test(error.message),
    );
  chmodSync(file, 0o640);
  refused(file, /owner only \(chmod 600\)/);
  const empty = join(dir, "empty.token");
  writeFileSync(empty, " \n", { mode: 0o600 });
  chmodSync(empty, 0o600);
  refused(empty, /is empty/);
  refused(join(dir, "absent.token"), /cannot be read/);
});
