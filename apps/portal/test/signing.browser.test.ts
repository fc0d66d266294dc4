// "Sign documents" and "Check a container" in a real browser (Debian's Chromium through
// playwright-core) against real trust services (CA, OCSP, TSA): two files signed with a card
// file and PIN2 made into a B-LT container that riik's validator and xmlsec1 accept, a wrong
// PIN2, a second signer on an uploaded container, the report of a valid and of a tampered
// container, and the data embassy's replication in the operator view. Phone and desktop.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { skipUnlessAvailable, temporaryDirectory } from "@riik/core/testing";
import { caCertificatePath, readCertificate } from "@riik/pki";
import { readContainer, validateContainer, writeContainer } from "@riik/signature";
import { type Browser, chromium, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, PIN1, PIN2, startWorld, type TestWorld } from "./helpers.ts";
import { accessibilityProblems, logInWithCard, noHorizontalScroll, openPage } from "./page.ts";

const available = existsSync(CHROMIUM);
const skip = skipUnlessAvailable(available, `no browser at ${CHROMIUM} (apt-get install chromium)`);

let world: TestWorld;
let url: string;
let browser: Browser;
let work: string;
if (available) {
  // Signing uses the real trust services (TSA, OCSP); the stand-in only answers the register reads.
  world = await startWorld();
  ({ url } = await world.startPortal());
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  after(() => browser.close());
  work = temporaryDirectory("riik-portal-signing-");
}
const shots = process.env.RIIK_PORTAL_SCREENSHOTS ?? (available ? temporaryDirectory("riik-portal-shots-") : "");
if (process.env.RIIK_PORTAL_SCREENSHOTS) mkdirSync(shots, { recursive: true });

const FILES = [
  { name: "leping.txt", text: "Müüja ja ostja lepivad kokku.\n" },
  { name: "lisa.xml", text: "<lisa>1</lisa>\n" },
];

/** A page of the portal under test; 401 to 404 answers are provoked on purpose. */
const open = (options: { phone?: boolean; path?: string } = {}) =>
  openPage(browser, url, { ...options, expectedErrors: /status of 40[1-4]/ });

/** Logs in at the auth service with the card file and PIN1 (the one helper of page.ts). */
const login = (page: Page, cardPath: string) => logInWithCard(page, cardPath, PIN1);

function dataFiles(): string[] {
  return FILES.map((f) => {
    const path = join(work, f.name);
    writeFileSync(path, f.text);
    return path;
  });
}

/** `xmlsec1 --verify` on one signature file of the container, with the data files beside it. */
function xmlsecVerify(bytes: Uint8Array, index: number): void {
  const dir = temporaryDirectory("riik-portal-xmlsec-");
  const container = readContainer(bytes);
  for (const file of container.dataFiles) writeFileSync(join(dir, file.name), file.data);
  const pki = join(world.dir, "pki");
  writeFileSync(join(dir, "root.pem"), readFileSync(caCertificatePath(pki, "root")));
  writeFileSync(join(dir, "esteid.pem"), readFileSync(caCertificatePath(pki, "esteid")));
  const signature = container.signatures[index];
  assert.ok(signature, `the container has signature ${index}`);
  writeFileSync(join(dir, "signature.xml"), signature.xml);
  const result = spawnSync(
    "xmlsec1",
    [
      "--verify",
      "--id-attr:Id",
      "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
      "--trusted-pem",
      "root.pem",
      "--untrusted-pem",
      "esteid.pem",
      "signature.xml",
    ],
    { cwd: dir, encoding: "utf8" },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`SignedInfo References \\(ok/all\\): ${container.dataFiles.length + 1}/`));
}

const validate = (bytes: Uint8Array) =>
  validateContainer(bytes, { trustAnchors: [readCertificate(caCertificatePath(join(world.dir, "pki"), "root"))] });

let signedPath = "";

