// The analyst's page: a SQL editor beside the permitted field set, Run and Explain, the result
// as a table and a bar chart, the suppressed groups, and CSV / Arrow downloads.

import {
  api,
  download,
  fill,
  h,
  isNumericType,
  isTextType,
  onSubmit,
  resultTable,
  say,
  sayError,
  startPage,
  toCsv,
} from "./common.js";
import { mountCasePanel, purposesHeld } from "./case.js";
import { barChart } from "./chart.js";
import { maskedColumns } from "./lookups.js";

const $ = (id) => document.getElementById(id);
const messages = $("messages");
const ARROW_STREAM = "application/vnd.apache.arrow.stream";
const MODES = {
  read: "可讀 read",
  condition: "僅作條件 condition only (WHERE/ON)",
  join: "僅供關聯 join only",
  mask: "遮罩 mask",
};

function ruleTexts(field) {
  const rules = [];
  if (field.row_filter) rules.push(`列篩選 row filter: ${field.row_filter}`);
  for (const pin of field.required || []) {
    rules.push(`須指定 must pin ${pin.column}（= / IN，≤ ${pin.max_values}）`);
  }
  if (field.aggregate_only) {
    const { min_group, entity } = field.aggregate_only;
    rules.push(`僅限彙總 aggregate only：每組至少 ${min_group} 個不同 ${entity} (min group)`);
  }
  if (field.max_rows) rules.push(`列數上限 max rows ${field.max_rows}`);
  if (field.purposes && field.purposes.length) rules.push(`目的 purposes: ${field.purposes.join(", ")}`);
  if (field.valid_until) rules.push(`有效至 valid until ${field.valid_until}`);
  return rules;
}

function drawFieldSet(fields) {
  const byTable = new Map();
  for (const field of fields) {
    if (!byTable.has(field.table)) byTable.set(field.table, []);
    byTable.get(field.table).push(field);
  }
  if (byTable.size === 0) {
    $("fields").replaceChildren(h("p", { text: "您沒有可用的欄位 You have no permitted fields." }));
    return;
  }
  $("fields").replaceChildren(
    ...[...byTable].map(([table, columns]) => {
      const rules = [...new Set(columns.flatMap(ruleTexts))];
      return h(
        "details",
        { open: true, "data-table": table },
        h("summary", { text: table }),
        h(
          "ul",
          {},
          columns.map((c) =>
            h(
              "li",
              {},
              h("code", { text: c.column }),
              ` ${c.type} — ${MODES[c.mode] || c.mode}${c.mask ? `: ${c.mask}` : ""}`,
            ),
          ),
        ),
        rules.map((rule) => h("p", { class: "rules", text: rule })),
      );
    }),
  );
}

/** A bar chart for an aggregate result: text columns as the label, the first number as value. */
function drawChart(result) {
  const labels = result.columns.filter((c) => isTextType(c.type));
  const value = result.columns.find((c) => isNumericType(c.type));
  if (!labels.length || !value || result.rows.length === 0) {
    $("chart").replaceChildren();
    return;
  }
  const names = result.rows.map((row) => labels.map((c) => row[c.name] ?? "—").join(" / "));
  const values = result.rows.map((row) => Number(row[value.name]) || 0);
  const title = `${value.name} 依 by ${labels.map((c) => c.name).join(" / ")}`;
  $("chart").replaceChildren(
    h("h3", { text: `長條圖 Chart: ${title}` }),
    barChart(names, values, { title, valueName: value.name }),
  );
}

function showResult(result, masked) {
  const suppressed = result.suppressed_groups || 0;
  $("result-status").replaceChildren(
    `${result.row_count} 筆 rows`,
    result.truncated ? "（已截斷 truncated）" : "",
    " · ",
    h("span", {
      id: "suppressed",
      class: suppressed ? "badge reason" : "badge ok",
      text: suppressed
        ? `已移除 ${suppressed} 個人數不足的群組 ${suppressed} small groups suppressed`
        : "無群組被移除 no groups suppressed",
    }),
    " · ",
    h("span", { class: "qid", text: `查詢編號 query id ${result.query_id}` }),
  );
  $("result").replaceChildren(
    result.rows.length
      ? resultTable(result.columns, result.rows, { masked })
      : h("p", { text: "沒有資料列 No rows." }),
  );
  drawChart(result);
}

