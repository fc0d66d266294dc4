// End to end against a whole sandbox state: `riik up` boots trust services, ledger, central
// server, security servers, the population register, the police app, the auth service and this
// portal (registered there as a relying party); Chromium logs in at the auth service's page
// with a demo card, reads the person's data, has the police query the person, and
// finds that query in "Who used my data", anchored in the ledger (its downloaded proof verifies); signs a file with PIN2 (the
// sandbox's TSA and OCSP) and checks the container; the operator view shows the embassy's replication;
// logs out everywhere (the card is asked again), and logs in with the /app page enrolled by
// `riik auth app-enrolment`; acts for a person who granted a mandate (`riik auth mandate grant`) and back;
// a birth registered by `riik registrar` brings the Board's offer to the mother's inbox; she confirms it.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { personalCodeCheckDigit } from "@riik/core";
import { freePortRange, runRiik, skipUnlessAvailable, temporaryDirectory } from "@riik/core/testing";
import { XRoadRestClient } from "@riik/kit";
import { DATATRACKER_CLIENT, E_RESIDENCY, POPULATION_REGISTER, PORT_COUNT, PPA_SERVICE_DESK, SKA } from "@riik/state";
import { trustAnchorOf, verifyUsageProof } from "@riik/xroad";
import { type Browser, chromium } from "playwright-core";
import { Type } from "typebox";
import { CHROMIUM, CHROMIUM_ARGS } from "./helpers.ts";
import { logInWithCard } from "./page.ts";

/** The Social Insurance Board's registry code (its member id's last part). */
const SKA_CODE = SKA.split("/").at(-1)!;

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

/** Every port of riik up's layout (a smaller range let later services collide with other tests). */
const PORTS = PORT_COUNT;
/** A valid personal code no one in the sandbox has a card for (born 31.12.1999, sequence 999). */
const NO_CARD_CODE = `3991231999${personalCodeCheckDigit("3991231999")}`;

interface Card {
  personalCode: string;
  name: string;
  file: string;
  pin1: string;
  pin2: string;
}
interface State {
  services: Record<string, { url: string; [key: string]: unknown }>;
  demoCards: Card[];
  officials: Array<Card & { role: string }>;
}

/** What the service desk gets when it hands a digital ID over (the e-Residency agency's answer). */
const HANDED_OVER = Type.Object({
  personalCode: Type.String(),
  cardFile: Type.String(),
  pinEnvelope: Type.Object({ pin1: Type.String(), pin2: Type.String() }),
});

