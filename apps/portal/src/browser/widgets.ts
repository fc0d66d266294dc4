// The pieces several views are drawn from: headings, messages, forms, tables and lists.

import type { MessageKey } from "../web/i18n.ts";
import type { ApiError } from "./api.ts";
import { errorText, type Route, render, state, t } from "./app.ts";
import { h } from "./dom.ts";
import { sizeText } from "./format.ts";
import { sessionEnded } from "./session.ts";

export function heading(key: MessageKey): HTMLElement {
  // data-keep: a re-render after data arrives gives focus back to the new heading.
  return h("h1", { tabindex: "-1", "data-keep": "heading" }, t(key));
}

/** The view's message (an error or a notice), if it has one. */
export function flashBox(): HTMLElement | null {
  if (!state.flash) return null;
  return h(
    "div",
    { class: `flash ${state.flash.kind}`, role: state.flash.kind === "error" ? "alert" : "status", id: "flash" },
    state.flash.text,
  );
}

/** A form's submit row: the primary button, disabled and announcing progress while busy. */
export function submitActions(keep: string, label: MessageKey, working: MessageKey): HTMLElement {
  return h(
    "div",
    { class: "actions" },
    h(
      "button",
      {
        type: "submit",
        class: "primary",
        "aria-busy": state.busy ? "true" : undefined,
        disabled: state.busy,
        "data-keep": keep,
      },
      state.busy ? t(working) : t(label),
    ),
  );
}

export function loading(): HTMLElement {
  return h("p", { class: "muted", role: "status" }, t("app.loading"));
}

export function problem(error: ApiError): HTMLElement {
  return h("p", { class: "flash error", role: "alert" }, errorText(error));
}

export function definitionList(rows: Array<[string, Node | string]>): HTMLElement {
  const dl = h("dl", { class: "facts" });
  for (const [term, value] of rows) dl.append(h("div", {}, h("dt", {}, term), h("dd", {}, value)));
  return dl;
}

export function table(caption: string, headers: string[], rows: Array<Array<Node | string>>): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ...headers.map((text) => h("th", { scope: "col" }, text)))),
      h(
        "tbody",
        {},
        ...rows.map((cells) =>
          h(
            "tr",
            {},
            ...cells.map((cell, i) =>
              i === 0
                ? h("th", { scope: "row", "data-label": headers[i] ?? "" }, cell)
                : h("td", { "data-label": headers[i] ?? "" }, cell),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A labelled form field with its hint (and, say, the list of chosen files). */
export function field(
  id: string,
  label: MessageKey,
  control: HTMLElement,
  hint: string,
  extra?: Node | null,
): HTMLElement {
  const hintId = `${id}-hint`;
  control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, t(label)),
    control,
    h("p", { class: "hint", id: hintId }, hint),
    extra ?? null,
  );
}

/**
 * A file input. Views keep theirs across renders, so switching the language keeps the chosen
 * files; choosing files re-renders, so the list of chosen files and the messages stay current.
 */
export function fileInput(id: string, attributes: Record<string, string | boolean>): HTMLInputElement {
  const input = h("input", { type: "file", id, ...attributes });
  input.addEventListener("change", () => {
    if (state.flash?.route === state.route) state.flash = undefined;
    render();
    document.getElementById(id)?.focus();
  });
  return input;
}

export function chosenFiles(input: HTMLInputElement | undefined): HTMLElement | null {
  const files = [...(input?.files ?? [])];
  if (files.length === 0) return null;
  return h(
    "ul",
    { class: "plain chosen" },
    ...files.map((f) =>
      h("li", {}, h("span", { class: "file-name" }, f.name), " ", h("span", { class: "meta" }, sizeText(f.size))),
    ),
  );
}

/**
 * One action of a view on ROUTE: busy while it runs, its outcome told in the flash and focused;
 * WORK answers the flash's text. A session that ended has taken the person to the login.
 */
export async function flashAction(route: Route, work: () => Promise<string>): Promise<void> {
  if (state.busy) return;
  state.busy = true;
  state.flash = undefined;
  render();
  try {
    state.flash = { kind: "info", text: await work(), route };
  } catch (error) {
    if (sessionEnded(error)) return;
    state.flash = { kind: "error", text: errorText(error), route };
  }
  state.busy = false;
  render();
  document.getElementById("flash")?.focus();
}