function showPlan(plan) {
  fill(
    $("plan"),
    h("h3", { text: "執行計畫 Plan" }),
    h("pre", { class: "sql", text: plan.plan }),
    h("h3", { text: "DuckDB 執行的 SQL Executed SQL" }),
    h("pre", { class: "sql", text: plan.executed_sql }),
    h("h3", { text: "送往各來源的 SQL Per-source SQL" }),
    ...plan.scans.map((scan) =>
      h(
        "div",
        { class: "card scan", "data-source": scan.source },
        h("h4", { text: `${scan.source} · ${scan.table}` }),
        h("pre", { class: "sql", text: scan.statement }),
        scan.filters.length
          ? h(
              "ul",
              {},
              scan.filters.map((f) =>
                h("li", {}, h("code", { text: f.sql }), ` — ${f.verdict}${f.reason ? `: ${f.reason}` : ""}`),
              ),
            )
          : null,
      ),
    ),
    plan.max_rows ? h("p", { text: `列數上限 max rows: ${plan.max_rows}` }) : null,
  );
}

async function main(me) {
  const fields = await api("/v1/me/fields");
  drawFieldSet(fields);
  // Output columns named like a masked field carry the hint (an alias hides it; the values
  // are masked by the server either way).
  const masked = maskedColumns(fields, [...new Set(fields.map((f) => f.table.split(".")[0]))]);
  const casePanel = mountCasePanel($("case-panel"), purposesHeld(me, fields));
  const region = $("sql-messages");
  let last = null;

  function request() {
    const envelope = casePanel.require(region);
    if (!envelope) return null;
    const sql = $("sql").value.trim();
    if (!sql) {
      say(region, "請輸入 SQL Enter a query.", "error");
      return null;
    }
    region.replaceChildren();
    return { sql, purpose: envelope };
  }

  onSubmit($("sql-form"), async () => {
    const body = request();
    if (!body) return;
    $("result-status").textContent = "執行中… Running…";
    try {
      last = await api("/v1/query", { method: "POST", body });
      showResult(last, masked);
    } catch (error) {
      // No stale rows under a refusal: the result shown is always the last query's.
      last = null;
      $("result").replaceChildren();
      $("chart").replaceChildren();
      $("result-status").textContent = "查詢未執行 The query did not run.";
      sayError(region, error);
    }
  });

  $("explain").addEventListener("click", async () => {
    const body = request();
    if (!body) return;
    try {
      showPlan(await api("/v1/explain", { method: "POST", body }));
    } catch (error) {
      sayError(region, error);
    }
  });

  $("csv").addEventListener("click", () => {
    if (!last) {
      say(region, "請先執行查詢 Run a query first.", "warn");
      return;
    }
    const blob = new Blob([toCsv(last.columns, last.rows)], { type: "text/csv;charset=utf-8" });
    download(blob, `civicfed-${last.query_id}.csv`);
  });

  $("arrow").addEventListener("click", async () => {
    const body = request();
    if (!body) return;
    try {
      const { blob, headers } = await api("/v1/query", { method: "POST", body, accept: ARROW_STREAM, asBlob: true });
      download(blob, `civicfed-${headers.get("X-Civicfed-Query-Id") || "result"}.arrows`);
      say(region, "已下載 Arrow IPC 串流 Arrow stream downloaded.", "ok");
    } catch (error) {
      sayError(region, error);
    }
  });
  document.body.dataset.ready = "true";
}

const me = await startPage(["analyst"], messages);
if (me) {
  try {
    await main(me);
  } catch (error) {
    sayError(messages, error);
  }
}
