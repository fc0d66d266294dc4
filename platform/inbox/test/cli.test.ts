// The riik verbs as processes: `riik mail serve` and `riik inbox serve` from their descriptors
// (bad flags refused by name), and a notice that survives kill -9 of the inbox while the SMTP
// server is down: sent once both run again.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { freePort, RIIK_BIN, runRiik, temporaryDirectory } from "@riik/core/testing";
import { AGENCY, MARI, message, PORTAL } from "./fixture.ts";

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

function serve(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [RIIK_BIN, ...args], {
    env: { ...process.env, RIIK_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  return child;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const healthy = (url: string) => until(url, async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined));

describe("riik inbox serve and riik mail serve", () => {
  test("bad flags are refused by name", async () => {
    const mail = await runRiik(["mail", "serve", "--dir", "x", "--host", "0.0.0.0"]);
    assert.notEqual(mail.code, 0);
    assert.match(mail.stderr, /--host must be a loopback address/);
    const inbox = await runRiik([
      "inbox",
      "serve",
      "--dir",
      "x",
      "--smtp-url",
      "http://127.0.0.1:25",
      "--portal-url",
      "http://127.0.0.1:1",
      "--messages-client",
      "EE/GOV/70008747",
    ]);
    assert.notEqual(inbox.code, 0);
    assert.match(inbox.stderr, /--smtp-url must be an smtp:\/\/ or smtps:\/\/ URL/);
    assert.match(inbox.stderr, /--messages-client must be INSTANCE\/CLASS\/MEMBER\/SUBSYSTEM/);
  });

  test("a notice waiting for a down SMTP server survives kill -9 of the inbox and goes once both run", async () => {
    const dir = temporaryDirectory("riik-inbox-cli-");
    const [smtpPort, httpPort, port] = [await freePort(), await freePort(), await freePort()];
    const inboxArgs = [
      "inbox",
      "serve",
      "--dir",
      join(dir, "inbox"),
      "--port",
      String(port),
      "--smtp-url",
      `smtp://127.0.0.1:${smtpPort}`,
      "--portal-url",
      "http://127.0.0.1:8818",
      "--messages-client",
      AGENCY,
      "--mailbox-client",
      PORTAL,
    ];
    const inboxUrl = `http://127.0.0.1:${port}`;
    let inbox = serve(inboxArgs);
    await healthy(inboxUrl);
    const asPortal = { "x-road-client": PORTAL, "x-road-userid": `EE${MARI}`, "content-type": "application/json" };
    const forwarding = await fetch(`${inboxUrl}/persons/${MARI}/forwarding`, {
      method: "PUT",
      headers: asPortal,
      body: JSON.stringify({ email: "mari@example.ee" }),
    });
    assert.equal(forwarding.status, 200);
    const sent = await fetch(`${inboxUrl}/messages`, {
      method: "POST",
      headers: { "x-road-client": AGENCY, "content-type": "application/json" },
      body: JSON.stringify(message(MARI, { subject: "Enne katkestust" })),
    });
    assert.equal(sent.status, 201);
    const { id } = (await sent.json()) as { id: string };
    inbox.kill("SIGKILL");
    await new Promise((resolve) => inbox.once("exit", resolve));

    const mailUrl = `http://127.0.0.1:${httpPort}`;
    serve([
      "mail",
      "serve",
      "--dir",
      join(dir, "mail"),
      "--smtp-port",
      String(smtpPort),
      "--http-port",
      String(httpPort),
    ]);
    await healthy(mailUrl);
    inbox = serve(inboxArgs);
    const kept = await until("the notice", async () => {
      const reply = (await (await fetch(`${mailUrl}/messages?to=mari@example.ee`)).json()) as {
        messages: Array<{ messageId: string }>;
      };
      return reply.messages[0];
    });
    assert.equal(kept.messageId, `<${id}@inbox.riik>`);
    const detail = await fetch(`${inboxUrl}/persons/${MARI}/messages/${id}`, { headers: asPortal });
    assert.equal(((await detail.json()) as { notice: string }).notice, "sent");
  });
});
