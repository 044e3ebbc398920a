// The clerk's page: the case panel, a person lookup across sources shown side by side, the
// query templates as forms, and a print view carrying the case and a watermark.

import { api, formatTime, h, onSubmit, resultTable, say, sayError, startPage } from "./common.js";
import { mountCasePanel, purposesHeld } from "./case.js";
import { loadTemplates, maskedColumns, personLookups, runTemplate } from "./lookups.js";
import { nationalIdProblem } from "./national_id.js";

const $ = (id) => document.getElementById(id);
const messages = $("messages");

/** A result card body: row count, query id, the rows (or the error with its reason). */
function showOutcome(target, outcome, masked) {
  if (outcome.status === "rejected") {
    sayError(target, outcome.reason);
    return;
  }
  const result = outcome.value;
  const meta = h(
    "p",
    { class: "result-meta" },
    `${result.row_count} 筆 rows`,
    result.truncated ? "（已截斷 truncated by the row cap）" : "",
    " · ",
    h("span", { class: "qid", text: `查詢編號 query id ${result.query_id}` }),
  );
  target.replaceChildren(
    meta,
    result.rows.length
      ? resultTable(result.columns, result.rows, { masked })
      : h("p", { text: "此來源查無資料 No record in this source." }),
  );
}

function checkNationalId(input, region) {
  const value = input.value.trim().toUpperCase();
  input.value = value;
  const problem = nationalIdProblem(value);
  input.setAttribute("aria-invalid", problem ? "true" : "false");
  if (problem) {
    say(region, problem, "error");
    input.focus();
    return null;
  }
  return value;
}

function purposeName(me, code) {
  const purpose = me.purposes.find((p) => p.code === code);
  return purpose ? `${purpose.name} (${code})` : code;
}

function drawPrintHeader(me, envelope) {
  const stamp = formatTime(new Date().toISOString());
  $("print-header").replaceChildren(
    h("h1", { text: "個案查詢紀錄 Case lookup record" }),
    h(
      "dl",
      { class: "case-summary" },
      [
        ["公文文號 Document no.", envelope && envelope.document_no],
        ["案號 Case no.", envelope && envelope.case_no],
        ["案由 Case name", envelope && envelope.case_name],
        ["查詢目的 Purpose", envelope && purposeName(me, envelope.purpose)],
        ["法令依據 Legal basis", envelope && envelope.legal_basis],
        ["查詢人 User", `${me.name}（${me.agency}）`],
        ["列印時間 Printed", stamp],
      ].flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { text: value || "—" })]),
    ),
  );
  const mark = `${me.name} · ${me.agency} · ${stamp}`;
  $("watermark").replaceChildren(...Array.from({ length: 40 }, () => h("span", { text: mark })));
}

function drawTemplateForms(templates, fields, casePanel) {
  const root = $("templates");
  if (templates === null) {
    root.replaceChildren(
      h("p", {
        class: "hint",
        text:
          "此伺服器尚未提供查詢範本（GET /v1/templates 回應 404）。" +
          " This server offers no query templates yet.",
      }),
    );
    return;
  }
  if (templates.length === 0) {
    root.replaceChildren(h("p", { class: "hint", text: "沒有可用的範本 No templates." }));
    return;
  }
  root.replaceChildren(
    h("div", { class: "template-grid" }, templates.map((t) => templateForm(t, fields, casePanel))),
  );
}

function inputFor(template, param) {
  const id = `tpl-${template.name}-${param.name}`;
  const props = { id, name: param.name, required: Boolean(param.required) };
  if (param.type === "integer") Object.assign(props, { type: "number", step: 1 });
  else if (param.type === "date") props.type = "date";
  else if (param.type === "national_id") {
    Object.assign(props, { maxlength: 10, autocomplete: "off", placeholder: "A123456789" });
  }
  return h(
    "div",
    { class: "field" },
    h(
      "label",
      { for: id },
      param.label || param.name,
      param.required ? h("span", { class: "hint", text: " 必填 required" }) : null,
    ),
    h("input", props),
  );
}

