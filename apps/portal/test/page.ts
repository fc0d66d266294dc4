// What the browser tests check on every page: accessibility basics and phone layout.
import assert from "node:assert/strict";
import { after } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";

/**
 * Every form control has a label, every button and link a name, one h1, lang set, ids
 * unique, tables captioned. Plain JavaScript text: tsx would wrap functions passed to
 * page.evaluate with helpers the page does not have.
 */
const ACCESSIBILITY_CHECK = `(() => {
  const problems = [];
  const byIds = (ids) => ids.split(" ").map((id) => document.getElementById(id)?.textContent ?? "").join("").trim();
  const nameOf = (el) => (el.getAttribute("aria-label") ?? "").trim() || byIds(el.getAttribute("aria-labelledby") ?? "") || (el.textContent ?? "").trim();
  for (const input of document.querySelectorAll("input, select, textarea")) {
    if (!(input.labels?.length || input.getAttribute("aria-label") || input.getAttribute("aria-labelledby")))
      problems.push("unlabelled " + input.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("button, a[href], summary"))
    if (!nameOf(el)) problems.push("nameless " + el.outerHTML.slice(0, 80));
  for (const img of document.querySelectorAll("img")) if (!img.hasAttribute("alt")) problems.push("img without alt");
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(h1 + " h1 elements");
  if (!/^(et|en)$/.test(document.documentElement.lang)) problems.push("html lang not set");
  if (!document.querySelector("main")) problems.push("no main landmark");
  if (!document.querySelector("nav[aria-label]")) problems.push("no labelled nav");
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  const duplicate = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (duplicate.length > 0) problems.push("duplicate ids " + duplicate.join(","));
  for (const table of document.querySelectorAll("table")) if (!table.querySelector("caption")) problems.push("table without caption");
  return problems;
})()`;

export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(ACCESSIBILITY_CHECK) as Promise<string[]>;
}

export async function noHorizontalScroll(page: Page): Promise<void> {
  const [scroll, client] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  assert.ok(scroll <= client + 1, `page is ${scroll}px wide in a ${client}px viewport`);
}

/**
 * A new page at `base + path`, desktop (1280×800) or phone (390×844), waited until its h1
 * shows. Any script error or console error fails the test when it ends, except console
 * lines matching `expectedErrors` (HTTP statuses the test provokes on purpose).
 */
export async function openPage(
  browser: Browser,
  base: string,
  options: { phone?: boolean; path?: string; expectedErrors: RegExp },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(
    options.phone
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 800 } },
  );
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !options.expectedErrors.test(message.text())) errors.push(message.text());
  });
  after(() => assert.deepEqual(errors, [], "no script errors on the page"));
  await page.goto(`${base}${options.path ?? "/"}`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  return { context, page };
}

/**
 * Logs in as a person does: the portal's login button, the auth service's login page (card
 * file and PIN), and back to the portal. Waits for "My data" unless `expect` is "refused"
 * (then for the portal's alert) or "auth-page" (then for the auth page's own message).
 */
export async function logInWithCard(
  page: Page,
  cardPath: string,
  pin: string,
  expect: "data" | "refused" | "auth-page" = "data",
): Promise<void> {
  if (!(await page.locator("#card-file").count())) {
    if (!(await page.locator("#login-start").count()))
      await page.getByRole("link", { name: /^(Sisene|Log in)$/ }).click();
    await page.locator("#login-start").click();
  }
  await page.locator("#card-file").setInputFiles(cardPath);
  await page.locator("#pin1").fill(pin);
  await page.locator("#idcard-submit").click();
  if (expect === "data")
    await page
      .locator("main h1")
      .filter({ hasText: /Minu andmed|My data/ })
      .waitFor();
  else if (expect === "refused") await page.getByRole("alert").waitFor();
  else await page.locator("#outcome.error").waitFor();
}
