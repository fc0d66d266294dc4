// "Check a container": an ASiC-E container uploaded to the portal's validator and its report.

import type { ValidationReport } from "@riik/signature";
import { api } from "../api.ts";
import { errorText, maxUpload, render, state, t, UiError, type View } from "../app.ts";
import { h } from "../dom.ts";
import { sizeText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { chosenFiles, field, fileInput, flashBox, heading, submitActions } from "../widgets.ts";
import { reportView } from "./report.ts";

let check: { report?: ValidationReport; name?: string } = {};
let checkInput: HTMLInputElement | undefined;

function view(): HTMLElement {
  checkInput ??= fileInput("check-file", {
    name: "container",
    accept: ".asice,.sce,.bdoc,application/vnd.etsi.asic-e+zip",
  });
  const form = h(
    "form",
    { class: "card signing", novalidate: true, "aria-labelledby": "check-form-title" },
    h("h2", { id: "check-form-title", class: "visually-hidden" }, t("check.title")),
    field(
      "check-file",
      "check.file",
      checkInput,
      t("check.fileHint", { size: sizeText(maxUpload()) }),
      chosenFiles(checkInput),
    ),
    flashBox(),
    submitActions("check-submit", "check.submit", "check.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void checkContainer();
  });
  return h(
    "section",
    { class: "view" },
    heading("check.title"),
    h("p", { class: "lead" }, t("check.intro")),
    form,
    check.report ? reportView(check.report, check.name ?? "") : null,
  );
}

async function checkContainer(): Promise<void> {
  if (state.busy) return;
  state.flash = undefined;
  const file = checkInput?.files?.[0];
  try {
    if (!file) throw new UiError("sign.noContainer");
    if (file.size > maxUpload()) throw new UiError("sign.tooLarge", { size: sizeText(maxUpload()) });
    state.busy = true;
    delete check.report;
    render();
    check.report = await api<ValidationReport>("/api/containers/validate", {
      method: "POST",
      file: { blob: file, contentType: "application/vnd.etsi.asic-e+zip" },
    });
    check.name = file.name;
    state.busy = false;
    render();
    (document.getElementById("report-h") as HTMLElement | null)?.focus();
  } catch (error) {
    state.busy = false;
    if (sessionEnded(error)) return;
    state.flash = { kind: "error", text: errorText(error), route: "check" };
    render();
    document.getElementById("check-file")?.focus();
  }
}

export const checkView: View = {
  title: "check.title",
  personal: true,
  render: view,
  reset() {
    check = {};
  },
};
