// "Sign documents": files (or a container) signed with the card file's PIN2 key in the page;
// the portal prepares the XAdES SignedInfo and finishes the container (prepare → sign →
// finish), then shows the download and the container's validation report.

import {
  base64,
  CardError,
  checkPin2,
  readCardFile,
  signingCertificate,
  signPrepared,
  unlockSigningKey,
} from "@riik/pki/browser";
import type { FinishResponse, PrepareResponse } from "../../web/api-types.ts";
import type { MessageKey } from "../../web/i18n.ts";
import { api } from "../api.ts";
import { errorText, maxUpload, render, state, t, UiError, type View } from "../app.ts";
import { h } from "../dom.ts";
import { sizeText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { chosenFiles, field, fileInput, flashBox, heading, submitActions } from "../widgets.ts";
import { reportView } from "./report.ts";

/** What is signed, and the last result. */
let sign: { mode: "files" | "container"; result?: FinishResponse } = { mode: "files" };
// Kept across renders, so switching the language keeps the chosen files.
let signCardInput: HTMLInputElement | undefined;
let signFilesInput: HTMLInputElement | undefined;
let signContainerInput: HTMLInputElement | undefined;

function view(): HTMLElement {
  const parts: Array<Node | null> = [];
  if (sign.result) parts.push(signResult(sign.result));
  else parts.push(signForm());
  return h("section", { class: "view" }, heading("sign.title"), h("p", { class: "lead" }, t("sign.intro")), ...parts);
}

function signForm(): HTMLElement {
  signFilesInput ??= fileInput("sign-files", { name: "files", multiple: true });
  signContainerInput ??= fileInput("sign-container", {
    name: "container",
    accept: ".asice,.sce,.bdoc,application/vnd.etsi.asic-e+zip",
  });
  signCardInput ??= h("input", { type: "file", id: "sign-card", name: "card", accept: ".json,application/json" });
  const mode = sign.mode;
  const radio = (value: "files" | "container", key: MessageKey) => {
    const id = `sign-mode-${value}`;
    const input = h("input", {
      type: "radio",
      id,
      name: "mode",
      value,
      checked: mode === value,
      "data-keep": id,
    });
    input.addEventListener("change", () => {
      sign.mode = value;
      state.flash = undefined;
      render();
    });
    return h("div", { class: "choice" }, input, h("label", { for: id }, t(key)));
  };
  const errorId = state.flash?.kind === "error" ? "flash" : undefined;
  const pin = h("input", {
    type: "password",
    id: "pin2",
    name: "pin2",
    inputmode: "numeric",
    autocomplete: "off",
    pattern: "[0-9]{5,12}",
    minlength: 5,
    maxlength: 12,
    required: true,
    "aria-invalid": errorId ? "true" : undefined,
    "data-keep": "pin2",
  });
  const size = sizeText(maxUpload());
  const what =
    mode === "files"
      ? field("sign-files", "sign.files", signFilesInput, t("sign.filesHint", { size }), chosenFiles(signFilesInput))
      : field(
          "sign-container",
          "sign.container",
          signContainerInput,
          t("sign.containerHint", { size }),
          chosenFiles(signContainerInput),
        );
  const pinField = field("pin2", "sign.pin2", pin, t("sign.pin2Hint"));
  if (errorId) pin.setAttribute("aria-describedby", `pin2-hint ${errorId}`);
  const form = h(
    "form",
    { class: "card signing", novalidate: true, "aria-labelledby": "sign-form-title" },
    h("h2", { id: "sign-form-title", class: "visually-hidden" }, t("sign.title")),
    h(
      "fieldset",
      { class: "choices" },
      h("legend", {}, t("sign.mode")),
      radio("files", "sign.mode.files"),
      radio("container", "sign.mode.container"),
    ),
    what,
    field("sign-card", "login.cardFile", signCardInput, t("sign.cardHint")),
    pinField,
    flashBox(),
    submitActions("sign-submit", "sign.submit", "sign.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void signDocuments(pin);
  });
  return form;
}

async function signDocuments(pin: HTMLInputElement): Promise<void> {
  if (state.busy) return;
  const pin2 = pin.value;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    const body: Record<string, unknown> = {};
    if (sign.mode === "files") {
      const files = [...(signFilesInput?.files ?? [])];
      if (files.length === 0) throw new UiError("sign.noFiles");
      if (files.reduce((n, f) => n + f.size, 0) > maxUpload())
        throw new UiError("sign.tooLarge", { size: sizeText(maxUpload()) });
      body.files = await Promise.all(
        files.map(async (f) => ({
          name: f.name,
          ...(f.type ? { mediaType: f.type } : {}),
          data: base64(await f.arrayBuffer()),
        })),
      );
    } else {
      const file = signContainerInput?.files?.[0];
      if (!file) throw new UiError("sign.noContainer");
      if (file.size > maxUpload()) throw new UiError("sign.tooLarge", { size: sizeText(maxUpload()) });
      body.container = { name: file.name, data: base64(await file.arrayBuffer()) };
    }
    const card = await readCardFile(signCardInput?.files?.[0]);
    body.certificate = signingCertificate(card);
    checkPin2(pin2);
    // PIN2 opens the key here first: a wrong PIN2 is told at once and nothing reaches the server.
    const key = await unlockSigningKey(card, pin2);
    const prepared = await api<PrepareResponse>("/api/sign/prepare", { method: "POST", body });
    const data = Uint8Array.from(atob(prepared.dataToSign), (c) => c.charCodeAt(0));
    const digest = base64(await crypto.subtle.digest(prepared.digestAlgorithm, data));
    if (digest !== prepared.digest) throw new UiError("error.generic");
    const value = await signPrepared(key, data, prepared.digestAlgorithm);
    sign.result = await api<FinishResponse>("/api/sign/finish", {
      method: "POST",
      body: { id: prepared.id, signatureValue: base64(value) },
    });
    state.busy = false;
    for (const input of [signFilesInput, signContainerInput]) if (input) input.value = "";
    render();
    (document.getElementById("sign-result-h") as HTMLElement | null)?.focus();
  } catch (error) {
    state.busy = false;
    if (sessionEnded(error)) return;
    state.flash = { kind: "error", text: errorText(error), route: "sign" };
    render();
    const code = error instanceof CardError ? error.code : error instanceof UiError ? error.key : "";
    const target =
      code === "CARD_NO_FILE" || code === "CARD_FORMAT" || code === "CARD_NO_SIGNING_KEY"
        ? "sign-card"
        : code === "sign.noFiles" || code === "sign.tooLarge"
          ? sign.mode === "files"
            ? "sign-files"
            : "sign-container"
          : code === "sign.noContainer"
            ? "sign-container"
            : "pin2";
    const element = document.getElementById(target) as HTMLInputElement | null;
    if (element?.id === "pin2" && code !== "CARD_WRONG_PIN2" && code !== "CARD_PIN2_FORMAT") element.value = pin2;
    element?.focus();
  }
}

function signResult(result: FinishResponse): HTMLElement {
  const again = h(
    "button",
    {
      type: "button",
      class: "secondary",
      "data-keep": "sign-again",
      onclick: (() => {
        delete sign.result;
        render();
        document.getElementById("sign-files")?.focus();
      }) as EventListener,
    },
    t("sign.again"),
  );
  return h(
    "div",
    {},
    h(
      "section",
      { class: "card done", "aria-labelledby": "sign-result-h" },
      h("h2", { id: "sign-result-h", tabindex: "-1" }, t("sign.result")),
      h(
        "p",
        { class: "flash info", role: "status" },
        t("sign.done", { name: result.download.name, size: sizeText(result.download.size) }),
      ),
      h(
        "div",
        { class: "actions" },
        h(
          "a",
          {
            class: "button primary",
            href: result.download.href,
            download: result.download.name,
            "data-keep": "sign-download",
          },
          t("sign.download", { name: result.download.name }),
        ),
        again,
      ),
    ),
    reportView(result.report, result.download.name),
  );
}

export const signView: View = {
  title: "sign.title",
  personal: true,
  render: view,
  reset() {
    sign = { mode: "files" };
  },
};
