// "My health" (issue #16): the person's documents, visits, prescriptions and insurance as the
// health information system and the health insurance fund hold them; closing a document or the
// whole record and reopening it; the declarations of intent; the representatives; and who looked at the data (each
// professional's read, emergency reads flagged). Every action answers the record as it is after.

import type {
  DeclarationChoice,
  DeclarationKind,
  HealthInsurance,
  HealthPrescriptionsResponse,
  HealthReadsResponse,
  HealthRecord,
} from "../../web/api-types.ts";
import type { MessageKey } from "../../web/i18n.ts";
import { type ApiError, api } from "../api.ts";
import { render, state, t, type View } from "../app.ts";
import { h } from "../dom.ts";
import { dateText, moneyText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { field, flashAction, flashBox, heading, loading, problem, submitActions, table } from "../widgets.ts";

type Loaded<T> = { answer?: T; error?: ApiError };
let health: Loaded<HealthRecord> = {};
let prescriptions: Loaded<HealthPrescriptionsResponse> = {};
let insurance: Loaded<HealthInsurance> = {};
let reads: Loaded<HealthReadsResponse> = {};
/** The declaration choices the person picked but has not saved yet. */
let picked = new Map<DeclarationKind, DeclarationChoice>();
/** The representative being named, kept across renders (a language switch, a failed save). */
let naming = { personalCode: "", until: "" };

const settle = <T>(result: PromiseSettledResult<T>): Loaded<T> =>
  result.status === "fulfilled" ? { answer: result.value } : { error: result.reason as ApiError };

async function load(): Promise<void> {
  const results = await Promise.allSettled([
    api<HealthRecord>("/api/health/record"),
    api<HealthPrescriptionsResponse>("/api/health/prescriptions"),
    api<HealthInsurance>("/api/health/insurance"),
    api<HealthReadsResponse>("/api/health/reads"),
  ]);
  for (const result of results) if (result.status === "rejected" && sessionEnded(result.reason)) return;
  const [r, p, i, w] = results;
  health = settle(r);
  prescriptions = settle(p);
  insurance = settle(i);
  reads = settle(w);
  if (state.route === "health") render();
}

/** One action on the record: the answer is the record after it; the error is told in the flash. */
const act = (path: string, method: "POST" | "PUT", body: unknown, done: MessageKey) =>
  flashAction("health", async () => {
    health = { answer: await api<HealthRecord>(path, { method, body }) };
    picked = new Map();
    naming = { personalCode: "", until: "" };
    return t(done);
  });

const button = (label: string, keep: string, onClick: () => void, described?: string) => {
  const b = h(
    "button",
    { type: "button", disabled: state.busy, "data-keep": keep, "aria-describedby": described },
    label,
  );
  b.addEventListener("click", onClick);
  return b;
};

const closedBadge = (closed: boolean) =>
  closed ? h("span", { class: "badge bad" }, t("health.closed")) : h("span", { class: "badge ok" }, t("health.open"));

function recordSection(record: HealthRecord): HTMLElement {
  const whole = record.wholeRecordClosedBy;
  const documentRow = (d: HealthRecord["documents"][number]) => {
    const id = `doc-${d.ref.replace(/[^A-Za-z0-9-]/g, "-")}`;
    return [
      h("span", { id }, d.title || d.ref),
      dateText(d.date ?? undefined),
      d.author || "—",
      closedBadge(Boolean(d.closedBy || whole)),
      d.closedBy
        ? button(t("health.reopen"), `reopen-${d.ref}`, () => reopen(d.closedBy as string), id)
        : whole
          ? ""
          : button(
              t("health.closeDocument"),
              `close-${d.ref}`,
              () => void act("/api/health/closures", "POST", { document: d.ref }, "health.closedDone"),
              id,
            ),
    ];
  };
  return h(
    "section",
    { class: "card", "aria-labelledby": "health-documents-h" },
    h("h2", { id: "health-documents-h", tabindex: "-1" }, t("health.documents")),
    h(
      "p",
      { id: "health-whole" },
      whole ? h("strong", {}, t("health.wholeClosed")) : t("health.wholeOpen"),
      " ",
      whole
        ? button(t("health.reopenWhole"), "reopen-whole", () => reopen(whole))
        : button(
            t("health.closeWhole"),
            "close-whole",
            () => void act("/api/health/closures", "POST", {}, "health.closedDone"),
          ),
    ),
    record.documents.length === 0
      ? h("p", {}, t("health.noDocuments"))
      : table(
          t("health.documentsCaption"),
          [t("health.document"), t("health.date"), t("health.author"), t("health.state"), t("health.action")],
          record.documents.map(documentRow),
        ),
    h("h3", {}, t("health.visits")),
    record.visits.length === 0
      ? h("p", {}, t("health.noVisits"))
      : table(
          t("health.visitsCaption"),
          [t("health.date"), t("health.visitKind"), t("health.provider"), t("health.state")],
          record.visits.map((v) => [
            dateText(v.start ?? undefined),
            v.kind || "—",
            v.provider || "—",
            closedBadge(Boolean(v.closedBy || whole)),
          ]),
        ),
  );
}

const reopen = (consent: string) =>
  void act(`/api/health/closures/${encodeURIComponent(consent)}/reopening`, "POST", {}, "health.reopenedDone");

const CHOICES: ReadonlyArray<[DeclarationChoice, MessageKey]> = [
  ["consent", "health.choice.consent"],
  ["refuse", "health.choice.refuse"],
  ["none", "health.choice.none"],
];
const KINDS: Record<DeclarationKind, MessageKey> = {
  "organ-donation": "health.kind.organ-donation",
  "blood-transfusion": "health.kind.blood-transfusion",
};

function declarationsSection(record: HealthRecord): HTMLElement {
  const forms = record.declarations.map((d) => {
    const chosen = picked.get(d.kind) ?? d.choice;
    const radios = CHOICES.map(([choice, key]) => {
      const id = `declare-${d.kind}-${choice}`;
      const input = h("input", {
        type: "radio",
        id,
        name: `declare-${d.kind}`,
        value: choice,
        checked: chosen === choice,
        "data-keep": id,
      });
      input.addEventListener("change", () => {
        picked.set(d.kind, choice);
        render();
      });
      return h("div", { class: "choice" }, input, h("label", { for: id }, t(key)));
    });
    const form = h(
      "form",
      { class: "confirm", novalidate: true },
      h(
        "fieldset",
        {},
        h("legend", {}, t(KINDS[d.kind])),
        h(
          "p",
          { class: "hint", id: `declared-${d.kind}` },
          d.choice === "none"
            ? t("health.declaredNone")
            : t("health.declared", {
                choice: t(d.choice === "consent" ? "health.choice.consent" : "health.choice.refuse"),
                date: dateText(d.since ?? undefined),
              }),
        ),
        ...radios,
      ),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "submit", disabled: state.busy || chosen === d.choice, "data-keep": `declare-${d.kind}` },
          t("health.declare"),
        ),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void act(`/api/health/declarations/${d.kind}`, "PUT", { choice: chosen }, "health.declaredDone");
    });
    return form;
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "health-declarations-h" },
    h("h2", { id: "health-declarations-h" }, t("health.declarations")),
    ...forms,
  );
}

