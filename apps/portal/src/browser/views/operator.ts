// The operator's view of the sandbox state: services, global configuration, members,
// security servers, the ledger with its witnesses, and the data embassies' replication.

import type { OperatorOverview } from "../../web/api-types.ts";
import { type ApiError, api } from "../api.ts";
import { recall, remember, render, state, t, type View } from "../app.ts";
import { h, uid } from "../dom.ts";
import { dateText, locale } from "../format.ts";
import { definitionList, heading, loading, problem, table } from "../widgets.ts";

const TOKEN_KEY = "riik-portal-operator-token";

let operator: { overview?: OperatorOverview; error?: ApiError } = {};

async function load(): Promise<void> {
  try {
    const token = recall(TOKEN_KEY, sessionStorage) ?? undefined;
    operator.overview = await api<OperatorOverview>("/api/operator/overview", token ? { token } : {});
    delete operator.error;
  } catch (error) {
    operator.error = error as ApiError;
  }
  if (state.route === "operator") render();
}

function view(): HTMLElement {
  const { overview, error } = operator;
  const parts: Array<Node | null> = [];
  const needsToken = error?.code === "PORTAL_OPERATOR_FORBIDDEN" || state.session?.operatorTokenRequired;
  if (needsToken) parts.push(tokenForm());
  if (error) parts.push(problem(error));
  else if (!overview) parts.push(loading());
  else parts.push(...operatorSections(overview));
  const refresh = h(
    "button",
    {
      type: "button",
      class: "secondary",
      "data-keep": "operator-refresh",
      onclick: (async () => {
        operator = {};
        render();
        await load();
      }) as EventListener,
    },
    t("operator.refresh"),
  );
  return h(
    "section",
    { class: "view" },
    h("div", { class: "title-row" }, heading("operator.title"), refresh),
    h("p", { class: "lead" }, t("operator.intro")),
    ...parts,
  );
}

function tokenForm(): HTMLElement {
  const id = "operator-token";
  const hint = uid("hint");
  const input = h("input", {
    type: "password",
    id,
    name: "token",
    autocomplete: "off",
    "aria-describedby": hint,
    "data-keep": "operator-token",
  });
  const form = h(
    "form",
    { class: "card inline" },
    h(
      "div",
      { class: "field" },
      h("label", { for: id }, t("operator.token")),
      input,
      h("p", { class: "hint", id: hint }, t("operator.tokenHint")),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("operator.open"))),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    remember(TOKEN_KEY, input.value || undefined, sessionStorage);
    operator = {};
    render();
    void load();
  });
  return form;
}

function stateBadge(s: "up" | "down" | "unknown"): HTMLElement {
  return h(
    "span",
    { class: `badge ${s === "up" ? "ok" : s === "down" ? "bad" : "pending"}` },
    t(`operator.state.${s}`),
  );
}

