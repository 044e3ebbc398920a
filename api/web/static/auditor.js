// The auditor's page: verification of the log, the month's sample with each query's case and
// SQL and the reasons it was picked, anomaly flags, queries per agency as a chart, and review
// steps (a finding with its verdict, or evidence requested) recorded against a query.

import {
  api,
  fill,
  formatTime,
  formatValue,
  h,
  onSubmit,
  recordTable,
  say,
  sayError,
  startPage,
  thisMonth,
} from "./common.js";
import { barChart } from "./chart.js";

const $ = (id) => document.getElementById(id);
const messages = $("messages");

async function verify() {
  const status = $("verify-status");
  status.textContent = "驗證中… Verifying…";
  try {
    const result = await api("/v1/audit/verify");
    fill(
      status,
      h("span", {
        class: `badge ${result.ok ? "ok" : "bad"}`,
        text: result.ok ? "完整 intact" : "有問題 broken",
      }),
      " ",
      result.message,
    );
  } catch (error) {
    sayError(status, error);
  }
}

function caseOf(pick) {
  return [
    pick.document_no && `文號 ${pick.document_no}`,
    pick.case_no && `案號 ${pick.case_no}`,
    pick.case_name && `案由 ${pick.case_name}`,
  ]
    .filter(Boolean)
    .join("；");
}

/** The query event of ``queryId`` (its case, SQL and time), or null. */
async function queryEvent(queryId) {
  try {
    const events = await api(`/v1/audit/queries/${encodeURIComponent(queryId)}`);
    return events.find((e) => e.type === "query") || null;
  } catch {
    return null;
  }
}

/**
 * The picks with their time, case, purpose and SQL. The sample carries them when the server
 * has them; otherwise each pick's query event supplies them (a few requests at a time).
 */
async function withCases(picks) {
  const complete = picks.map((p) => ({
    ...p,
    time: p.time || p.local_time,
    purpose: p.purpose || p.purpose_code,
  }));
  const missing = complete.filter((p) => p.sql === undefined);
  for (let i = 0; i < missing.length; i += 6) {
    const batch = missing.slice(i, i + 6);
    const events = await Promise.all(batch.map((p) => queryEvent(p.query_id)));
    batch.forEach((pick, j) => {
      const event = events[j];
      if (!event) return;
      const envelope = event.purpose || {};
      pick.time = event.time || pick.time;
      pick.sql = event.sql;
      for (const key of ["document_no", "case_no", "case_name", "legal_basis"]) {
        pick[key] = pick[key] || envelope[key];
      }
      pick.purpose = pick.purpose || envelope.purpose;
    });
  }
  return complete;
}

function drawPicks(sample, chooseForReview) {
  $("sample-status").textContent =
    `${sample.month} · 種子 seed ${sample.seed} · 抽出 ${sample.picks.length} 筆 picked`;
  fill(
    $("picks"),
    sample.picks.length
      ? recordTable(
          [
            [(p) => formatTime(p.time), "時間 Time"],
            ["user", "使用者 User"],
            ["agency", "機關 Agency"],
            [(p) => p.sources, "來源 Sources"],
            ["outcome", "結果 Outcome"],
            [(p) => caseOf(p), "案件 Case"],
            ["purpose", "目的 Purpose"],
            [
              (p) => h("div", {}, (p.reasons || []).map((r) => h("span", { class: "badge reason", text: r }))),
              "抽中原因 Reasons",
            ],
            [(p) => h("details", {}, h("summary", { text: "SQL" }), h("pre", { class: "sql", text: p.sql || "" })), "SQL"],
          ],
          sample.picks,
          {
            caption: "抽樣查詢 Sampled queries",
            extra: (p) =>
              h("button", {
                type: "button",
                class: "secondary",
                text: "審查 Review",
                "data-query-id": p.query_id,
                onclick: () => chooseForReview(p.query_id),
              }),
          },
        )
      : h("p", { text: "本月沒有查詢 No queries this month." }),
  );
}

