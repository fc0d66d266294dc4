import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, describe, it } from "node:test";
import { generatePersonalCode } from "@riik/core";
import { dialectTargets, skipUnlessAvailable } from "@riik/core/testing";
import { chromium, type Page } from "playwright-core";
import { createEnrolmentCode } from "../src/app-login/index.ts";
import { PIN1, startAppLoginServer, startTrustServices } from "./fixtures/app-login/harness.ts";

// Debian's Chromium driven by playwright-core, as the portal's browser tests do.
const CHROMIUM = process.env.RIIK_CHROMIUM ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
const skip = skipUnlessAvailable(available, `no browser at ${CHROMIUM} (apt-get install chromium)`);

describe("#12 the real /app page in Chromium: enrol, choose the code, PIN1, sign", { skip }, async () => {
  if (!available) return;
  const [sqlite] = await dialectTargets();
  const services = await startTrustServices();
  const server = await startAppLoginServer(sqlite!, services);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  });
  after(() => browser.close());
  const page: Page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`${message.text()} ${message.location().url}`);
  });
  const who = { personalCode: generatePersonalCode("1990-02-03", "female", 7), givenName: "Kati", surname: "Karu" };

  /** Starts a login and waits until the page offers it; returns the code the provider shows. */
  async function loginOffered() {
    const started = await server.service.start({ personalCode: who.personalCode });
    await page.locator("#login").waitFor({ state: "visible" });
    const offered = await page
      .locator("#login-choices button")
      .evaluateAll((buttons) => buttons.map((b) => (b as HTMLButtonElement).dataset.code));
    assert.equal(offered.length, 3);
    assert.ok(offered.includes(started.verificationCode), `${started.verificationCode} among ${offered.join(", ")}`);
    return { started, decoy: offered.find((c) => c !== started.verificationCode)! };
  }

  it("#12 enrols the browser's key with the operator's code; only the PIN1-wrapped key is stored", async () => {
    const { code } = await createEnrolmentCode(server.storage.db, who);
    await page.goto(`${server.url}/app`);
    await page.locator("#enrol").waitFor({ state: "visible" });
    await page.fill("#enrol-code", code);
    await page.fill("#enrol-pin1", PIN1);
    await page.fill("#enrol-pin1-again", PIN1);
    await page.click("#enrol-submit");
    await page.locator("#home").waitFor({ state: "visible" });
    assert.equal(await page.textContent("#account-name"), `KATI KARU (${who.personalCode})`);
    const stored = JSON.parse((await page.evaluate(() => localStorage.getItem("riik-app-account"))) ?? "{}");
    assert.deepEqual(Object.keys(stored.key).sort(), ["iterations", "iv", "publicKey", "salt", "wrapped"]);
    assert.equal(stored.key.iterations, 600_000);
    const [row] = await services.registry.byPersonalCode(who.personalCode);
    assert.equal(row?.purpose, "app-authentication");
  });

  it("#12 the right code and PIN1 complete the login; a wrong PIN1 leaves it open", async () => {
    await page.reload();
    const { started } = await loginOffered();
    await page.click(`#login-choices button[data-code="${started.verificationCode}"]`);
    await page.fill("#login-pin1", "99999");
    await page.click("#login-confirm");
    await page.waitForFunction(() => document.getElementById("message")?.textContent === "wrong PIN1");
    assert.deepEqual(await server.service.status(started.sessionId), { state: "RUNNING" });
    await page.fill("#login-pin1", PIN1);
    await page.click("#login-confirm");
    await page.waitForFunction(() => document.getElementById("message")?.textContent === "You are logged in.");
    const status = await server.service.status(started.sessionId);
    assert.equal(status.state === "COMPLETE" && status.identity.subject, `EE${who.personalCode}`);
  });

  it("#12 a wrong code chosen and a refusal end the login with their outcomes", async () => {
    const wrong = await loginOffered();
    await page.click(`#login-choices button[data-code="${wrong.decoy}"]`);
    await page.fill("#login-pin1", PIN1);
    await page.click("#login-confirm");
    await page.waitForFunction(() => /Wrong code chosen/.test(document.getElementById("message")?.textContent ?? ""));
    assert.deepEqual(await server.service.status(wrong.started.sessionId), {
      state: "FAILED",
      code: "WRONG_VERIFICATION_CODE",
    });
    const refused = await loginOffered();
    await page.click("#login-refuse");
    await page.waitForFunction(() => document.getElementById("message")?.textContent === "You refused the login.");
    assert.deepEqual(await server.service.status(refused.started.sessionId), { state: "FAILED", code: "USER_REFUSED" });
    assert.deepEqual(errors, [], "no script errors and no CSP violations");
  });
});
