// "My property" (issue #15): the register parts the person owns in the land register (their
// share, the owners, encumbrances and mortgages), the vehicles they own or are the responsible
// user of, and their driving licence's categories — read from the registers each time shown.

import type { PropertyResponse } from "../../web/api-types.ts";
import { type ApiError, api } from "../api.ts";
import { render, state, t, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText, moneyText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { heading, loading, problem, table } from "../widgets.ts";

let shown: { answer?: PropertyResponse; error?: ApiError } = {};

async function load(): Promise<void> {
  try {
    shown = { answer: await api<PropertyResponse>("/api/property") };
  } catch (error) {
    if (sessionEnded(error)) return;
    shown = { error: error as ApiError };
  }
  if (state.route === "property") render();
}

const card = (id: string, title: string, ...body: Array<Node | null>) =>
  h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...body);

function registerParts(answer: PropertyResponse): HTMLElement {
  return card(
    "property-land-h",
    t("property.land"),
    answer.registerParts.length === 0
      ? h("p", {}, t("property.noLand"))
      : table(
          t("property.landCaption"),
          [t("property.part"), t("property.what"), t("property.share"), t("property.owners"), t("property.mortgages")],
          answer.registerParts.map((p) => [
            p.number,
            `${p.description} (${t(p.kind === "apartment" ? "property.apartment" : "property.immovable")}, ${p.areaM2} m²)`,
            p.share || "—",
            p.owners.map((o) => `${o.code} ${o.share}`).join(", "),
            p.mortgages.length === 0
              ? t("property.noMortgage")
              : p.mortgages.map((m) => `${m.rank}. ${moneyText(m.amountCents)} (${m.mortgagee})`).join("; "),
          ]),
        ),
  );
}

function vehicles(answer: PropertyResponse): HTMLElement {
  return card(
    "property-vehicles-h",
    t("property.vehicles"),
    answer.vehicles.length === 0
      ? h("p", {}, t("property.noVehicles"))
      : table(
          t("property.vehiclesCaption"),
          [t("property.plate"), t("property.vehicle"), t("property.vin"), t("property.role"), t("property.since")],
          answer.vehicles.map((v) => [
            v.plate,
            `${v.make} ${v.model} (${v.category})`,
            v.vin,
            t(v.role === "owner" ? "property.owner" : v.role === "user" ? "property.user" : "property.ownerAndUser"),
            dateText(v.firstRegistered),
          ]),
        ),
  );
}

function licence(answer: PropertyResponse): HTMLElement {
  const held = answer.licence;
  return card(
    "property-licence-h",
    t("property.licence"),
    !held
      ? h("p", {}, t("property.noLicence"))
      : h(
          "div",
          { class: "stack" },
          h(
            "p",
            {},
            t("property.licenceNumber", { number: held.number }),
            held.suspendedUntil
              ? h("strong", {}, ` ${t("property.suspended", { date: dateText(held.suspendedUntil) })}`)
              : null,
          ),
          table(
            t("property.categoriesCaption"),
            [t("property.category"), t("property.since"), t("property.validUntil")],
            held.categories.map((c) => [c.category, dateText(c.since), dateText(c.validUntil)]),
          ),
        ),
  );
}

function propertyBody(): HTMLElement {
  const answer = shown.answer;
  return h(
    "section",
    { class: "view" },
    heading("property.title"),
    h("p", { class: "lead" }, t("property.intro")),
    shown.error
      ? problem(shown.error)
      : !answer
        ? loading()
        : h("div", { class: "stack" }, registerParts(answer), vehicles(answer), licence(answer)),
  );
}

export const propertyView: View = {
  title: "property.title",
  personal: true,
  render: propertyBody,
  async enter() {
    // Read again each time: a sale or a transfer may have been entered since.
    await load();
  },
  reset() {
    shown = {};
  },
};
