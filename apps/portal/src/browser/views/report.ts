// A container's validation report, as the sign and check views show it: the verdict, the
// container's files and findings, and each signature with its signer, time and reasons.

import type { SignatureReport, ValidationReport } from "@riik/signature";
import { isMessageKey } from "../../web/i18n.ts";
import { t } from "../app.ts";
import { h } from "../dom.ts";
import { dateText, sizeText } from "../format.ts";
import { definitionList, table } from "../widgets.ts";

function verdictBadge(verdict: ValidationReport["verdict"]): HTMLElement {
  const kind = verdict === "valid" ? "ok" : verdict === "invalid" ? "bad" : "pending";
  const mark = verdict === "valid" ? "✓ " : verdict === "invalid" ? "✗ " : "? ";
  return h(
    "span",
    { class: `badge ${kind}` },
    h("span", { "aria-hidden": "true" }, mark),
    t(`report.verdict.${verdict}`),
  );
}

function findingList(findings: SignatureReport["findings"]): HTMLElement {
  return h(
    "ul",
    { class: "findings" },
    ...findings.map((f) => {
      const key = `finding.${f.code}`;
      return h(
        "li",
        { class: `finding ${f.severity}`, "data-code": f.code },
        isMessageKey(key) ? t(key) : f.code,
        h("span", { class: "meta block", lang: "en" }, `${f.code}: ${f.message}`),
      );
    }),
  );
}

function statusText(status: SignatureReport["certificateStatus"]): string {
  return status === "not checked" ? t("report.status.notChecked") : t(`report.status.${status}`);
}

export function reportView(report: ValidationReport, name: string): HTMLElement {
  const section = h(
    "section",
    { class: "card report", "aria-labelledby": "report-h", "data-verdict": report.verdict },
    h("h2", { id: "report-h", tabindex: "-1" }, `${t("report.title")}${name ? `: ${name}` : ""}`),
    h(
      "p",
      { class: `summary ${report.verdict}`, role: "status" },
      verdictBadge(report.verdict),
      " ",
      t(`report.summary.${report.verdict}`),
    ),
    h("p", { class: "meta" }, t("report.sha256", { hash: report.container.sha256 })),
  );
  if (report.container.findings.length > 0) section.append(findingList(report.container.findings));
  if (report.container.files.length > 0)
    section.append(
      table(
        t("report.files"),
        [t("report.fileName"), t("report.fileType"), t("report.fileSize")],
        report.container.files.map((f) => [f.name, f.mediaType, sizeText(f.size)]),
      ),
    );
  report.signatures.forEach((signature, i) => {
    const id = `signature-${i}-h`;
    const rows: Array<[string, Node | string]> = [
      [t("report.signer"), signature.signer?.name ?? "—"],
      [t("report.personalCode"), signature.signer?.personalCode ?? "—"],
      signature.signingTime
        ? [
            t("report.signingTime"),
            h("time", { datetime: signature.signingTime }, dateText(signature.signingTime, true)),
          ]
        : [t("report.claimedTime"), dateText(signature.claimedSigningTime, true)],
      [t("report.certificateStatus"), statusText(signature.certificateStatus)],
      [t("report.level"), `XAdES ${signature.level}`],
    ];
    if (signature.role) rows.push([t("report.role"), signature.role]);
    rows.push([t("report.verdict"), verdictBadge(signature.verdict)]);
    section.append(
      h(
        "section",
        { class: `signature ${signature.verdict}`, "aria-labelledby": id },
        h("h3", { id }, t("report.signature", { n: i + 1 }), " ", verdictBadge(signature.verdict)),
        definitionList(rows),
        signature.findings.length > 0 ? h("h4", {}, t("report.reasons")) : null,
        signature.findings.length > 0 ? findingList(signature.findings) : null,
      ),
    );
  });
  return section;
}