function templateForm(template, fields, casePanel) {
  const region = h("div", { class: "messages", "aria-live": "polite" });
  const output = h("div", { class: "template-result" });
  const form = h(
    "form",
    { id: `tpl-${template.name}`, novalidate: true },
    h(
      "fieldset",
      {},
      h("legend", { text: template.title || template.name }),
      template.description ? h("p", { class: "hint", text: template.description }) : null,
      h("p", {
        class: "hint",
        text: `來源 sources: ${(template.sources || []).join(", ")} · 目的 purposes: ${(template.purposes || []).join(", ")}`,
      }),
      h("div", { class: "row" }, template.params.map((p) => inputFor(template, p))),
      h("div", { class: "actions" }, h("button", { type: "submit", text: "執行 Run" })),
    ),
  );
  onSubmit(form, async () => {
    const envelope = casePanel.require(region);
    if (!envelope) return;
    const params = {};
    for (const param of template.params) {
      const input = form.elements.namedItem(param.name);
      const raw = input.value.trim();
      if (!raw) {
        if (param.required) {
          say(region, `請填寫「${param.label || param.name}」 ${param.name} is required.`, "error");
          input.focus();
          return;
        }
        continue;
      }
      if (param.type === "national_id") {
        const id = checkNationalId(input, region);
        if (!id) return;
        params[param.name] = id;
      } else if (param.type === "integer") {
        if (!/^-?\d+$/.test(raw)) {
          say(region, `「${param.label || param.name}」須為整數 must be an integer.`, "error");
          return;
        }
        params[param.name] = Number(raw);
      } else {
        params[param.name] = raw;
      }
    }
    region.replaceChildren();
    const masked = maskedColumns(fields, template.sources || []);
    const [outcome] = await Promise.allSettled([runTemplate(template.name, params, envelope)]);
    showOutcome(output, outcome, masked);
  });
  return h("div", { class: "card" }, form, region, output);
}

async function main(me) {
  const [fields, sources, templates] = await Promise.all([
    api("/v1/me/fields"),
    api("/v1/sources").catch(() => []),
    loadTemplates(),
  ]);
  const casePanel = mountCasePanel($("case-panel"), purposesHeld(me, fields));
  const owners = new Map(sources.map((s) => [s.source, s.owner]));
  drawTemplateForms(templates, fields, casePanel);
  drawPrintHeader(me, casePanel.current());
  $("case-panel").addEventListener("casechange", (e) => drawPrintHeader(me, e.detail));
  window.addEventListener("beforeprint", () => drawPrintHeader(me, casePanel.current()));
  $("print-button").addEventListener("click", () => window.print());

  const region = $("lookup-messages");
  onSubmit($("lookup-form"), async () => {
    const envelope = casePanel.require(region);
    if (!envelope) return;
    const id = checkNationalId($("national-id"), region);
    if (!id) return;
    const lookups = personLookups(templates, envelope.purpose);
    if (lookups.length === 0) {
      say(region, "此查詢目的沒有可查詢個人的範本 No person template for this purpose.", "warn");
      return;
    }
    region.replaceChildren();
    $("lookup-status").textContent = `查詢中… Looking up ${id}…`;
    const outcomes = await Promise.allSettled(
      lookups.map((l) => runTemplate(l.template.name, { [l.param]: id }, envelope)),
    );
    const cards = lookups.map(({ source, template }, i) => {
      const body = h("div", { class: "lookup-body" });
      showOutcome(body, outcomes[i], maskedColumns(fields, [source]));
      return h(
        "article",
        { class: "result-card", "data-source": source, "aria-label": `來源 source ${source}` },
        h(
          "h3",
          {},
          template.title || template.name,
          h("span", { class: "sources", text: ` · ${source}（${owners.get(source) || "?"}）` }),
        ),
        body,
      );
    });
    $("lookup-results").replaceChildren(...cards);
    const failed = outcomes.filter((o) => o.status === "rejected").length;
    $("lookup-status").textContent =
      `${id}：已查詢 ${lookups.length} 個來源，${failed} 個遭拒或失敗。` +
      ` Looked up ${lookups.length} sources, ${failed} refused or failed.`;
    drawPrintHeader(me, envelope);
  });
  document.body.dataset.ready = "true";
}

const me = await startPage(["user"], messages);
if (me) {
  try {
    await main(me);
  } catch (error) {
    sayError(messages, error);
  }
}