const MANDATE_STATES: Record<HealthRecord["representatives"][number]["status"], [MessageKey, string]> = {
  valid: ["health.mandate.valid", "ok"],
  pending: ["health.mandate.pending", "pending"],
  ended: ["health.mandate.ended", "bad"],
};

/** The people the person lets act for them in health matters: named, listed, ended. */
function representativesSection(record: HealthRecord): HTMLElement {
  const input = (name: keyof typeof naming, attributes: Record<string, string | boolean>) => {
    const control = h("input", {
      id: `representative-${name}`,
      name,
      value: naming[name],
      autocomplete: "off",
      "data-keep": `representative-${name}`,
      ...attributes,
    });
    control.addEventListener("input", () => {
      naming[name] = control.value;
    });
    return control;
  };
  const form = h(
    "form",
    { class: "confirm", novalidate: true, "aria-labelledby": "health-representative-new" },
    h("h3", { id: "health-representative-new" }, t("health.representativeNew")),
    field(
      "representative-personalCode",
      "health.representativeCode",
      input("personalCode", { type: "text", inputmode: "numeric", maxlength: "11", required: true }),
      t("health.representativeCodeHint"),
    ),
    field(
      "representative-until",
      "health.representativeUntil",
      input("until", { type: "date" }),
      t("health.representativeUntilHint"),
    ),
    submitActions("representative-submit", "health.representativeSubmit", "health.representativeWorking"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = { personalCode: naming.personalCode.trim(), ...(naming.until ? { until: naming.until } : {}) };
    void act("/api/health/representatives", "POST", body, "health.representativeDone");
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "health-representatives-h" },
    h("h2", { id: "health-representatives-h" }, t("health.representatives")),
    h("p", { class: "hint" }, t("health.representativesIntro")),
    record.representatives.length === 0
      ? h("p", {}, t("health.noRepresentatives"))
      : table(
          t("health.representativesCaption"),
          [
            t("health.representativeCode"),
            t("health.since"),
            t("health.representativeUntil"),
            t("health.state"),
            t("health.action"),
          ],
          record.representatives.map((r) => {
            const [label, tone] = MANDATE_STATES[r.status];
            return [
              h("span", { id: `representative-${r.id}` }, r.personalCode),
              dateText(r.since ?? undefined),
              r.until ? dateText(r.until) : t("health.mandateOpen"),
              h("span", { class: `badge ${tone}` }, t(label)),
              r.status === "ended"
                ? ""
                : button(
                    t("health.endMandate"),
                    `end-${r.id}`,
                    () =>
                      void act(
                        `/api/health/representatives/${encodeURIComponent(r.id)}/end`,
                        "POST",
                        {},
                        "health.mandateEndedDone",
                      ),
                    `representative-${r.id}`,
                  ),
            ];
          }),
        ),
    form,
  );
}

