// The case panel: the case a query serves (公文文號, 案號, 案由, 查詢目的, 法令依據). It must be
// set before any query, and it stays for the browser session (sessionStorage).

import { h, say } from "./common.js";

const CASE_KEY = "civicfed.case";
const FIELDS = [
  ["document_no", "公文文號", "Document no.", "例 北市安社字第1133012345號"],
  ["case_no", "案號", "Case no.", "例 113-0042"],
  ["case_name", "案由", "Case name", "例 低收入戶資格複查"],
  ["legal_basis", "法令依據", "Legal basis (optional)", "例 社會救助法第4條"],
];

/** What is missing from ``envelope`` to make it a purpose, in words; null when complete. */
export function caseProblem(envelope) {
  if (!envelope) return "尚未設定案件 No case is set.";
  const missing = [];
  if (!envelope.case_name) missing.push("案由 case name");
  if (!envelope.purpose) missing.push("查詢目的 purpose");
  if (!envelope.document_no && !envelope.case_no) missing.push("公文文號或案號 document or case no.");
  return missing.length ? `案件資料不完整，缺少：${missing.join("、")}` : null;
}

/** The saved case, or null. */
export function savedCase() {
  try {
    const envelope = JSON.parse(sessionStorage.getItem(CASE_KEY) || "null");
    return caseProblem(envelope) === null ? envelope : null;
  } catch {
    return null;
  }
}

/**
 * Draws the case form into ``root``. ``purposes`` are the [{code, name}] the user may state.
 * Returns {current(): the saved purpose body or null, require(region): that body, or null
 * after saying in ``region`` why no query may run}.
 */
export function mountCasePanel(root, purposes) {
  const messages = h("div", { class: "messages", "aria-live": "polite", id: "case-messages" });
  const state = h("p", { class: "case-state", id: "case-state" });
  const summary = h("dl", { class: "case-summary", id: "case-summary" });
  const inputs = {};
  const fieldNodes = FIELDS.map(([key, zh, en, example]) => {
    inputs[key] = h("input", { id: `case-${key}`, name: key, maxlength: 200, placeholder: example });
    return h(
      "div",
      { class: "field" },
      h("label", { for: `case-${key}` }, `${zh} `, h("span", { class: "hint", text: en })),
      inputs[key],
    );
  });
  inputs.purpose = h(
    "select",
    { id: "case-purpose", name: "purpose" },
    h("option", { value: "", text: "— 請選擇 choose —" }),
    purposes.map((p) => h("option", { value: p.code, text: `${p.name} (${p.code})` })),
  );
  fieldNodes.splice(
    3,
    0,
    h(
      "div",
      { class: "field" },
      h("label", { for: "case-purpose" }, "查詢目的 ", h("span", { class: "hint", text: "Purpose" })),
      inputs.purpose,
    ),
  );
  const form = h(
    "form",
    { id: "case-form", "aria-describedby": "case-help" },
    h(
      "p",
      { class: "hint", id: "case-help" },
      "每次查詢都須載明案件：案由、查詢目的，以及公文文號或案號（至少一項）。" +
        " Every query states its case: case name, purpose, and a document or case number.",
    ),
    h("div", { class: "row" }, fieldNodes),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", id: "case-save", text: "確認案件 Set case" }),
      h("button", { type: "button", class: "secondary", id: "case-clear", text: "清除 Clear", onclick: clear }),
    ),
  );
  root.replaceChildren(
    h("h2", { id: "case-heading", text: "案件資料 Case" }),
    form,
    state,
    summary,
    messages,
  );

  function read() {
    const envelope = {};
    for (const [key, input] of Object.entries(inputs)) {
      const value = input.value.trim();
      if (value) envelope[key] = value;
    }
    return envelope;
  }

  function show() {
    const envelope = savedCase();
    if (envelope) {
      for (const [key, input] of Object.entries(inputs)) input.value = envelope[key] || "";
    }
    state.className = `case-state ${envelope ? "set" : "unset"}`;
    state.textContent = envelope
      ? "已設定案件，本次工作階段的查詢都會載明此案件。 Case set for this session."
      : "尚未設定案件，無法查詢。 No case set: queries are refused.";
    const purposeName = envelope
      ? (purposes.find((p) => p.code === envelope.purpose) || { name: envelope.purpose }).name
      : null;
    summary.replaceChildren(
      ...(envelope
        ? [
            ["公文文號", envelope.document_no],
            ["案號", envelope.case_no],
            ["案由", envelope.case_name],
            ["查詢目的", `${purposeName} (${envelope.purpose})`],
            ["法令依據", envelope.legal_basis],
          ]
            .filter(([, value]) => value)
            .flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { text: value })])
        : []),
    );
    root.dispatchEvent(new CustomEvent("casechange", { detail: envelope }));
  }

  function clear() {
    sessionStorage.removeItem(CASE_KEY);
    for (const input of Object.values(inputs)) input.value = "";
    messages.replaceChildren();
    show();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const envelope = read();
    const problem = caseProblem(envelope);
    if (problem) {
      say(messages, problem, "error");
      return;
    }
    if (!purposes.some((p) => p.code === envelope.purpose)) {
      say(messages, "此查詢目的不在您的授權範圍 This purpose is not in your grants.", "error");
      return;
    }
    sessionStorage.setItem(CASE_KEY, JSON.stringify(envelope));
    say(messages, "案件已設定 Case set.", "ok");
    show();
  });

  show();
  return {
    current: savedCase,
    require(region) {
      const envelope = savedCase();
      if (envelope) return envelope;
      say(
        region,
        "請先填寫並確認案件資料（案由、查詢目的，以及公文文號或案號），才能查詢。" +
          " Set the case (case name, purpose, and a document or case number) before any query.",
        "error",
      );
      inputs.case_name.focus();
      return null;
    },
  };
}

/** The registry's purposes that at least one of the user's permitted fields allows. */
export function purposesHeld(me, fields) {
  const held = new Set(fields.flatMap((field) => field.purposes || []));
  return me.purposes.filter((purpose) => held.has(purpose.code));
}