/** Starts `riik up` and resolves at its `ready` line (a start that fails is stopped); `stop` ends it. */
async function riikUp(
  dataDir: string,
  portBase: number,
): Promise<{ child: ChildProcess; output: () => string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [join(REPO, "apps/cli/bin/riik.js"), "up", "--data", dataDir, "--persons", "300", "--port-base", String(portBase)],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RIIK_LOG_LEVEL: "warn" } },
  );
  let text = "";
  child.stdout?.on("data", (chunk) => {
    text += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    text += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`riik up not ready in 400 s:\n${text.slice(-3000)}`)), 400_000);
      const check = () => {
        if (/^ready /m.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", check);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`riik up exited with ${code} before ready:\n${text.slice(-3000)}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, output: () => text, stop };
}

const skip = skipUnlessAvailable(existsSync(CHROMIUM), `no browser at ${CHROMIUM} (apt-get install chromium)`);

describe("citizen portal on a whole sandbox state (riik up)", { skip, timeout: 600_000 }, () => {
  // Made here, not in before(): a temporary directory made in a hook is removed when the hook ends.
  const dataDir = join(temporaryDirectory("riik-portal-up-"), "data");
  let state: State;
  let browser: Browser;
  let stopState = async () => {};
  before(async () => {
    stopState = (await riikUp(dataDir, await freePortRange(PORTS))).stop;
    state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as State;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await stopState();
  });

  it("logs in, reads my data, and sees a police query appear in Who used my data, anchored", async (t) => {
    const portal = state.services.portal;
    assert.ok(portal, "riik up starts the portal");
    const police = state.services.police;
    const card = state.demoCards[0];
    assert.ok(police, "riik up starts the police app");
    assert.ok(card, "riik up issues demo cards");
    // An explicit mandate (the administrator's path): the second demo person lets the first act for them.
    const grantor = state.demoCards[1];
    assert.ok(grantor, "riik up issues at least two demo cards");
    const db = process.env.RIIK_DATABASE_URL ? ["--db", process.env.RIIK_DATABASE_URL] : [];
    const mandate = await runRiik([
      "auth",
      "mandate",
      "grant",
      "--dir",
      join(dataDir, "auth"),
      "--issuer",
      String(state.services.auth?.url),
      "--grantor",
      grantor.personalCode,
      "--representative",
      card.personalCode,
      "--role",
      "PORTAL:Read",
      ...db,
    ]);
    assert.equal(mandate.code, 0, mandate.stderr);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${portal.url}/?lang=en`);
    await page.locator("#login-start").click();
    assert.equal(new URL(page.url()).origin, state.services.auth?.url, "the login is the auth service's");
    await logInWithCard(page, card.file, card.pin1);
    await page.getByRole("heading", { level: 1, name: "My data" }).waitFor({ timeout: 20_000 });
    const main = page.locator("main");
    await main.getByText(card.personalCode, { exact: true }).waitFor({ timeout: 20_000 });
    await main.getByRole("heading", { name: "Family" }).waitFor();
    // My logins: the auth service's record of this very login, read over X-Road (its own listener, ss-ria).
    await main.getByRole("heading", { name: "My logins" }).waitFor();
    await main
      .getByText(/ · portal · ID card, level high/)
      .first()
      .waitFor({ timeout: 20_000 });
    // Whom the person may act for: the register's family source over X-Road and the explicit
    // mandate; the list is current, not "unavailable". Act for the grantor, then for oneself.
    await main.getByRole("heading", { name: "Whom I may act for" }).waitFor();
    const session = await (await page.request.get(`${portal.url}/api/session`)).json();
    assert.equal(session.representees?.status, "current", JSON.stringify(session.representees));
    t.diagnostic(`the demo person may act for ${session.representees.list.length}`);
    assert.ok(session.representees.list.some((r: { sub: string }) => r.sub === `EE${grantor.personalCode}`));
    await main
      .getByRole("link", { name: new RegExp(`^Act for .*EE${grantor.personalCode}|^Act for ${grantor.name}`) })
      .first()
      .click();
    await page.getByText("You are acting for", { exact: false }).waitFor({ timeout: 20_000 });
    await main.getByText(grantor.personalCode, { exact: true }).first().waitFor({ timeout: 20_000 });
    // The reads made while acting are in the represented person's Data Tracker, naming who
    // acted (X-Road-UserId) for them (X-Road-Represented-Party); the actor sees that protocol.
    let actedUses: Array<{ user?: string }> = [];
    for (let tries = 0; tries < 40 && actedUses.length === 0; tries++) {
      const usage = await (await page.request.get(`${portal.url}/api/me/usage`)).json();
      assert.equal(usage.userCode, `EE${grantor.personalCode}`, "acting for someone shows their usage protocol");
      actedUses = usage.usages.filter((u: { user?: string }) => u.user === `EE${card.personalCode}`);
      if (actedUses.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(actedUses.length > 0, "the represented person's protocol names the actor's reads");
    await page.getByRole("link", { name: "Act for yourself" }).click();
    await main.getByText(card.personalCode, { exact: true }).waitFor({ timeout: 20_000 });
    // A parent acts for their minor child: the right comes from the population register's
    // family relations (read by the mandates service over X-Road), not from any mandate.
    const child = session.representees.list.find(
      (r: { sub: string; type: string }) => r.type === "NATURAL_PERSON" && r.sub !== `EE${grantor.personalCode}`,
    );
    // The demo person sits on a demo company's board: the business register's right, over X-Road.
    assert.ok(
      session.representees.list.some(
        (r: { type: string; name: string }) => r.type === "LEGAL_PERSON" && / OÜ$/.test(r.name),
      ),
      `the demo person may act for their company: ${JSON.stringify(session.representees)}`,
    );
    assert.ok(child, `the demo person is a parent of a minor child: ${JSON.stringify(session.representees)}`);
    await main
      .getByRole("link", { name: `Act for ${child.name || child.sub}` })
      .first()
      .click();
    await page.getByText("You are acting for", { exact: false }).waitFor({ timeout: 20_000 });
    await main.getByText(child.sub.slice(2), { exact: true }).first().waitFor({ timeout: 20_000 });
    await page.getByRole("link", { name: "Act for yourself" }).click();
    await main.getByText(card.personalCode, { exact: true }).waitFor({ timeout: 20_000 });

    const purpose = `criminal proceedings ${Date.now()}`;
    const query = await fetch(`${police.url}/queries`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ personalCode: card.personalCode, purpose, officer: "38001085718" }),
    });
    assert.equal(query.status, 200, await query.text());

    await page.getByRole("link", { name: "Who used my data" }).click();
    await page.getByRole("heading", { level: 1, name: "Who used my data" }).waitFor();
    // The use is recorded at once and anchored with the next message-log batch: refresh until both show.
    const row = page.locator("tbody tr.usage", { hasText: purpose });
    const deadline = Date.now() + 45_000;
    for (;;) {
      await page.locator("tbody tr.usage, main p[role=status] + p, .flash.error").first().waitFor({ timeout: 20_000 });
      if ((await row.count()) > 0 && (await row.getByText("Anchored in the ledger").count()) > 0) break;
      assert.ok(Date.now() < deadline, `the police query was not shown anchored: ${await main.textContent()}`);
      await page.waitForTimeout(1000);
      await page.getByRole("button", { name: "Refresh" }).click();
    }
    // The badge is a verification (issue 22): the proof the person downloads verifies on its own
    // against the state's global configuration, as the portal checked it.
    const href = await row
      .getByRole("link", { name: "Download the proof (JSON)", includeHidden: true })
      .getAttribute("href");
    assert.ok(href, "an anchored use links its proof");
    const proof = await (await page.request.get(`${portal.url}${href}`)).json();
    const check = await verifyUsageProof(proof, await trustAnchorOf({ data: dataDir }, "the proof"));
    assert.equal(check.ok, true, check.problems.join("\n"));
    await row.getByText("Politsei- ja Piirivalveamet", { exact: false }).waitFor();
    await row.getByText("EE38001085718").waitFor();
    // Newest first: the police query is above the portal's own reads.
    assert.match((await page.locator("tbody tr.usage").first().textContent()) ?? "", new RegExp(purpose));

    await page.getByRole("link", { name: "Operator view" }).click();
    await page.getByRole("heading", { level: 1, name: "Operator view" }).waitFor();
    await page
      .getByRole("table", { name: "Security servers" })
      .locator("tbody tr")
      .first()
      .waitFor({ timeout: 20_000 });
    await page.getByRole("heading", { name: "Latest checkpoint" }).waitFor({ timeout: 20_000 });
    // riik up's witness cosigns the ledger's checkpoints: "cosigned" only when its cosignature
    // verifies with the witness key of the global configuration (issue 22), here a real one.
    const witnessDeadline = Date.now() + 30_000;
    const witness = page.locator("li", { hasText: "riik.localhost/witness" });
    while ((await witness.getByText("cosigned", { exact: true }).count()) === 0) {
      assert.ok(Date.now() < witnessDeadline, `the witness is not shown cosigned: ${await main.textContent()}`);
      await page.waitForTimeout(1000);
      await page.getByRole("button", { name: "Refresh" }).click();
      await page.getByRole("heading", { name: "Latest checkpoint" }).waitFor({ timeout: 20_000 });
    }
    // The shipper replicates the population register to the embassy "lux".
    const replication = page
      .getByRole("table", { name: "Data embassy replication" })
      .locator("tbody tr", { hasText: "population-register" });
    await replication.getByText("lux").waitFor({ timeout: 20_000 });
    // The chain starts with a snapshot; refresh until the embassy node reports holding it.
    const snapshotDeadline = Date.now() + 20_000;
    while ((await replication.getByText(/segment \d+, change \d+/).count()) === 0) {
      assert.ok(Date.now() < snapshotDeadline, `no snapshot shown: ${await replication.textContent()}`);
      await page.waitForTimeout(1000);
      await page.getByRole("button", { name: "Refresh" }).click();
      await replication.getByText("lux").waitFor({ timeout: 20_000 });
    }

    // Sign a file with the demo card's PIN2: riik up's TSA, OCSP and root make a valid B-LT container.
    const document = join(dataDir, "..", "otsus.txt");
    writeFileSync(document, "Otsus: kinnitada.\n");
    await page.getByRole("link", { name: "Sign documents" }).click();
    await page.locator("#sign-files").setInputFiles(document);
    await page.locator("#sign-card").setInputFiles(card.file);
    await page.locator("#pin2").fill(card.pin2);
    await page.getByRole("button", { name: "Sign", exact: true }).click();
    await page
      .locator("section.report")
      .getByText("The container is valid: every signature is valid.")
      .waitFor({ timeout: 20_000 });
    await page.locator("section.report").getByText(card.personalCode, { exact: true }).waitFor();

    // Encrypt for another person (issue #20): the page finds the grantor's ID card key through the
    // portal (the certificate directory, checked against the state's CA) and writes the CDOC2
    // container itself; the command line opens it with the grantor's card, the page refuses it to
    // the wrong card and opens it with the right one, without a login.
    await page.getByRole("link", { name: "Encrypt for a person" }).click();
    await page.locator("#encrypt-files").setInputFiles(document);
    await page.locator("#encrypt-codes").fill(NO_CARD_CODE);
    await page.getByRole("button", { name: "Encrypt", exact: true }).click();
    await page.getByText("This personal code has no valid ID card in the certificate directory").waitFor();
    await page.locator("#encrypt-codes").fill(grantor.personalCode);
    await page.getByRole("button", { name: "Encrypt", exact: true }).click();
    const encrypted = join(dataDir, "..", "otsus.cdoc2");
    const [containerDownload] = await Promise.all([
      page.waitForEvent("download"),
      page.locator("#encrypt-download a").click({ timeout: 20_000 }),
    ]);
    assert.equal(containerDownload.suggestedFilename(), "otsus.cdoc2");
    await containerDownload.saveAs(encrypted);
    // … and sends it to the grantor's state inbox, as a message from the person logged in.
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await page.locator("#encrypt-sent").waitFor({ timeout: 20_000 });
    const opened = join(dataDir, "..", "opened-by-cli");
    const decrypted = await runRiik(["cdoc", "decrypt", "-f", encrypted, "--card", grantor.file, "-o", opened], {
      env: { RIIK_PIN1: grantor.pin1 },
    });
    assert.equal(decrypted.code, 0, decrypted.stderr);
    assert.equal(readFileSync(join(opened, "otsus.txt"), "utf8"), "Otsus: kinnitada.\n");
    const opener = await browser.newPage();
    await opener.goto(`${portal.url}/?lang=en#/decrypt`);
    await opener.locator("#decrypt-file").setInputFiles(encrypted);
    await opener.locator("#decrypt-card").setInputFiles(card.file);
    await opener.locator("#decrypt-pin1").fill(card.pin1);
    await opener.getByRole("button", { name: "Open", exact: true }).click();
    await opener.getByText("This container was not encrypted for this ID card.").waitFor();
    await opener.locator("#decrypt-card").setInputFiles(grantor.file);
    await opener.locator("#decrypt-pin1").fill(grantor.pin1);
    await opener.getByRole("button", { name: "Open", exact: true }).click();
    const [fileDownload] = await Promise.all([
      opener.waitForEvent("download"),
      opener.locator("#decrypt-files a", { hasText: "otsus.txt" }).click({ timeout: 20_000 }),
    ]);
    const plain = join(dataDir, "..", "otsus-opened.txt");
    await fileDownload.saveAs(plain);
    assert.equal(readFileSync(plain, "utf8"), "Otsus: kinnitada.\n");
    await opener.close();

    // Log out everywhere: the portal's session and the auth service's; a new login asks for the card.
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Log out of every e-service" }).click();
    await page.getByText("You have logged out.").waitFor({ timeout: 20_000 });
    assert.equal((await page.request.get(`${portal.url}/api/me`)).status(), 401);
    await page.locator("#login-start").click();
    await page.locator("#card-file").waitFor();

    // The app login: the operator's enrolment code (riik auth app-enrolment), the /app page on a phone.
    const other = grantor;
    const [given = "Mari", ...rest] = other.name.split(" ");
    const enrolment = await runRiik([
      "auth",
      "app-enrolment",
      other.personalCode,
      "--given",
      given,
      "--surname",
      rest.join(" ") || "Maasikas",
      "--dir",
      join(dataDir, "auth"),
      "--json",
      ...db,
    ]);
    assert.equal(enrolment.code, 0, enrolment.stderr);
    const { code } = JSON.parse(enrolment.stdout) as { code: string };
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const app = await phone.newPage();
    await app.goto(`${state.services.auth?.url}/app`);
    await app.fill("#enrol-code", code);
    await app.fill("#enrol-pin1", "2468");
    await app.fill("#enrol-pin1-again", "2468");
    await app.click("#enrol-submit");
    await app.locator("#home").waitFor({ state: "visible", timeout: 20_000 });
    await page.locator("#personal-code").fill(other.personalCode);
    await page.locator("#app-start").click();
    const shown = page.locator("#verification-code");
    await shown.waitFor();
    const verificationCode = (await shown.textContent())?.trim() ?? "";
    await app.locator("#login").waitFor({ state: "visible", timeout: 20_000 });
    await app.click(`#login-choices button[data-code="${verificationCode}"]`);
    await app.fill("#login-pin1", "2468");
    await app.click("#login-confirm");
    await page.getByRole("heading", { level: 1, name: "My data" }).waitFor({ timeout: 20_000 });
    await main.getByText(other.personalCode, { exact: true }).waitFor({ timeout: 20_000 });
    // The grantor finds the encrypted document in their inbox and opens it here with their card.
    await page.locator("#nav-inbox").click();
    await page.getByRole("link", { name: "An encrypted document" }).click();
    await page.locator("#open-attachment-0").click({ timeout: 20_000 });
    await page.locator("#decrypt-handed-over").getByText("otsus.cdoc2").waitFor();
    await page.locator("#decrypt-card").setInputFiles(other.file);
    await page.locator("#decrypt-pin1").fill(other.pin1);
    await page.getByRole("button", { name: "Open", exact: true }).click();
    await page.locator("#decrypt-files a", { hasText: "otsus.txt" }).waitFor({ timeout: 20_000 });

    // Issue #13, once only: a registrar registers a birth (riik registrar, through ss-sim); the
    // register's event reaches the Board over X-Road, and the Board's offer is in the mother's
    // state inbox without an application; she logs in with her card and confirms it.
    const mother = state.demoCards.find((c) => /^[46]/.test(c.personalCode));
    assert.ok(mother, "demoPersons gives men and women");
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Log out of every e-service" }).click();
    await page.getByText("You have logged out.").waitFor({ timeout: 20_000 });
    await page.locator("#login-start").click();
    await logInWithCard(page, mother.file, mother.pin1);
    await page.getByRole("heading", { level: 1, name: "My data" }).waitFor({ timeout: 20_000 });
    // She asks for notices of new messages by e-mail (the inbox's real SMTP, riik up's mail server).
    const mailbox = `ema.${mother.personalCode}@example.ee`;
    await page.locator("#nav-inbox").click();
    await page.getByLabel("E-mail address").fill(mailbox);
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText(`Notices of new messages go to ${mailbox}.`).waitFor({ timeout: 20_000 });
    const born = await runRiik([
      "registrar",
      "birth",
      "--data",
      dataDir,
      "--official",
      "47503122214",
      "--mother",
      mother.personalCode,
      "--given-name",
      "Mari",
      "--surname",
      "Maasikas",
      "--sex",
      "female",
      "--date",
      new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10),
      "--place",
      "Tallinn, Harju maakond",
    ]);
    assert.equal(born.code, 0, born.stderr);
    // The event's way: the register, ss-sim, ss-ska, the Board's worker, ss-ria, the inbox.
    let unread = 0;
    for (let tries = 0; tries < 90 && unread === 0; tries++) {
      const listed = await page.request.get(`${portal.url}/api/inbox/messages`);
      unread = listed.ok() ? ((await listed.json()) as { unread: number }).unread : 0;
      if (unread === 0) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal(unread, 1, "the Board's offer is in the mother's state inbox");
    // … and its notice reached her mailbox: the subject, never the message itself.
    let mails: Array<{ subject?: string; text?: string }> = [];
    for (let tries = 0; tries < 60 && mails.length === 0; tries++) {
      const listed = await fetch(`${state.services.mail!.messages}?to=${encodeURIComponent(mailbox)}`);
      mails = ((await listed.json()) as { messages: typeof mails }).messages;
      if (mails.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(mails[0]?.subject ?? "", /Family benefits for your child/);
    assert.doesNotMatch(mails[0]?.text ?? "", /You are entitled to these benefits/);
    await page.goto(`${portal.url}/?lang=en#/inbox`);
    await page.getByRole("heading", { level: 1, name: "State inbox" }).waitFor({ timeout: 20_000 });
    await page.getByRole("link", { name: "Peretoetused lapse sünni puhul / Family benefits for your child" }).click();
    await page.locator("#open-offer").click();
    await page.getByRole("heading", { level: 1, name: "Family benefits" }).waitFor({ timeout: 20_000 });
    const offers = (await (await page.request.get(`${portal.url}/api/benefits/offers`)).json()) as {
      offers: Array<{ id: string; child: string }>;
    };
    const offer = offers.offers[0];
    assert.ok(offer, JSON.stringify(offers));
    await page
      .getByRole("table", { name: "The benefits and why each amount" })
      .getByText("childbirth allowance: €320.00")
      .waitFor({ timeout: 20_000 });
    await page.check(`#recipient-self-${offer.id}`);
    await page.fill(`#iban-${offer.id}`, "EE38 2200 2210 2014 5685");
    await page.getByRole("button", { name: "Confirm", exact: true }).click();
    await page.getByText("The offer is confirmed; the payments are scheduled.").waitFor({ timeout: 20_000 });
    await page
      .getByRole("table", { name: "Payments scheduled by month, newest first" })
      .getByText("EE382200221020145685")
      .first()
      .waitFor({ timeout: 20_000 });

    // Once only, and seen: the Board's read of the family over X-Road is in the mother's Data
    // Tracker ("Who used my data", through the portal) and in the newborn's (the usage protocol
    // at the register's security server, as the state's Data Tracker client asks it).
    let boardUses: Array<{ institution: { code?: string } }> = [];
    for (let tries = 0; tries < 40 && boardUses.length === 0; tries++) {
      const usage = await (await page.request.get(`${portal.url}/api/me/usage`)).json();
      boardUses = usage.usages.filter((u: { institution: { code?: string } }) => u.institution.code === SKA_CODE);
      if (boardUses.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(boardUses.length > 0, "the mother's Data Tracker shows the Board's read of her family");
    const childCode = `EE${offer.child}`;
    const childUses = await fetch(
      `${state.services["ss-ria"]!.url}/r1/${POPULATION_REGISTER}/datatracker/v2/findUsage?userCode=${childCode}`,
      { headers: { "X-Road-Client": DATATRACKER_CLIENT, "X-Road-UserId": childCode } },
    );
    assert.equal(childUses.status, 200);
    const { usages } = (await childUses.json()) as { usages: Array<{ receiverCode: string }> };
    assert.ok(
      usages.some((u) => u.receiverCode === SKA_CODE),
      `the newborn's Data Tracker shows the Board's read: ${JSON.stringify(usages)}`,
    );

    // Her income tax return for last year is there, pre-filled from the declarations riik up
    // seeded at the Tax and Customs Board, read through ss-ria and ss-emta.
    await page.getByRole("link", { name: "Income tax return" }).click();
    await page.getByRole("heading", { level: 1, name: "Income tax return" }).waitFor({ timeout: 20_000 });
    await page
      .getByRole("table", { name: "The lines of the return, each with its source and reason" })
      .getByText(/the rules for 20\d\d/)
      .first()
      .waitFor({ timeout: 20_000 });
    await page.locator("#tax-outcome").waitFor();
    await page.context().close();
  });

  // Issue #14 from anywhere: an applicant with no Estonian identity applies and pays in the
  // portal; the police check them over X-Road; the Board's official signs the decision with her
  // card (`riik e-residency decide`); the service desk hands the digital ID over (through ss-ppa
  // as `teenindus`); the e-resident logs in with it and founds a company with a citizen, both
  // signing with their cards.
  it("an e-resident applies, gets the digital ID, logs in with it and founds a company with a citizen", async () => {
    const portal = state.services.portal!;
    const official = state.officials.find((card) => /e-Residency/.test(card.role));
    const citizen = state.demoCards[2];
    assert.ok(official && citizen, "riik up issues the official's and the demo persons' cards");
    const applicant = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await applicant.newPage();
    await page.goto(`${portal.url}/?lang=en#/e-residency`);
    await page.locator("#er-pickupLocation").waitFor({ timeout: 20_000 });
    const photo = join(dataDir, "..", "photo.jpg");
    writeFileSync(
      photo,
      Buffer.from([
        0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9,
      ]),
    );
    await page.fill("#er-givenName", "Grace");
    await page.fill("#er-surname", "Hopper");
    await page.fill("#er-dateOfBirth", "1986-12-09");
    await page.selectOption("#er-sex", "female");
    await page.fill("#er-citizenship", "us");
    await page.fill("#er-documentNumber", "X7654321");
    await page.fill("#er-documentExpires", "2032-01-01");
    await page.fill("#er-email", "grace@example.org");
    await page.locator("#er-photo").setInputFiles(photo);
    await page.fill("#er-reason", "to found a company");
    await page.selectOption("#er-pickupLocation", "tallinn");
    await page.getByRole("button", { name: "Submit the application" }).click();
    const number = (await page.locator("#er-number").textContent({ timeout: 20_000 })) ?? "";
    assert.match(number, /^ER-\d{4}-\d{6}$/);
    await page.getByRole("button", { name: /^Pay / }).click();
    await page.locator("#er-receipt-id").waitFor({ timeout: 20_000 });
    await page.getByRole("link", { name: "Follow the application" }).click();
    // The police's background check runs over X-Road (ss-ppa); the page shows where it stands.
    for (let tries = 0; tries < 30; tries++) {
      await page.getByRole("button", { name: "Show", exact: true }).click();
      const shown = page.locator("#er-status").getByText("awaiting the official's decision");
      if (await shown.isVisible({ timeout: 2_000 }).catch(() => false)) break;
    }
    await page.locator("#er-status").getByText("awaiting the official's decision").waitFor({ timeout: 5_000 });

    const desk = `${state.services["ss-ppa"]!.url}/r1/${E_RESIDENCY}/decisions`;
    const decided = await runRiik([
      "e-residency",
      "decide",
      "--card",
      official.file,
      "--pin2",
      official.pin2,
      "--application",
      number,
      "--grant",
      "--url",
      desk,
      "--xroad-client",
      PPA_SERVICE_DESK,
    ]);
    assert.equal(decided.code, 0, decided.stderr);
    const serviceDesk = new XRoadRestClient({
      securityServer: state.services["ss-ppa"]!.url,
      client: PPA_SERVICE_DESK,
    });
    const handedOver = await serviceDesk.call({
      service: `${E_RESIDENCY}/decisions`,
      path: `/staff/applications/${number}/hand-over`,
      method: "POST",
      answer: HANDED_OVER,
      body: { documentNumber: "X7654321" },
      userId: `EE${official.personalCode}`,
      issue: "e-residendi kaardi väljastamine",
    });
    const eResident = handedOver.body;
    await page.getByRole("button", { name: "Show", exact: true }).click();
    await page.locator("#er-status").getByText("the digital ID is handed over").waitFor({ timeout: 20_000 });

    // The e-resident logs in with the new digital ID and founds a company with a citizen.
    await page.goto(`${portal.url}/?lang=en`);
    await page.locator("#login-start").click();
    await logInWithCard(page, eResident.cardFile, eResident.pinEnvelope.pin1);
    await page.getByRole("link", { name: "Found a company" }).click({ timeout: 20_000 });
    await page.getByRole("heading", { level: 1, name: "Found a company" }).waitFor();
    const name = `Hopperi Arvutid ${Date.now() % 100000} OÜ`;
    await page.fill("#company-name", name);
    await page.locator("#name-check").getByText("The name is free").waitFor({ timeout: 20_000 });
    await page.fill("#seat-address", "Lossi plats 1a, Tallinn");
    await page.fill("#company-email", "info@hopper.example");
    assert.equal(await page.locator("#founders-0-personalCode").inputValue(), eResident.personalCode);
    await page.getByRole("button", { name: "Add a founder" }).click();
    const [citizenGiven, ...citizenSurname] = citizen.name.split(" ");
    await page.fill("#founders-1-personalCode", citizen.personalCode);
    await page.fill("#founders-1-givenName", citizenGiven ?? "");
    await page.fill("#founders-1-surname", citizenSurname.join(" "));
    await page.fill("#founders-1-share", "2,50");
    // The e-resident alone on the board lives abroad: the citizen is the contact person in Estonia.
    await page.getByRole("button", { name: "Add a contact person" }).click();
    await page.fill("#contact-0-personalCode", citizen.personalCode);
    await page.fill("#contact-0-givenName", citizenGiven ?? "");
    await page.fill("#contact-0-surname", citizenSurname.join(" "));
    await page.getByRole("button", { name: "File the application" }).click();
    await page.getByRole("heading", { level: 2, name }).waitFor({ timeout: 20_000 });
    // Filing runs the register's checks over X-Road: on a loaded machine the form can take a while.
    await page.locator("#founder-card").waitFor({ timeout: 60_000 });
    await page.locator("#founder-card").setInputFiles(eResident.cardFile);
    await page.fill("#founder-pin2", eResident.pinEnvelope.pin2);
    await page.getByRole("button", { name: "Sign", exact: true }).click();
    await page.getByText("Signed. Waiting for 1 more founder(s) to sign.").waitFor({ timeout: 30_000 });
    await applicant.close();

    const cofounder = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const second = await cofounder.newPage();
    await second.goto(`${portal.url}/?lang=en`);
    await second.locator("#login-start").click();
    await logInWithCard(second, citizen.file, citizen.pin1);
    await second.getByRole("heading", { level: 1, name: "My data" }).waitFor({ timeout: 20_000 });
    await second.goto(`${portal.url}/?lang=en#/found`);
    await second.getByRole("link", { name }).click({ timeout: 20_000 });
    await second.locator("#founder-card").setInputFiles(citizen.file);
    await second.fill("#founder-pin2", citizen.pin2);
    await second.getByRole("button", { name: "Sign", exact: true }).click();
    await second.getByText("Every founder has signed. The company can be registered.").waitFor({ timeout: 30_000 });
    await second.locator("#register-company").click();
    const done = second.getByText(new RegExp(`^${name} is registered with the registry code (\\d{8})\\.$`));
    await done.waitFor({ timeout: 20_000 });
    await second.getByRole("link", { name: "Open the company's page" }).click();
    await second.getByRole("heading", { name: "Registry card", exact: true }).waitFor({ timeout: 20_000 });
    // The e-resident is on the board, among the shareholders and the beneficial owners.
    await second.locator("main li", { hasText: eResident.personalCode }).first().waitFor({ timeout: 20_000 });
    assert.equal(await second.locator("main li", { hasText: eResident.personalCode }).count(), 3);
    await cofounder.close();
  });

  // Issue #16: the clinic's doctor records a visit (riik health, the clinic's system through
  // ss-kliinik, signed with her card); the patient names a representative in the portal; the
  // doctor writes a prescription the representative may collect; the patient closes the
  // summary; the pharmacy (through ss-apteek) hands half to the representative, refuses them
  // once the patient has ended the mandate, hands the rest to the patient and refuses a third
  // time; the portal shows who collected what and who read what.
  it("a doctor's visit and prescription reach the patient's portal; she closes the summary, names and ends a representative; the pharmacy dispenses it in two", async () => {
    const portal = state.services.portal!;
    const doctor = state.officials.find((card) => /^doctor/.test(card.role));
    const pharmacist = state.officials.find((card) => /^pharmacist/.test(card.role));
    const patient = state.demoCards[0]!;
    const representative = state.demoCards[1]!;
    assert.ok(doctor && pharmacist, "riik up issues the doctor's and the pharmacist's cards");
    const health = async (args: string[]) => {
      const run = await runRiik(["health", ...args, "--data", dataDir]);
      assert.equal(run.code, 0, run.stderr);
      return JSON.parse(run.stdout) as Record<string, unknown>;
    };
    const asDoctor = ["--card", doctor.file, "--pin2", doctor.pin2, "--patient", patient.personalCode];
    await health([
      "visit",
      ...asDoctor,
      "--title",
      "Vastuvõtu kokkuvõte: kurguvalu",
      "--summary",
      "Viirusinfektsioon.",
    ]);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${portal.url}/?lang=en`);
    await page.locator("#login-start").click();
    await logInWithCard(page, patient.file, patient.pin1);
    await page.getByRole("link", { name: "My health" }).click({ timeout: 20_000 });
    await page.getByRole("heading", { level: 1, name: "My health" }).waitFor();
    await page.getByLabel("Representative's personal code").fill(representative.personalCode);
    await page.getByRole("button", { name: "Give the mandate" }).click();
    await page.getByText("The mandate is given.").waitFor({ timeout: 20_000 });
    const mandates = page.getByRole("table", {
      name: "People with a mandate to represent you in health matters, newest first",
    });
    await mandates.getByRole("row", { name: new RegExp(`${representative.personalCode}.*in force`) }).waitFor();

    const written = await health([
      "prescribe",
      ...asDoctor,
      "--medicine",
      "metformin-500",
      "--packages",
      "2",
      "--dispensings",
      "2",
      "--dosage",
      "1 tablett 2 korda päevas",
      "--named-representative",
      representative.personalCode,
    ]);
    assert.equal(written.type, "named-representative");
    const prescription = String(written.prescription).replace("MedicationRequest/", "");

    await page.reload();
    await page.getByRole("heading", { level: 1, name: "My health" }).waitFor({ timeout: 20_000 });
    const documents = page.getByRole("table", { name: "Visit summaries and other documents, newest first" });
    await documents.getByText("Vastuvõtu kokkuvõte: kurguvalu").first().waitFor({ timeout: 20_000 });
    await page
      .getByRole("table", { name: "Prescriptions, newest first" })
      .getByText(`also collected by ${representative.personalCode}`)
      .waitFor();
    const summary = documents.getByRole("row", { name: /kurguvalu/ }).first();
    await summary.getByRole("button", { name: "Close" }).click();
    await page.getByText("Closed. Doctors no longer see it, except in an emergency.").waitFor({ timeout: 20_000 });

    // The pharmacist finds the patient's valid prescriptions by her personal code (a read she sees).
    const found = await health([
      "prescriptions",
      "--pharmacist",
      pharmacist.personalCode,
      "--patient",
      patient.personalCode,
    ]);
    assert.ok(JSON.stringify(found).includes(prescription), JSON.stringify(found));
    const dispense = ["dispense", "--pharmacist", pharmacist.personalCode, "--prescription", prescription];
    const byRepresentative = [...dispense, "--packages", "1", "--buyer", representative.personalCode];
    assert.equal((await health(byRepresentative)).remaining, 1);

    // The patient ends the mandate: the representative is refused, the patient collects the rest.
    await mandates
      .getByRole("row", { name: new RegExp(representative.personalCode) })
      .getByRole("button", { name: "End the mandate" })
      .click();
    await page.getByText("The mandate is ended").waitFor({ timeout: 20_000 });
    const refused = await runRiik(["health", ...byRepresentative, "--data", dataDir]);
    assert.notEqual(refused.code, 0, "an ended mandate collects nothing");
    assert.match(refused.stderr, /^riik: REPRESENTATIVE_MANDATE_ENDED: /);
    const byPatient = [...dispense, "--packages", "1", "--buyer", patient.personalCode];
    assert.equal((await health(byPatient)).remaining, 0);
    const third = await runRiik(["health", ...byPatient, "--data", dataDir]);
    assert.notEqual(third.code, 0, "a used prescription is not dispensed again");
    assert.match(third.stderr, /^riik: PRESCRIPTION_USED: /);

    await page.reload();
    await page.getByRole("heading", { level: 1, name: "My health" }).waitFor({ timeout: 20_000 });
    const dispensed = page.getByRole("table", { name: "Dispensed: Metformin 500 mg" });
    await dispensed.getByText("Demoapteek OÜ").first().waitFor({ timeout: 20_000 });
    assert.equal(await dispensed.getByText("Demoapteek OÜ").count(), 2);
    await dispensed.getByRole("cell", { name: representative.personalCode }).waitFor();
    await dispensed.getByRole("cell", { name: "you", exact: true }).waitFor();
    const reads = page.getByRole("table", { name: "Professionals' reads of your data, newest first" });
    await reads.getByText(`${pharmacist.name} (${pharmacist.personalCode})`).first().waitFor({ timeout: 20_000 });

    // Issue #15: her property as the registers of rights hold it: riik up's demo apartment in the
    // land register, her car and her B licence in the vehicle register, each read over X-Road.
    await page.getByRole("link", { name: "My property" }).click();
    await page.getByRole("heading", { level: 1, name: "My property" }).waitFor({ timeout: 20_000 });
    const land = page.getByRole("table", { name: "Register parts you own" });
    await land.getByRole("row", { name: /10101.*apartment ownership/ }).waitFor({ timeout: 20_000 });
    const cars = page.getByRole("table", { name: "Vehicles you own or are the responsible user of" });
    await cars.getByRole("row", { name: /101DEM.*Škoda Octavia \(M1\).*owner/ }).waitFor();
    await page
      .getByRole("table", { name: "Driving licence categories" })
      .getByRole("rowheader", { name: "B", exact: true })
      .waitFor();
    await context.close();
  });
});