function drawGroups(groups) {
  const perAgency = new Map();
  for (const group of groups) perAgency.set(group.agency, (perAgency.get(group.agency) || 0) + group.queries);
  const agencies = [...perAgency.keys()].sort();
  fill(
    $("usage-chart"),
    agencies.length
      ? barChart(agencies, agencies.map((a) => perAgency.get(a)), {
          title: "各機關查詢量（跨兩個來源的查詢各計一次）Queries per agency, once per source read",
          valueName: "queries",
        })
      : h("p", { text: "沒有資料 No data." }),
  );
  fill(
    $("groups"),
    groups.length
      ? recordTable(
          [
            ["agency", "機關 Agency"],
            ["source", "來源 Source"],
            ["queries", "查詢 Queries"],
            ["required", "應抽 Required"],
            ["drawn", "已抽 Drawn"],
          ],
          groups,
          { caption: "抽樣分組 Sample groups" },
        )
      : null,
  );
}

async function showEvents(queryId) {
  try {
    const events = await api(`/v1/audit/queries/${encodeURIComponent(queryId)}`);
    fill(
      $("events"),
      h("h3", { text: `查詢 ${queryId} 的事件 Events` }),
      recordTable(
        [
          ["type", "類型 Type"],
          [(e) => formatTime(e.time), "時間 Time"],
          [(e) => e.reviewer || e.actor || e.user, "人員 Who"],
          [(e) => e.step || e.outcome, "步驟/結果 Step"],
          [(e) => e.verdict, "判定 Verdict"],
          [(e) => e.finding || e.evidence || (e.purpose && formatValue(e.purpose.case_name)), "內容 Detail"],
        ],
        events,
      ),
    );
  } catch (error) {
    sayError($("review-messages"), error);
  }
}

function mountReview() {
  const step = $("review-step");
  const toggle = () => {
    $("finding-fields").hidden = step.value !== "finding";
    $("evidence-fields").hidden = step.value !== "evidence_requested";
  };
  step.addEventListener("change", toggle);
  toggle();
  onSubmit($("review-form"), async () => {
    const region = $("review-messages");
    const body = { query_id: $("review-query").value.trim(), step: step.value };
    if (!body.query_id) {
      say(region, "請選擇或填寫查詢編號 Choose a query.", "error");
      return;
    }
    if (body.step === "finding") {
      body.finding = $("review-finding").value.trim();
      body.verdict = $("review-verdict").value;
      if (!body.finding) {
        say(region, "請寫下審查發現 Write the finding.", "error");
        return;
      }
    } else {
      body.evidence = $("review-evidence").value.trim();
      if (!body.evidence) {
        say(region, "請寫明要求的佐證 Say what evidence is wanted.", "error");
        return;
      }
    }
    try {
      const recorded = await api("/v1/audit/reviews", { method: "POST", body });
      say(region, `已記錄於稽核日誌第 ${recorded.seq} 筆 Recorded as entry ${recorded.seq}.`, "ok");
      await showEvents(body.query_id);
    } catch (error) {
      sayError(region, error);
    }
  });
  return (queryId) => {
    $("review-query").value = queryId;
    $("review-finding").focus();
    showEvents(queryId);
  };
}

async function main() {
  $("sample-month").value = thisMonth();
  $("verify").addEventListener("click", verify);
  const chooseForReview = mountReview();
  onSubmit($("sample-form"), async () => {
    const month = $("sample-month").value;
    const seed = $("sample-seed").value.trim();
    const region = $("sample-messages");
    if (!month || !seed) {
      say(region, "請填寫月份與亂數種子 Give the month and a seed.", "error");
      return;
    }
    region.replaceChildren();
    try {
      const [sample, flags] = await Promise.all([
        api("/v1/audit/sample", { query: { month, seed } }),
        api("/v1/audit/anomalies", { query: { month } }),
      ]);
      drawPicks({ ...sample, picks: await withCases(sample.picks) }, chooseForReview);
      drawGroups(sample.groups);
      fill(
        $("anomalies"),
        flags.length
          ? recordTable(
              [
                ["seq", "序號 Seq"],
                ["query_id", "查詢編號 Query"],
                ["user", "使用者 User"],
                ["rule", "規則 Rule"],
                ["reason", "原因 Reason"],
              ],
              flags,
            )
          : h("p", { text: "本月沒有異常旗標 No flags this month." }),
      );
    } catch (error) {
      sayError(region, error);
    }
  });
  await verify();
  document.body.dataset.ready = "true";
}

if (await startPage(["auditor"], messages)) {
  try {
    await main();
  } catch (error) {
    sayError(messages, error);
  }
}