function operatorSections(o: OperatorOverview): Node[] {
  const out: Node[] = [];
  out.push(
    table(
      t("operator.services"),
      [t("operator.service"), t("operator.url"), t("operator.state")],
      o.services.map((s) => [s.name, h("code", {}, s.url), stateBadge(s.state)]),
    ),
  );
  if (o.globalConf)
    out.push(
      h(
        "p",
        { class: "meta" },
        o.globalConf.error
          ? `${o.globalConf.source}: ${o.globalConf.error}`
          : t("operator.globalConf", {
              version: o.globalConf.version ?? "?",
              expires: dateText(o.globalConf.expiresAt, true),
            }),
      ),
    );
  out.push(
    table(
      t("operator.members"),
      [t("operator.member"), t("operator.name"), t("operator.subsystems")],
      o.members.map((m) => [h("code", {}, m.id), m.name, m.subsystems.join(", ") || "—"]),
    ),
  );
  out.push(
    table(
      t("operator.securityServers"),
      [t("operator.server"), t("operator.state"), t("operator.messages"), t("operator.clients")],
      o.securityServers.map((s) => [
        h("span", {}, h("code", {}, s.id), s.address ? h("span", { class: "meta block" }, s.address) : null),
        stateBadge(s.state),
        s.messages
          ? `${s.messages.total} (${Object.entries(s.messages.bySide)
              .map(([side, n]) => `${side} ${n}`)
              .join(", ")})`
          : "—",
        s.clients.join(", ") || "—",
      ]),
    ),
  );
  const ledger = h(
    "section",
    { class: "card", "aria-labelledby": "ledger-h" },
    h("h2", { id: "ledger-h" }, t("operator.ledger")),
  );
  if (!o.ledger) ledger.append(h("p", {}, "—"));
  else if (o.ledger.error || !o.ledger.checkpoint)
    ledger.append(h("p", { class: "flash error" }, `${o.ledger.url}: ${o.ledger.error ?? ""}`));
  else {
    const c = o.ledger.checkpoint;
    ledger.append(
      h("h3", {}, t("operator.checkpoint")),
      definitionList([
        [t("operator.origin"), c.origin],
        [t("operator.size"), String(c.size)],
        [t("operator.root"), h("code", { class: "hash" }, c.rootHash)],
        [t("operator.signers"), c.signers.join(", ")],
      ]),
      h("pre", { class: "note", tabindex: "0", "aria-label": t("operator.checkpoint") }, c.text),
    );
  }
  ledger.append(
    h("h3", {}, t("operator.witnesses")),
    o.witnesses.length === 0
      ? h("p", {}, t("operator.none"))
      : h(
          "ul",
          { class: "plain" },
          ...o.witnesses.map((w) =>
            h(
              "li",
              {},
              h("code", {}, w.name),
              " — ",
              h(
                "span",
                { class: `badge ${w.cosigned ? "ok" : w.cosignature === "invalid" ? "bad" : "pending"}` },
                t(
                  w.cosignature === "verified"
                    ? "operator.cosigned"
                    : w.cosignature === "invalid"
                      ? "operator.cosignatureInvalid"
                      : w.cosignature === "unverified"
                        ? "operator.cosignatureUnverified"
                        : "operator.notCosigned",
                ),
              ),
              w.state ? " " : null,
              w.state ? stateBadge(w.state) : null,
            ),
          ),
        ),
  );
  out.push(ledger);
  out.push(replicationSection(o.replication));
  return out;
}

function replicationSection(replication: OperatorOverview["replication"]): HTMLElement {
  const section = h("section", { class: "replication" });
  // Without a table, a heading of its own names the section; with one, the caption does.
  if (!replication || replication.error) {
    section.append(
      h("h2", {}, t("operator.replication")),
      replication
        ? h("p", { class: "flash error" }, `${replication.url}: ${replication.error}`)
        : h("p", {}, t("operator.replicationNone")),
    );
    return section;
  }
  const seconds = (n: number) => new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(n);
  section.append(
    table(
      t("operator.replication"),
      [
        t("operator.registry"),
        t("operator.embassy"),
        t("operator.segments"),
        t("operator.lagSeconds"),
        t("operator.lagSegments"),
        t("operator.lastSnapshot"),
        t("operator.keyId"),
      ],
      replication.deliveries.map((d) => {
        const inSync = d.lagSegments === 0 && d.lagChanges === 0;
        const snapshot = d.lastSnapshot;
        return [
          d.registry,
          h("span", {}, d.embassy, d.lastError ? h("span", { class: "meta block error-text" }, d.lastError) : null),
          h(
            "span",
            { class: "replication-segments" },
            t("operator.segmentsLine", { cut: d.chainIndex, acked: d.ackedIndex }),
            h("span", { class: "meta block" }, t("operator.seqLine", { acked: d.ackedSeq, journal: d.journalSeq })),
            d.ackedAt
              ? h("span", { class: "meta block" }, t("operator.ackedAt", { time: dateText(d.ackedAt, true) }))
              : null,
          ),
          h(
            "span",
            { class: "replication-lag" },
            t("operator.seconds", { n: seconds(d.lagSeconds) }),
            " ",
            h(
              "span",
              { class: `badge ${inSync ? "ok" : "pending"}` },
              t(inSync ? "operator.inSync" : "operator.behind"),
            ),
          ),
          String(d.lagSegments),
          snapshot
            ? h(
                "span",
                {},
                snapshot.at ? dateText(snapshot.at, true) : "—",
                h(
                  "span",
                  { class: "meta block" },
                  t("operator.snapshotLine", { index: snapshot.index, seq: snapshot.seq }),
                  snapshot.complete ? "" : ` (${t("operator.snapshotIncomplete")})`,
                ),
              )
            : "—",
          d.keyId ? h("code", { class: "key-id" }, d.keyId) : "—",
        ];
      }),
    ),
  );
  return section;
}

export const operatorView: View = {
  title: "operator.title",
  personal: false,
  render: view,
  async enter() {
    if (!operator.overview && !operator.error) await load();
  },
  reset() {
    operator = {};
  },
};
