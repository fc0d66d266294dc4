// Issue #14 in a real browser (Debian's Chromium through playwright-core), against the real
// e-Business Register behind real security servers, real trust services and the real auth
// service (test/agencies.ts): applying for e-Residency without a login (the real e-Residency
// agency's contract D service), paying, and following the
// application by number and access key; founding an OÜ with a co-founder (live name check,
// both sign application.json with their card file and PIN2, the fee receipt, registration, the
// registry card), and the board member acting for the company through the auth service.
// Issue #13: a parent finds the Social Insurance Board's offer in the state inbox, opens it,
// sees why each amount, confirms (a recipient who is not a parent and a bad IBAN refused as
// the Board says), and sees the payments; the real inbox and Board behind the same servers.
// The pre-filled income tax return: every line with its source, a correction, the confirmation
// once (a second tab's confirmation refused as the Tax and Customs Board says), the refund.
// Issue #16: "My health" — documents, visits, a prescription with its dispensing, insurance,
// who looked (a doctor's read, a refused one, an emergency one), closing and reopening a
// document, a declaration of intent; the real health system and fund behind the same servers.
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { skipUnlessAvailable, temporaryDirectory } from "@riik/core/testing";
import { type Browser, chromium, type Page } from "playwright-core";
import { type Agencies, startAgencies, TAX_YEAR } from "./agencies.ts";
import { CHROMIUM, CHROMIUM_ARGS, PIN1, PIN2 } from "./helpers.ts";
import { accessibilityProblems, logInWithCard, noHorizontalScroll, openPage } from "./page.ts";

const available = existsSync(CHROMIUM);
const skip = skipUnlessAvailable(available, `no browser at ${CHROMIUM} (apt-get install chromium)`);

let agencies: Agencies;
let browser: Browser;
let work: string;
if (available) {
  agencies = await startAgencies({ applicationsPerHour: 20 });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  after(() => browser.close());
  work = temporaryDirectory("riik-portal-agencies-");
}

/** A page of the portal; the population register is not behind this sandbox, so "My data" answers 502. */
const open = (options: { phone?: boolean; path?: string } = {}) =>
  openPage(browser, agencies.url, { ...options, expectedErrors: /status of (4|5)\d\d/ });

async function accessible(page: Page): Promise<void> {
  assert.deepEqual(await accessibilityProblems(page), []);
}

/** A tiny JPEG (its signature and a JFIF header are what the agency checks). */
function photoFile(): string {
  const path = join(work, "photo.jpg");
  writeFileSync(
    path,
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9]),
  );
  return path;
}

