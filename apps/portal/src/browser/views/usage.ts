// "Who used my data": the Data Tracker's usage entries from every provider, each with the
// state of its ledger anchor and the proof to download.

import type { UsageEntry } from "../../datatracker/usage.ts";
import type { UsageReport } from "../../web/api-types.ts";
import type { MessageKey } from "../../web/i18n.ts";
import { type ApiError, api } from "../api.ts";
import { render, state, t, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { flashBox, heading, loading, problem } from "../widgets.ts";

let usage: { report?: UsageReport; error?: ApiError } = {};

async function load(): Promise<void> {
  try {
    usage.report = await api<UsageReport>("/api/me/usage");
    delete usage.error;
  } catch (error) {
    if (sessionEnded(error)) return;
    usage.error = error as ApiError;
  }
  if (state.route === "usage") render();
}

function view(): HTMLElement {
  const { report, error } = usage;
  const refresh = h(
    "button",
    {
      type: "button",
      class: "secondary",
      "data-keep": "usage-refresh",
      onclick: (async () => {
        usage = {};
        render();
        await load();
      }) as EventListener,
    },
    t("usage.refresh"),
  );
  const body: Array<Node | null> = [];
  if (error) body.push(problem(error));
  else if (!report) body.push(loading());
  else {
    body.push(
      h(
        "p",
        { class: "meta", role: "status" },
        `${t("usage.period", { start: dateText(report.periodStart), end: dateText(report.periodEnd) })} · ${t("usage.count", { count: report.usages.length })}`,
      ),
    );
    for (const provider of report.providers)
      if (!provider.ok)
        body.push(
          h(
            "p",
            { class: "flash error", role: "alert" },
            t("usage.providerFailed", {
              provider: provider.provider,
              message: provider.error?.type ?? provider.error?.code ?? "",
            }),
          ),
        );
    body.push(report.usages.length === 0 ? h("p", {}, t("usage.empty")) : usageTable(report.usages));
  }
  return h(
    "section",
    { class: "view" },
    h("div", { class: "title-row" }, heading("usage.title"), refresh),
    flashBox(),
    h("p", { class: "lead" }, t("usage.intro")),
    ...body,
  );
}

function usageTable(usages: UsageEntry[]): HTMLElement {
  const columns: MessageKey[] = ["usage.time", "usage.institution", "usage.user", "usage.purpose", "usage.anchor"];
  const rows = usages.map((u) => {
    const institution = [u.institution.name, u.institution.code].filter(Boolean).join(", ") || u.provider;
    const cell = (key: MessageKey, ...content: Array<Node | string | null>) =>
      h("td", { "data-label": t(key) }, ...content);
    const anchorCell = u.anchor.anchored
      ? h(
          "div",
          { class: "anchor ok" },
          h("span", { class: "badge ok" }, h("span", { "aria-hidden": "true" }, "✓ "), t("usage.anchored")),
          u.anchor.reference ? h("span", { class: "meta block" }, u.anchor.reference) : null,
          anchorDetails(u),
        )
      : u.anchor.claimed
        ? // The provider says anchored, but its proof did not verify against the portal's trust anchor.
          h("div", { class: "anchor" }, h("span", { class: "badge bad" }, t("usage.notVerified")), anchorDetails(u))
        : h("span", { class: "badge pending" }, t("usage.notAnchored"));
    return h(
      "tr",
      { class: "usage" },
      h("th", { scope: "row", "data-label": t("usage.time") }, h("time", { datetime: u.time }, dateText(u.time, true))),
      cell("usage.institution", institution, u.system ? h("span", { class: "meta block" }, u.system) : null),
      cell("usage.user", u.user ?? "—"),
      cell("usage.purpose", u.purpose || "—"),
      cell("usage.anchor", anchorCell),
    );
  });
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "usage-table" },
      h("caption", { class: "visually-hidden" }, t("usage.caption")),
      h("thead", {}, h("tr", {}, ...columns.map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", {}, ...rows),
    ),
  );
}

function anchorDetails(u: UsageEntry): HTMLElement | null {
  const entries = Object.entries(u.anchor.details);
  if (entries.length === 0 && !u.queryId && u.proofId === undefined) return null;
  return h(
    "details",
    {},
    h("summary", {}, t("usage.anchorDetails")),
    h(
      "dl",
      { class: "small" },
      ...(u.queryId ? [h("div", {}, h("dt", {}, "queryId"), h("dd", {}, u.queryId))] : []),
      ...entries.map(([key, value]) => h("div", {}, h("dt", {}, key), h("dd", {}, value))),
    ),
    u.proofId === undefined
      ? null
      : h(
          "p",
          {},
          h(
            "a",
            {
              href: `/api/me/usage/proof?${new URLSearchParams({ provider: u.provider, id: String(u.proofId) })}`,
              download: `usage-proof-${u.proofId}.json`,
            },
            t("usage.proof"),
          ),
        ),
  );
}

export const usageView: View = {
  title: "usage.title",
  personal: true,
  render: view,
  async enter() {
    if (!usage.report && !usage.error) await load();
  },
  reset() {
    usage = {};
  },
};