const cents = (value: number | null) => (value === null ? "—" : moneyText(value));
/** Who collected a dispense: the person themselves, or the code of whoever the pharmacist identified. */
const collector = (buyer: string | null) =>
  buyer === null ? "—" : buyer === state.session?.person?.personalCode ? t("health.collectedByYou") : buyer;

function prescriptionsSection(): HTMLElement {
  const answer = prescriptions.answer;
  const body = prescriptions.error
    ? problem(prescriptions.error)
    : !answer
      ? loading()
      : answer.prescriptions.length === 0
        ? h("p", {}, t("health.noPrescriptions"))
        : h(
            "div",
            { class: "stack" },
            table(
              t("health.prescriptionsCaption"),
              [
                t("health.medicine"),
                t("health.dosage"),
                t("health.prescribed"),
                t("health.validUntil"),
                t("health.left"),
              ],
              answer.prescriptions.map((p) => [
                p.namedRepresentative
                  ? h(
                      "span",
                      {},
                      p.medicine,
                      " ",
                      h("span", { class: "badge pending" }, t("health.named", { code: p.namedRepresentative })),
                    )
                  : p.medicine,
                p.dosage,
                dateText(p.authoredOn ?? undefined),
                dateText(p.validUntil ?? undefined),
                t("health.leftText", {
                  dispensings: p.dispensingsLeft,
                  allowed: p.dispensingsAllowed,
                  packages: p.packagesLeft,
                }),
              ]),
            ),
            ...answer.prescriptions
              .filter((p) => p.dispenses.length > 0)
              .map((p) =>
                table(
                  t("health.dispensesCaption", { medicine: p.medicine }),
                  [
                    t("health.date"),
                    t("health.packages"),
                    t("health.pharmacy"),
                    t("health.collectedBy"),
                    t("health.paid"),
                    t("health.fund"),
                  ],
                  p.dispenses.map((d) => [
                    dateText(d.when ?? undefined),
                    String(d.packages),
                    d.pharmacy || "—",
                    collector(d.buyer),
                    cents(d.patientShareCents),
                    cents(d.fundShareCents),
                  ]),
                ),
              ),
          );
  return h(
    "section",
    { class: "card", "aria-labelledby": "health-prescriptions-h" },
    h("h2", { id: "health-prescriptions-h" }, t("health.prescriptions")),
    body,
  );
}

function insuranceSection(): HTMLElement {
  const answer = insurance.answer;
  const body = insurance.error
    ? problem(insurance.error)
    : !answer
      ? loading()
      : h(
          "p",
          { id: "health-insured" },
          answer.insured
            ? t("health.insured", {
                date: dateText(answer.on),
                until: answer.period?.end ? dateText(answer.period.end) : t("health.noEnd"),
              })
            : t("health.notInsured", { date: dateText(answer.on) }),
        );
  return h(
    "section",
    { class: "card", "aria-labelledby": "health-insurance-h" },
    h("h2", { id: "health-insurance-h" }, t("health.insurance")),
    body,
  );
}

function readsSection(): HTMLElement {
  const answer = reads.answer;
  const body = reads.error
    ? problem(reads.error)
    : !answer
      ? loading()
      : answer.reads.length === 0
        ? h("p", {}, t("health.noReads"))
        : table(
            t("health.readsCaption"),
            [
              t("health.when"),
              t("health.professional"),
              t("health.organisation"),
              t("health.purpose"),
              t("health.what"),
            ],
            answer.reads.map((r) => [
              dateText(r.at, true),
              `${r.professional} (${r.professionalCode})`,
              r.organisation,
              h(
                "span",
                {},
                r.purpose,
                r.emergency ? h("span", { class: "badge bad" }, t("health.emergency")) : null,
                r.refused ? h("span", { class: "badge pending" }, t("health.refused")) : null,
              ),
              r.resources.join(", "),
            ]),
          );
  return h(
    "section",
    { class: "card", "aria-labelledby": "health-reads-h" },
    h("h2", { id: "health-reads-h" }, t("health.reads")),
    body,
  );
}

function healthBody(): HTMLElement {
  const record = health.answer;
  return h(
    "section",
    { class: "view" },
    heading("health.title"),
    flashBox(),
    h("p", { class: "lead" }, t("health.intro")),
    health.error
      ? problem(health.error)
      : !record
        ? loading()
        : record.found
          ? h(
              "div",
              { class: "stack" },
              recordSection(record),
              declarationsSection(record),
              representativesSection(record),
            )
          : h("p", {}, t("health.noRecord")),
    prescriptionsSection(),
    insuranceSection(),
    readsSection(),
  );
}

export const healthView: View = {
  title: "health.title",
  personal: true,
  render: healthBody,
  async enter() {
    // Read again each time: a professional may have read or written since.
    await load();
  },
  reset() {
    health = {};
    prescriptions = {};
    insurance = {};
    reads = {};
    picked = new Map();
    naming = { personalCode: "", until: "" };
  },
};