describe("issue #14 in the browser", { skip, timeout: 180_000 }, () => {
  it("applies for e-Residency without a login, pays the fee, and follows the application; the key never in the address", async () => {
    const { context, page } = await open({ phone: true, path: "/?lang=en#/e-residency" });
    await page.getByRole("heading", { level: 1, name: "Apply for e-Residency" }).waitFor();
    await page.locator("#er-pickupLocation").waitFor();
    await page.fill("#er-givenName", "Ada");
    await page.fill("#er-surname", "Lovelace");
    await page.fill("#er-dateOfBirth", "1985-12-10");
    await page.selectOption("#er-sex", "female");
    await page.fill("#er-citizenship", "gb");
    await page.fill("#er-documentNumber", "p1234567");
    await page.fill("#er-documentExpires", "2031-01-01");
    await page.fill("#er-email", "ada@example.org");
    await page.locator("#er-photo").setInputFiles(photoFile());
    await page.fill("#er-reason", "to found a company");
    await page.selectOption("#er-pickupLocation", "tallinn");
    await accessible(page);
    await noHorizontalScroll(page);
    await page.getByRole("button", { name: "Submit the application" }).click();
    const number = (await page.locator("#er-number").textContent({ timeout: 20_000 })) ?? "";
    assert.match(number, /^ER-2026-\d{6}$/);
    const key = (await page.locator("#er-access-key").textContent()) ?? "";
    assert.ok(key.length >= 32);
    await page.getByRole("button", { name: /^Pay / }).click();
    await page.locator("#er-receipt-id").waitFor({ timeout: 20_000 });
    await page.getByRole("link", { name: "Follow the application" }).click();
    // The number and key come from this tab's sessionStorage, never from the address.
    assert.equal(await page.locator("#er-follow-number").inputValue(), number);
    await page.getByRole("button", { name: "Show", exact: true }).click();
    await page.locator("#er-status").getByText("background check under way").waitFor({ timeout: 20_000 });
    assert.ok(!page.url().includes(key));
    await accessible(page);
    await context.close();
    for (const seen of agencies.agencyRequests) assert.ok(!seen.path.includes(key));
  });

  it("founds an OÜ with a co-founder: name check, both sign with card and PIN2, the fee and registration; the board member acts for the company", async () => {
    const { world } = agencies;
    const founder = world.card;
    const cofounder = await world.newCard("Jaan", "Tamm");
    const name = `Brauseri Proov ${Date.now() % 100000} OÜ`;

    const first = await open({ path: "/?lang=en" });
    let page = first.page;
    await logInWithCard(page, founder.path, PIN1);
    await page.getByRole("link", { name: "Found a company" }).click();
    await page.getByRole("heading", { level: 1, name: "Found a company" }).waitFor();
    await page.getByText("No application is under way.").waitFor({ timeout: 20_000 });
    await page.fill("#company-name", name);
    await page.locator("#name-check").getByText("The name is free").waitFor({ timeout: 20_000 });
    await page.fill("#seat-address", "Lossi plats 1a, Tallinn");
    await page.fill("#company-email", "info@brauser.example");
    assert.equal(await page.locator("#founders-0-personalCode").inputValue(), founder.personalCode);
    await page.getByRole("button", { name: "Add a founder" }).click();
    await page.fill("#founders-1-personalCode", cofounder.personalCode);
    await page.fill("#founders-1-givenName", "Jaan");
    await page.fill("#founders-1-surname", "Tamm");
    await page.fill("#founders-1-share", "2,50");
    await accessible(page);
    await page.getByRole("button", { name: "File the application" }).click();
    await page.getByRole("heading", { level: 1, name: "Founding application" }).waitFor({ timeout: 20_000 });
    await page.getByRole("heading", { level: 2, name }).waitFor({ timeout: 20_000 });
    await page.locator("#founder-card").setInputFiles(founder.path);
    await page.fill("#founder-pin2", PIN2);
    await page.getByRole("button", { name: "Sign", exact: true }).click();
    await page.getByText("Signed. Waiting for 1 more founder(s) to sign.").waitFor({ timeout: 30_000 });
    await accessible(page);

    // The co-founder finds it under "Applications awaiting my signature", signs on a phone, pays and registers.
    const second = await open({ phone: true, path: "/?lang=en" });
    const phone = second.page;
    await logInWithCard(phone, cofounder.path, PIN1);
    await phone.goto(`${agencies.url}/?lang=en#/found`);
    await phone.getByRole("link", { name }).click({ timeout: 20_000 });
    await phone.locator("#founder-card").setInputFiles(cofounder.path);
    await phone.fill("#founder-pin2", PIN2);
    await phone.getByRole("button", { name: "Sign", exact: true }).click();
    await phone.getByText("Every founder has signed. The company can be registered.").waitFor({ timeout: 30_000 });
    await noHorizontalScroll(phone);
    await phone.locator("#register-company").click();
    const done = phone.getByText(new RegExp(`^${name} is registered with the registry code (\\d{8})\\.$`));
    await done.waitFor({ timeout: 20_000 });
    const code = /(\d{8})\.$/.exec((await done.textContent()) ?? "")?.[1] ?? "";
    assert.match(code, /^1\d{7}$/);
    await phone.getByRole("link", { name: "Open the company's page" }).click();
    await phone.getByRole("heading", { name: "Registry card", exact: true }).waitFor();
    // On the board, among the shareholders (with the share) and the beneficial owners: three lines.
    await phone.locator("main li", { hasText: founder.personalCode }).first().waitFor({ timeout: 20_000 });
    assert.equal(await phone.locator("main li", { hasText: founder.personalCode }).count(), 3);
    await accessible(phone);
    await noHorizontalScroll(phone);
    await second.context.close();

    // The board member logs in again: the auth service now lists the company; acting for it
    // shows the company's page, and their own pages are gone from the menu until they act for themselves.
    await first.context.close();
    const third = await open({ path: "/?lang=en" });
    page = third.page;
    await logInWithCard(page, founder.path, PIN1);
    await page
      .getByRole("link", { name: `Act for ${name}` })
      .first()
      .click();
    await page
      .getByText(`You are acting for the company ${name} (${code})`, { exact: false })
      .waitFor({ timeout: 20_000 });
    await page.getByRole("heading", { name: "Registry card", exact: true }).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByRole("link", { name: "My data" }).count(), 0);
    await accessible(page);
    await page.goto(`${agencies.url}/?lang=en#/data`);
    await page.getByRole("heading", { name: "Registry card", exact: true }).waitFor({ timeout: 20_000 });
    await page.getByRole("link", { name: "Act for yourself" }).click();
    await page.getByRole("heading", { level: 1, name: "My data" }).waitFor({ timeout: 20_000 });
    await third.context.close();
  });

  it("a parent reads the Board's offer in the inbox, sees why each amount, confirms the receiving parent and IBAN, and sees the payments", async () => {
    const { world } = agencies;
    const mother = await world.newCard("Kati", "Karu");
    const father = await world.newCard("Toomas", "Karu");
    const stranger = await world.newCard("Keegi", "Võõras");
    const { offer } = await agencies.offerOnBirth(mother.personalCode, father.personalCode);
    const { context, page } = await open({ phone: true, path: "/?lang=en" });
    await logInWithCard(page, mother.path, PIN1);
    const inbox = page.locator("#nav-inbox");
    await inbox.filter({ hasText: "Inbox (1 unread)" }).waitFor({ timeout: 20_000 });
    await inbox.click();
    await page.getByRole("heading", { level: 1, name: "State inbox" }).waitFor();
    await page.getByRole("link", { name: "Peretoetused lapse sünni puhul / Family benefits for your child" }).click();
    await page.locator("#message-text").waitFor({ timeout: 20_000 });
    assert.ok((await page.locator("#message-text").textContent())?.includes(offer.id));
    // Opened is read: the count is gone from the navigation.
    await inbox.filter({ hasText: /^Inbox$/ }).waitFor({ timeout: 20_000 });
    await accessible(page);
    await noHorizontalScroll(page);

    await page.locator("#open-offer").click();
    await page.getByRole("heading", { level: 1, name: "Family benefits" }).waitFor();
    const why = page.getByRole("table", { name: "The benefits and why each amount" });
    await why.getByText("childbirth allowance: €320.00").waitFor({ timeout: 20_000 });
    await why
      .getByText(/Family Benefits Act/)
      .first()
      .waitFor();
    await accessible(page);
    await noHorizontalScroll(page);

    // Someone who is not the child's parent as the recipient: the Board's NOT_A_PARENT, told.
    const confirm = page.getByRole("button", { name: "Confirm", exact: true });
    const refusal = page.locator(`#confirm-error-${offer.id}`);
    await page.check(`#recipient-other-${offer.id}`);
    await page.fill(`#other-code-${offer.id}`, stranger.personalCode);
    await page.fill(`#iban-${offer.id}`, "EE38 2200 2210 2014 5685");
    await confirm.click();
    await refusal
      .getByText("The benefits can be paid only to the child's mother or father.")
      .waitFor({ timeout: 20_000 });
    // A wrong check digit in the IBAN: the Board's IBAN_INVALID, told.
    await page.check(`#recipient-self-${offer.id}`);
    await page.fill(`#iban-${offer.id}`, "EE38 2200 2210 2014 5600");
    await confirm.click();
    await refusal
      .getByText("The bank account number (IBAN) is not valid: check the number.")
      .waitFor({ timeout: 20_000 });
    await accessible(page);

    await page.fill(`#iban-${offer.id}`, "EE38 2200 2210 2014 5685");
    await confirm.click();
    await page.getByText("The offer is confirmed; the payments are scheduled.").waitFor({ timeout: 20_000 });
    const payments = page.getByRole("table", { name: "Payments scheduled by month, newest first" });
    await payments.getByText("EE382200221020145685").first().waitFor({ timeout: 20_000 });
    await page.getByText(/^Confirmed on /).waitFor();
    await accessible(page);
    await noHorizontalScroll(page);

    // In Estonian too.
    await page.goto(`${agencies.url}/?lang=et#/benefits`);
    await page.getByRole("heading", { level: 1, name: "Peretoetused" }).waitFor();
    await page
      .getByRole("table", { name: "Kavandatud maksed kuude kaupa, uuemad eespool" })
      .waitFor({ timeout: 20_000 });
    await accessible(page);
    await context.close();
  });

  it("a person finds the return pre-filled with every line's source, corrects a line, confirms once (a second tab is refused) and sees the refund scheduled", async () => {
    const { world } = agencies;
    const card = await world.newCard("Liis", "Lepp");
    const { employer, fund } = await agencies.declareTaxYear(card.personalCode);
    const { context, page } = await open({ path: "/?lang=en" });
    await logInWithCard(page, card.path, PIN1);
    await page.getByRole("link", { name: "Income tax return" }).click();
    await page.getByRole("heading", { level: 1, name: "Income tax return" }).waitFor();
    await page.goto(`${agencies.url}/?lang=en#/tax-return/${TAX_YEAR}`);
    const lines = page.getByRole("table", { name: "The lines of the return, each with its source and reason" });
    await lines
      .getByText(`employer ${employer}'s declarations (TSD): tsd-${TAX_YEAR}-01`)
      .first()
      .waitFor({ timeout: 20_000 });
    await lines.getByText(`pension fund ${fund}'s declaration: iii-${TAX_YEAR}`).waitFor();
    await lines.getByText("Income Tax Act, the rules for 2025").first().waitFor();
    await page.locator("#tax-outcome").getByText("To be refunded: €553.60.").waitFor();
    await accessible(page);

    // €500 of training added: the return is computed again.
    await page.selectOption("#correct-line", "training");
    await page.fill("#correct-amount", "500");
    await page.getByRole("button", { name: "Save the correction" }).click();
    await page.locator("#tax-outcome").getByText("To be refunded: €663.60.").waitFor({ timeout: 20_000 });
    await lines.getByText("entered by you").waitFor();

    // A second tab shows the same open return; the first confirms, then the second's confirmation is refused.
    const second = await context.newPage();
    await second.goto(`${agencies.url}/?lang=en#/tax-return/${TAX_YEAR}`);
    await second.locator("#tax-iban").waitFor({ timeout: 20_000 });
    await page.fill("#tax-iban", "EE38 2200 2210 2014 5685");
    await page.getByRole("button", { name: "Confirm the return" }).click();
    await page.getByText("The return is confirmed.").waitFor({ timeout: 20_000 });
    await page.locator("#tax-outcome").getByText("A refund of €663.60 is scheduled to EE382200221020145685.").waitFor();
    await page
      .locator("#tax-status")
      .getByText(/^Confirmed on /)
      .waitFor();
    assert.equal(await page.locator("#tax-iban").count(), 0, "a confirmed return has no confirm form");
    await accessible(page);
    await second.fill("#tax-iban", "EE38 2200 2210 2014 5685");
    await second.getByRole("button", { name: "Confirm the return" }).click();
    await second
      .locator("#tax-confirm-error")
      .getByText("This return is already confirmed.")
      .waitFor({ timeout: 20_000 });

    // In Estonian too.
    await page.goto(`${agencies.url}/?lang=et#/tax-return/${TAX_YEAR}`);
    await page.getByRole("heading", { level: 1, name: "Tuludeklaratsioon" }).waitFor();
    await page
      .locator("#tax-status")
      .getByText(/^Kinnitatud /)
      .waitFor({ timeout: 20_000 });
    await accessible(page);
    await context.close();
  });
});

