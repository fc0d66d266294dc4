// What every view shares: the language, the session, the view shown with its message, whether
// a request is under way; the View contract the router's table holds; and the two things a
// view does to the page (draw it again, go to another view), wired in by main.ts so that the
// views need not import the router that lists them.

import { CdocError } from "@riik/cdoc/browser";
import { CardError } from "@riik/pki/browser";
import type { SessionInfo } from "../web/api-types.ts";
import { isLanguage, isMessageKey, type Language, type MessageKey, translate } from "../web/i18n.ts";
import { ApiError } from "./api.ts";

export type Route =
  | "login"
  | "data"
  | "usage"
  | "sign"
  | "check"
  | "operator"
  | "companies"
  | "company"
  | "found"
  | "application"
  | "e-residency"
  | "e-residency-status"
  | "inbox"
  | "benefits"
  | "tax-return"
  | "health"
  | "property"
  | "encrypt"
  | "decrypt";

/** One view of the portal: what the router shows for a route. */
export interface View {
  /** The message key of its h1 and of the document title. */
  readonly title: MessageKey;
  /** Whether it needs a logged-in person. */
  readonly personal: boolean;
  render(): HTMLElement;
  /** Runs each time the view is shown: fetches what it shows unless it has it (or its error). */
  enter?(): Promise<void>;
  /** Forgets what it holds of a person (login, logout, an ended session). */
  reset?(): void;
}

export interface Flash {
  kind: "error" | "info";
  text: string;
  /** The view the message belongs to; it is dropped when the person goes elsewhere. */
  route: Route;
}

const LANGUAGE_KEY = "riik-portal-language";

export const state: {
  language: Language;
  session: SessionInfo | undefined;
  route: Route;
  /** What follows the route in the address: a registry code (#/company/CODE), an application id. */
  param: string | undefined;
  flash: Flash | undefined;
  busy: boolean;
  /** The person's unread messages in the state inbox, once read (shown in the navigation). */
  unread: number | undefined;
} = {
  language: initialLanguage(),
  session: undefined,
  route: "login",
  param: undefined,
  flash: undefined,
  busy: false,
  unread: undefined,
};

/** A message of the page itself (not from the server or the card), with its values. */
export class UiError extends Error {
  readonly key: MessageKey;
  readonly values: Record<string, string | number>;
  constructor(key: MessageKey, values: Record<string, string | number> = {}) {
    super(key);
    this.key = key;
    this.values = values;
  }
}

export function t(key: MessageKey, values?: Record<string, string | number>): string {
  return translate(state.language, key, values);
}

function initialLanguage(): Language {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (isLanguage(fromUrl)) {
    remember(LANGUAGE_KEY, fromUrl, localStorage);
    return fromUrl;
  }
  const stored = recall(LANGUAGE_KEY, localStorage);
  return isLanguage(stored) ? stored : "et";
}

export function switchLanguage(language: Language): void {
  state.language = language;
  remember(LANGUAGE_KEY, language, localStorage);
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.delete("lang");
    history.replaceState(null, "", url);
  }
  // Messages already shown were written in the old language; drop them rather than mix.
  state.flash = undefined;
  render();
}

export function remember(key: string, value: string | undefined, storage: Storage): void {
  try {
    if (value === undefined) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    // Storage may be disabled; the choice then lasts for this page only.
  }
}

export function recall(key: string, storage: Storage): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

export function errorText(error: unknown): string {
  if (error instanceof UiError) return t(error.key, error.values);
  if (error instanceof CardError) return t(error.code);
  if (error instanceof CdocError) return isMessageKey(error.code) ? t(error.code) : t("error.generic");
  if (error instanceof ApiError) {
    // An agency's own refusal (the business register's NAME_TAKEN, …), told in its words.
    const provider = error.details.providerCode;
    if ((error.code === "PORTAL_REFUSED" || error.code === "PORTAL_NOT_FOUND") && isMessageKey(provider))
      return t(provider);
    if (error.code === "PORTAL_REFUSED") return `${t("PORTAL_REFUSED")} (${String(provider ?? error.status)})`;
    if (isMessageKey(error.code)) return t(error.code, { type: String(error.details.type ?? error.status) });
    return `${t("error.generic")} (${error.code})`;
  }
  return t("error.generic");
}

/** The largest upload the portal takes for signing or checking. */
export function maxUpload(): number {
  return state.session?.signing?.maxUploadBytes ?? 10 * 1024 * 1024;
}

/** What main.ts wires in: the frame's drawing, the router's showing and every view's reset. */
export interface Page {
  render(focusHeading: boolean): void;
  show(route: Route, focus: boolean): Promise<void>;
  reset(): void;
}

let page: Page | undefined;

export function connect(wired: Page): void {
  page = wired;
}

/** Draws the page again from the state; `focusHeading` after a change of view. */
export function render(focusHeading = false): void {
  page?.render(focusHeading);
}

/** Goes to `route` (with `param`: #/company/CODE); shows it again when it is already the address. */
export function navigate(route: Route, param?: string): void {
  const hash = param ? `#/${route}/${encodeURIComponent(param)}` : `#/${route}`;
  if (location.hash === hash) void page?.show(route, true);
  else location.hash = hash;
}

/** Whether the person acts for a company now (its pages only, not their own). */
export function actingForCompany(): string | undefined {
  const acting = state.session?.actingFor;
  return acting?.type === "LEGAL_PERSON" ? acting.personalCode : undefined;
}

/** Makes every view forget what it holds of a person. */
export function resetViews(): void {
  page?.reset();
}