describe("signing and checking containers in Chromium", { skip }, () => {
  it("signs two files with the card file and PIN2; the download passes riik's validator and xmlsec1", async () => {
    const { context, page } = await open();
    await login(page, world.card.path);
    await page.getByRole("link", { name: "Allkirjasta" }).click();
    await page.getByRole("heading", { level: 1, name: "Dokumentide allkirjastamine" }).waitFor();
    await page.locator("#sign-files").setInputFiles(dataFiles());
    await page.locator("main").getByText("leping.txt").waitFor();
    await page.locator("#sign-card").setInputFiles(world.card.path);
    await page.locator("#pin2").fill(PIN2);
    assert.deepEqual(await accessibilityProblems(page), []);
    await page.screenshot({ path: join(shots, "desktop-sign.png"), fullPage: true });
    await page.getByRole("button", { name: "Allkirjasta" }).click();
    await page.getByRole("heading", { level: 2, name: "Allkirjastatud konteiner" }).waitFor({ timeout: 20_000 });
    assert.equal(await page.evaluate(() => document.activeElement?.id), "sign-result-h", "focus on the result");
    const report = page.locator("section.report");
    await report.getByText("Konteiner on kehtiv: kõik allkirjad on kehtivad.").waitFor();
    await report.getByText(world.card.personalCode, { exact: true }).waitFor();
    await report.getByText("XAdES B-LT").waitFor();
    assert.deepEqual(await accessibilityProblems(page), []);
    await page.screenshot({ path: join(shots, "desktop-signed.png"), fullPage: true });

    const downloading = page.waitForEvent("download");
    await page.getByRole("link", { name: "Laadi alla leping.asice" }).click();
    const download = await downloading;
    assert.equal(download.suggestedFilename(), "leping.asice");
    signedPath = join(work, "leping.asice");
    await download.saveAs(signedPath);
    const bytes = new Uint8Array(readFileSync(signedPath));
    const result = await validate(bytes);
    assert.equal(result.verdict, "valid");
    assert.equal(result.signatures[0]?.signer?.personalCode, world.card.personalCode);
    assert.equal(result.signatures[0]?.level, "B-LT");
    assert.deepEqual(
      result.container.files.map((f) => [f.name, f.size]),
      FILES.map((f) => [f.name, Buffer.byteLength(f.text)]),
    );
    xmlsecVerify(bytes, 0);
    await context.close();
  });

  it("says Wrong PIN2 without asking the server, and refuses another person's card", async () => {
    const { context, page } = await open();
    await login(page, world.card.path);
    await page.goto(`${url}/#/sign`);
    await page.getByRole("heading", { level: 1, name: "Dokumentide allkirjastamine" }).waitFor();
    await page.locator("#sign-files").setInputFiles(dataFiles());
    await page.locator("#sign-card").setInputFiles(world.card.path);
    await page.locator("#pin2").fill("54321");
    const prepares: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/api/sign/")) prepares.push(request.url());
    });
    await page.getByRole("button", { name: "Allkirjasta" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.equal((await alert.textContent())?.trim(), "Vale PIN2. Proovi uuesti.");
    assert.deepEqual(prepares, [], "a wrong PIN2 never reaches the server");
    const pin = page.locator("#pin2");
    assert.equal(await pin.getAttribute("aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "pin2", "focus back on PIN2");
    assert.equal(await pin.inputValue(), "", "the wrong PIN2 is cleared");
    await page.screenshot({ path: join(shots, "desktop-sign-wrong-pin2.png"), fullPage: true });

    await pin.fill("12");
    await page.getByRole("button", { name: "Allkirjasta" }).click();
    await page.getByRole("alert").getByText("PIN2 peab olema 5–12 numbrit.").waitFor();

    const other = await world.newCard("Peeter", "Teine");
    await page.locator("#sign-card").setInputFiles(other.path);
    await page.locator("#pin2").fill(PIN2);
    await page.getByRole("button", { name: "Allkirjasta" }).click();
    await page.getByRole("alert").getByText("See kaart kuulub teisele isikule. Allkirjasta oma kaardiga.").waitFor();
    await context.close();
  });

  it("lets a second signer add a signature to an uploaded container, on a phone", async () => {
    assert.ok(signedPath, "the first test made a container");
    const jaan = await world.newCard("Jaan", "Tamm");
    const { context, page } = await open({ phone: true });
    await login(page, jaan.path);
    await page.getByRole("link", { name: "Allkirjasta" }).click();
    await page.getByRole("heading", { level: 1, name: "Dokumentide allkirjastamine" }).waitFor();
    await page.getByLabel("Olemasolev konteiner (lisan oma allkirja)").check();
    await page.locator("#sign-container").setInputFiles(signedPath);
    await page.locator("#sign-card").setInputFiles(jaan.path);
    await page.locator("#pin2").fill(PIN2);
    await noHorizontalScroll(page);
    await page.screenshot({ path: join(shots, "phone-sign.png"), fullPage: true });
    await page.getByRole("button", { name: "Allkirjasta" }).click();
    await page.getByRole("heading", { level: 2, name: "Allkirjastatud konteiner" }).waitFor({ timeout: 20_000 });
    const report = page.locator("section.report");
    await report.getByRole("heading", { name: /Allkiri 2/ }).waitFor();
    await report.getByText(jaan.personalCode, { exact: true }).waitFor();
    await report.getByText(world.card.personalCode, { exact: true }).waitFor();
    await noHorizontalScroll(page);
    assert.deepEqual(await accessibilityProblems(page), []);
    await page.screenshot({ path: join(shots, "phone-signed.png"), fullPage: true });
    const downloading = page.waitForEvent("download");
    await page.getByRole("link", { name: "Laadi alla leping.asice" }).click();
    const path = join(work, "cosigned.asice");
    await (await downloading).saveAs(path);
    const bytes = new Uint8Array(readFileSync(path));
    const result = await validate(bytes);
    assert.equal(result.verdict, "valid");
    assert.deepEqual(
      result.signatures.map((s) => s.signer?.personalCode),
      [world.card.personalCode, jaan.personalCode],
    );
    xmlsecVerify(bytes, 0);
    xmlsecVerify(bytes, 1);
    await context.close();
  });

  it("checks a container: valid with the signer, and a tampered one invalid with the reason", async () => {
    assert.ok(signedPath, "the first test made a container");
    const container = readContainer(new Uint8Array(readFileSync(signedPath)));
    const tamperedPath = join(work, "muudetud.asice");
    writeFileSync(
      tamperedPath,
      writeContainer({
        ...container,
        dataFiles: container.dataFiles.map((f, i) =>
          i === 0 ? { ...f, data: new TextEncoder().encode("Muudetud.\n") } : f,
        ),
      }),
    );
    const { context, page } = await open({ path: "/?lang=en" });
    await login(page, world.card.path);
    await page.getByRole("link", { name: "Check a container" }).click();
    await page.getByRole("heading", { level: 1, name: "Check a container" }).waitFor();
    await page.locator("#check-file").setInputFiles(signedPath);
    await page.getByRole("button", { name: "Check", exact: true }).click();
    const report = page.locator("section.report");
    await report.getByText("The container is valid: every signature is valid.").waitFor();
    await report.getByText("Mari-Liis Männik".toUpperCase()).waitFor();
    await report.getByText("Signing time (time-stamp)").waitFor();
    assert.equal(await report.getAttribute("data-verdict"), "valid");
    assert.deepEqual(await accessibilityProblems(page), []);
    await page.screenshot({ path: join(shots, "desktop-check-valid.png"), fullPage: true });

    await page.locator("#check-file").setInputFiles(tamperedPath);
    await page.getByRole("button", { name: "Check", exact: true }).click();
    await report.getByText("The container is not valid.").waitFor();
    assert.equal(await report.getAttribute("data-verdict"), "invalid");
    await report.locator('li[data-code="DATA_FILE_CHANGED"]').getByText("A file was changed after signing.").waitFor();
    await report.getByText("leping.txt was changed after signing", { exact: false }).waitFor();
    await page.screenshot({ path: join(shots, "desktop-check-invalid.png"), fullPage: true });

    // The same report in Estonian, and on a phone.
    const phone = await open({ phone: true, path: "/?lang=et" });
    await login(phone.page, world.card.path);
    await phone.page.getByRole("link", { name: "Kontrolli konteinerit" }).click();
    await phone.page.locator("#check-file").setInputFiles(tamperedPath);
    await phone.page.getByRole("button", { name: "Kontrolli", exact: true }).click();
    const phoneReport = phone.page.locator("section.report");
    await phoneReport.getByText("Konteiner ei ole kehtiv.").waitFor();
    await phoneReport.getByText("Faili on pärast allkirjastamist muudetud.").waitFor();
    await noHorizontalScroll(phone.page);
    assert.deepEqual(await accessibilityProblems(phone.page), []);
    await phone.page.screenshot({ path: join(shots, "phone-check-invalid.png"), fullPage: true });
    await phone.context.close();
    await context.close();
  });

  it("shows the data embassy's replication in the operator view", async () => {
    const { context, page } = await open({ path: "/?lang=en#/operator" });
    const table = page.getByRole("table", { name: "Data embassy replication" });
    const row = table.locator("tbody tr", { hasText: "population-register" });
    await row.waitFor();
    await row.getByText("lux").waitFor();
    await row.getByText("17 / 15").waitFor();
    await row.getByText("change 1200 / 1240").waitFor();
    await row.getByText("3.3 s").waitFor();
    await row.getByText("behind").waitFor();
    await row.getByText("segment 9, change 900").waitFor();
    await row.getByText("dk-20260301-0123456789ab").waitFor();
    await table
      .locator("tbody tr", { hasText: "land-register" })
      .getByText("EMBASSY_UNREACHABLE", { exact: false })
      .waitFor();
    assert.deepEqual(await accessibilityProblems(page), []);
    await page.screenshot({ path: join(shots, "desktop-operator-replication.png"), fullPage: true });
    await table.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, "desktop-operator-replication-screen.png") });
    const phone = await open({ phone: true, path: "/#/operator" });
    await phone.page
      .getByRole("table", { name: "Andmesaatkonna replikatsioon" })
      .getByText("population-register")
      .waitFor();
    await noHorizontalScroll(phone.page);
    await phone.page.screenshot({ path: join(shots, "phone-operator-replication.png"), fullPage: true });
    await phone.page.locator("tbody tr", { hasText: "population-register" }).scrollIntoViewIfNeeded();
    await phone.page.screenshot({ path: join(shots, "phone-operator-replication-screen.png") });
    await phone.context.close();
    await context.close();
  });
});