describe("issue #16 in the browser", { skip, timeout: 180_000 }, () => {
  it("a patient sees their record, who looked at it (an emergency flagged), closes a summary and reopens it, and declares an intent", async () => {
    const { world } = agencies;
    const card = await world.newCard("Kadri", "Kuusk");
    const seeded = await agencies.seedHealth(card.personalCode);
    const [flu] = seeded.summaries;
    const { context, page } = await open({ path: "/?lang=en" });
    await logInWithCard(page, card.path, PIN1);
    await page.getByRole("link", { name: "My health" }).click();
    await page.getByRole("heading", { level: 1, name: "My health" }).waitFor();
    const documents = page.getByRole("table", { name: "Visit summaries and other documents, newest first" });
    await documents.getByText("Ambulatoorne epikriis: gripp").waitFor({ timeout: 20_000 });
    await documents.getByText("Ambulatoorne epikriis: kontroll").waitFor();
    await page.getByRole("table", { name: "Visits, newest first" }).getByText("Perearsti vastuvõtt").waitFor();
    const prescriptions = page.getByRole("table", { name: "Prescriptions, newest first" });
    await prescriptions.getByText("Metformin 500 mg").waitFor();
    await prescriptions.getByText("2 of 3 dispensings, 2 packages").waitFor();
    await page.getByRole("table", { name: "Dispensed: Metformin 500 mg" }).getByText("Raekoja Apteek").waitFor();
    await page
      .locator("#health-insured")
      .getByText(/^You are insured .*until further notice\.$/)
      .waitFor();
    await page.getByText("No one has looked at your health data.").waitFor();
    await accessible(page);
    await noHorizontalScroll(page);

    // Closing the flu summary: the page shows it closed; the doctor is refused, then reads it as an emergency.
    const fluRow = documents.getByRole("row", { name: /gripp/ });
    await fluRow.getByRole("button", { name: "Close" }).click();
    await page.getByText("Closed. Doctors no longer see it, except in an emergency.").waitFor({ timeout: 20_000 });
    await fluRow.getByText("closed", { exact: true }).waitFor();
    assert.equal((await agencies.readAsDoctor(`/Composition/${flu}`)).status, 403);
    assert.equal((await agencies.readAsDoctor(`/Composition/${flu}`, true)).status, 200);
    await page.reload();
    const reads = page.getByRole("table", { name: "Professionals' reads of your data, newest first" });
    await reads.getByText("emergency", { exact: true }).waitFor({ timeout: 20_000 });
    await reads.getByText("refused: closed").waitFor();
    await reads.getByText(`${agencies.doctor.name} (${agencies.doctor.personalCode})`).first().waitFor();
    await reads.getByText(agencies.doctor.clinic).first().waitFor();
    await accessible(page);

    await documents.getByRole("row", { name: /gripp/ }).getByRole("button", { name: "Reopen" }).click();
    await page.getByText("Reopened.").waitFor({ timeout: 20_000 });
    await documents.getByRole("row", { name: /gripp/ }).getByText("open", { exact: true }).waitFor();
    assert.equal((await agencies.readAsDoctor(`/Composition/${flu}`)).status, 200);

    // A declaration of intent: organ donation, consented.
    await page.getByRole("group", { name: "Organ donation after death" }).getByLabel("I consent").check();
    await page.locator('button[data-keep="declare-organ-donation"]').click();
    await page.getByText("Your declaration is saved.").waitFor({ timeout: 20_000 });
    await page
      .locator("#declared-organ-donation")
      .getByText(/^In force: I consent/)
      .waitFor();

    // In Estonian too.
    await page.goto(`${agencies.url}/?lang=et#/health`);
    await page.getByRole("heading", { level: 1, name: "Minu tervis" }).waitFor();
    await page
      .locator("#declared-organ-donation")
      .getByText(/^Kehtib: Olen nõus/)
      .waitFor({ timeout: 20_000 });
    await accessible(page);
    await context.close();
  });
});
