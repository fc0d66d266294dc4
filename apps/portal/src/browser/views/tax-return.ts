// The pre-filled income tax return (issue #13): from 15 February the person finds the year's
// return filled in by the Tax and Customs Board from what employers, banks and pension funds
// declared, every line with its source and the reason for its amount; they correct a line the
// Board takes their own figure for, or confirm it in one action, and see the refund scheduled
// or the amount due. The Board judges the IBAN and whether it was confirmed already.

import type { TaxLine, TaxLineSource, TaxReturnView } from "../../web/api-types.ts";
import type { MessageKey } from "../../web/i18n.ts";
import { type ApiError, api } from "../api.ts";
import { errorText, render, state, t, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText, moneyText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { definitionList, field, flashBox, heading, loading, problem, submitActions, table } from "../widgets.ts";
import { cents } from "./found.ts";

let shown: { year?: number; answer?: TaxReturnView; error?: ApiError } = {};
/** What the person typed, kept across renders (language switch, errors). */
let draft = { line: "", amount: "", iban: "", correctionError: "", confirmError: "" };

/** The year of the address (#/tax-return/2024), else the one the Board opened last. */
function yearShown(): number | undefined {
  const asked = Number(state.param);
  return Number.isInteger(asked) && asked >= 2000 && asked <= 2100 ? asked : state.session?.taxReturn?.year;
}

async function load(): Promise<void> {
  const year = yearShown();
  if (year === undefined) return;
  try {
    shown = { year, answer: await api<TaxReturnView>(`/api/tax-return/${year}`) };
  } catch (error) {
    if (sessionEnded(error)) return;
    shown = { year, error: error as ApiError };
  }
  if (state.route === "tax-return") render();
}

const LINE_KEYS: Record<string, MessageKey> = {
  income: "tax.line.income",
  withheld: "tax.line.withheld",
  contributions: "tax.line.contributions",
  "basic-exemption": "tax.line.basic-exemption",
  "child-exemption": "tax.line.child-exemption",
  interest: "tax.line.interest",
  "housing-loan-interest": "tax.line.housing-loan-interest",
  training: "tax.line.training",
  "limited-deductions": "tax.line.limited-deductions",
  pension: "tax.line.pension",
  "voluntary-pension": "tax.line.voluntary-pension",
};

/** A line's name in the language shown: `income:10421629` is the wages from that employer. */
function lineName(key: string): string {
  const [kind = "", payer] = key.split(":");
  const name = LINE_KEYS[kind] ? t(LINE_KEYS[kind]) : key;
  return payer ? `${name} (${payer})` : name;
}

function sourceText(source: TaxLineSource): string {
  const ids = (source.declarations ?? []).join(", ");
  switch (source.kind) {
    case "payroll":
      return t("tax.source.payroll", { payer: source.payer ?? "", ids });
    case "housing-loan-interest":
      return t("tax.source.bank", { payer: source.payer ?? "", ids });
    case "voluntary-pension":
      return t("tax.source.fund", { payer: source.payer ?? "", ids });
    case "population-register":
      return t("tax.source.register", { children: (source.children ?? []).join(", ") || "—" });
    case "person":
      return typeof source.declared === "number"
        ? t("tax.source.corrected", { amount: moneyText(source.declared) })
        : t("tax.source.person");
    case "rules":
      return t("tax.source.rules", { year: source.year ?? "" });
    default:
      return source.kind;
  }
}

async function send(kind: "correction" | "confirmation", year: number): Promise<void> {
  if (state.busy) return;
  const errorId = kind === "correction" ? "correction-error" : "tax-confirm-error";
  draft.correctionError = "";
  draft.confirmError = "";
  const amount = cents(draft.amount);
  if (kind === "correction" && (!draft.line || amount === undefined)) draft.correctionError = t("tax.amountMissing");
  if (kind === "confirmation" && draft.iban.replace(/\s/g, "").length < 15) draft.confirmError = t("IBAN_INVALID");
  if (draft.correctionError || draft.confirmError) {
    render();
    document.getElementById(errorId)?.focus();
    return;
  }
  state.busy = true;
  state.flash = undefined;
  render();
  try {
    const answer =
      kind === "correction"
        ? await api<TaxReturnView>(`/api/tax-return/${year}/lines/${encodeURIComponent(draft.line)}`, {
            method: "PUT",
            body: { amountCents: amount },
          })
        : await api<TaxReturnView>(`/api/tax-return/${year}/confirmation`, {
            method: "POST",
            body: { iban: draft.iban.trim() },
          });
    shown = { year, answer };
    draft = { ...draft, line: "", amount: "" };
    state.flash = {
      kind: "info",
      text: t(kind === "correction" ? "tax.corrected" : "tax.confirmed"),
      route: "tax-return",
    };
    state.busy = false;
    render();
    document.getElementById("flash")?.focus();
    return;
  } catch (error) {
    if (sessionEnded(error)) return;
    if (kind === "correction") draft.correctionError = errorText(error);
    else draft.confirmError = errorText(error);
  }
  state.busy = false;
  render();
  document.getElementById(errorId)?.focus();
}

function alertOf(id: string, text: string): HTMLElement | null {
  return text ? h("p", { class: "flash error", role: "alert", id, tabindex: "-1" }, text) : null;
}

function textInput(id: string, value: string, onInput: (value: string) => void, attributes = {}) {
  const input = h("input", { type: "text", id, autocomplete: "off", value, "data-keep": id, ...attributes });
  input.addEventListener("input", () => onInput(input.value));
  return input;
}

/** The lines the Board takes the person's figure for; training can be added when it is not there yet. */
function correctionForm(r: TaxReturnView): HTMLElement {
  const choices = r.lines.filter((l) => l.correctable).map((l) => l.key);
  if (!choices.includes("training")) choices.push("training");
  if (!choices.includes(draft.line)) draft.line = choices[0] ?? "";
  const select = h(
    "select",
    { id: "correct-line", "data-keep": "correct-line" },
    ...choices.map((key) => h("option", { value: key, selected: key === draft.line }, lineName(key))),
  );
  select.addEventListener("change", () => {
    draft.line = select.value;
  });
  const form = h(
    "form",
    { class: "confirm", novalidate: true, "aria-labelledby": "correct-h" },
    h("h3", { id: "correct-h" }, t("tax.correctTitle")),
    field("correct-line", "tax.correctLine", select, t("tax.correctLineHint")),
    field(
      "correct-amount",
      "tax.correctAmount",
      textInput("correct-amount", draft.amount, (value) => (draft.amount = value), { inputmode: "decimal" }),
      t("tax.correctAmountHint"),
    ),
    alertOf("correction-error", draft.correctionError),
    submitActions("correct-submit", "tax.correct", "tax.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send("correction", r.year);
  });
  return form;
}

function confirmForm(r: TaxReturnView): HTMLElement {
  const form = h(
    "form",
    { class: "confirm", novalidate: true, "aria-labelledby": "tax-confirm-h" },
    h("h3", { id: "tax-confirm-h" }, t("tax.confirmTitle")),
    field(
      "tax-iban",
      "tax.iban",
      textInput("tax-iban", draft.iban, (value) => (draft.iban = value), { spellcheck: "false" }),
      t("tax.ibanHint"),
    ),
    alertOf("tax-confirm-error", draft.confirmError),
    submitActions("tax-confirm", "tax.confirm", "tax.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void send("confirmation", r.year);
  });
  return form;
}

function outcome(r: TaxReturnView): string {
  if (r.status === "confirmed" && r.refund)
    return t("tax.refundScheduled", { amount: moneyText(r.refund.amountCents), iban: r.refund.iban });
  if (r.balanceCents > 0) return t("tax.refund", { amount: moneyText(r.balanceCents) });
  if (r.balanceCents < 0) return t("tax.due", { amount: moneyText(-r.balanceCents) });
  return t("tax.even");
}

function returnCard(r: TaxReturnView): HTMLElement {
  const row = (line: TaxLine) => [lineName(line.key), moneyText(line.amountCents), sourceText(line.source), line.why];
  return h(
    "section",
    { class: "card", "aria-labelledby": "return-h" },
    h("h2", { id: "return-h", tabindex: "-1" }, t("tax.returnFor", { year: r.year })),
    h(
      "p",
      {},
      h(
        "strong",
        { id: "tax-status" },
        r.status === "confirmed"
          ? t("tax.status.confirmed", { date: dateText(r.confirmedAt ?? undefined) })
          : t("tax.status.open"),
      ),
    ),
    table(t("tax.linesCaption"), [t("tax.line"), t("tax.amount"), t("tax.source"), t("tax.why")], r.lines.map(row)),
    definitionList([
      [t("tax.income"), moneyText(r.incomeCents)],
      [t("tax.deductions"), moneyText(r.deductionsCents)],
      [t("tax.taxable"), moneyText(r.taxableCents)],
      [t("tax.tax"), moneyText(r.taxCents)],
      [t("tax.withheldTotal"), moneyText(r.withheldCents)],
    ]),
    h("p", { class: "lead", id: "tax-outcome" }, outcome(r)),
    h("p", { class: "hint" }, t("tax.rules", { source: r.rules.source })),
    r.status === "open" ? correctionForm(r) : null,
    r.status === "open" ? confirmForm(r) : null,
  );
}

function otherYears(): HTMLElement | null {
  const latest = state.session?.taxReturn?.year;
  if (latest === undefined) return null;
  const links = [latest, latest - 1, latest - 2].flatMap((year) => [
    " ",
    h("a", { href: `#/tax-return/${year}`, "aria-current": year === shown.year ? "page" : undefined }, String(year)),
  ]);
  return h("p", { class: "years" }, t("tax.years"), ...links);
}

function taxReturnBody(): HTMLElement {
  const body = !state.session?.taxReturn
    ? h("p", { class: "flash error", role: "alert" }, t("PORTAL_SERVICE_UNCONFIGURED"))
    : shown.error
      ? problem(shown.error)
      : shown.answer && shown.answer.year === yearShown()
        ? returnCard(shown.answer)
        : loading();
  return h(
    "section",
    { class: "view" },
    heading("tax.title"),
    flashBox(),
    h("p", { class: "lead" }, t("tax.intro")),
    otherYears(),
    body,
  );
}

export const taxReturnView: View = {
  title: "tax.title",
  personal: true,
  render: taxReturnBody,
  async enter() {
    // Read again each time: a declaration may have come, or the return been confirmed elsewhere.
    if (shown.year !== yearShown()) shown = {};
    await load();
  },
  reset() {
    shown = {};
    draft = { line: "", amount: "", iban: "", correctionError: "", confirmError: "" };
  },
};
