// Oversight on the governance page: access reviews with each right's last use (managers), who
// used the owner's source in a month (owners), and evidence requests (owners ask, the querying
// agency answers).

import {
  api,
  columnsText,
  fill,
  formatTime,
  h,
  onSubmit,
  recordTable,
  say,
  sayError,
  thisMonth,
} from "./common.js";

const $ = (id) => document.getElementById(id);

function mountReviews(ctx) {
  const region = $("reviews-messages");
  $("review-agency").value = ctx.me.agency;

  async function refresh() {
    try {
      const campaigns = await api("/v1/reviews");
      fill(
        $("campaign-list"),
        campaigns.length
          ? recordTable(
              [
                ["id", "編號 Id"],
                ["agency", "機關 Agency"],
                ["started_by", "發起人 Started by"],
                [(c) => formatTime(c.started_at), "開始 Started"],
                [(c) => (c.closed_at ? `已結束 closed ${formatTime(c.closed_at)}` : "進行中 open"), "狀態 State"],
              ],
              campaigns,
              {
                caption: "檢視紀錄 Campaigns",
                extra: (c) => h("button", { type: "button", class: "secondary", text: "開啟 Open", onclick: () => open(c.id) }),
              },
            )
          : h("p", { text: "尚無檢視紀錄 No review campaigns yet." }),
      );
    } catch (error) {
      sayError(region, error);
    }
  }

  async function open(id) {
    let campaign;
    try {
      campaign = await api(`/v1/reviews/${encodeURIComponent(id)}`);
    } catch (error) {
      sayError(region, error);
      return;
    }
    const isOpen = !campaign.closed_at;
    const decide = (item, decision) => async () => {
      try {
        await api(`/v1/reviews/${encodeURIComponent(id)}/items/${encodeURIComponent(item.id)}`, {
          method: "POST",
          body: { decision },
        });
        say(region, `${item.user} · ${item.table}：${decision === "keep" ? "保留 kept" : "撤銷 revoked"}`, "ok");
        await Promise.all([open(id), refresh(), ctx.refreshGrants()]);
      } catch (error) {
        sayError(region, error);
      }
    };
    fill(
      $("campaign-detail"),
      h("h3", { text: `檢視 ${campaign.id}（${campaign.agency}）${isOpen ? "進行中 open" : "已結束 closed"}` }),
      campaign.items.length
        ? recordTable(
            [
              ["user", "使用者 User"],
              ["table", "資料表 Table"],
              [(i) => columnsText(i.columns), "欄位 Columns"],
              [(i) => (i.last_used_at ? formatTime(i.last_used_at) : "從未使用 never used"), "最後使用 Last used"],
              [(i) => (i.decision ? `${i.decision}（${i.decided_by}）` : "待決定 undecided"), "決定 Decision"],
            ],
            campaign.items,
            {
              extra: (item) =>
                isOpen && !item.decision
                  ? h(
                      "div",
                      { class: "actions" },
                      h("button", { type: "button", class: "secondary", text: "保留 Keep", onclick: decide(item, "keep") }),
                      h("button", {
                        type: "button",
                        class: "danger",
                        text: "撤銷 Revoke",
                        disabled: !item.revocable,
                        title: item.revocable ? null : "寫在 civicfed.toml 的授權須修改設定檔 granted in civicfed.toml",
                        onclick: decide(item, "revoke"),
                      }),
                    )
                  : null,
            },
          )
        : h("p", { text: "此機關沒有需要檢視的權限 Nothing to review." }),
    );
  }

  onSubmit($("review-start"), async () => {
    try {
      const campaign = await api("/v1/reviews", {
        method: "POST",
        body: { agency: $("review-agency").value.trim() },
      });
      say(region, `已開始檢視 ${campaign.id}，共 ${campaign.items.length} 項。 Review started.`, "ok");
      await Promise.all([refresh(), open(campaign.id)]);
    } catch (error) {
      sayError(region, error);
    }
  });
  return refresh;
}

function mountUsage(ctx) {
  const region = $("usage-messages");
  const owned = ctx.sources.filter((s) => s.owner === ctx.me.agency);
  fill($("usage-source"), owned.map((s) => h("option", { value: s.source, text: `${s.source} (${s.kind})` })));
  $("usage-month").value = thisMonth();
  onSubmit($("usage-form"), async () => {
    try {
      const usage = await api(`/v1/usage/${encodeURIComponent($("usage-source").value)}`, {
        query: { month: $("usage-month").value },
      });
      region.replaceChildren();
      fill(
        $("usage-list"),
        usage.length
          ? recordTable(
              [
                ["agency", "機關 Agency"],
                ["user", "使用者 User"],
                ["queries", "查詢次數 Queries"],
                ["ok", "成功 OK"],
                [(u) => formatTime(u.last), "最後查詢 Last"],
              ],
              usage,
            )
          : h("p", { text: "本月沒有查詢 No queries this month." }),
      );
    } catch (error) {
      sayError(region, error);
    }
  });
}

function mountEvidence(ctx) {
  const region = $("evidence-messages");

  async function refresh() {
    try {
      const open = await api("/v1/evidence");
      fill(
        $("evidence-list"),
        open.length
          ? recordTable(
              [
                ["query_id", "查詢編號 Query"],
                ["querier", "查詢人 Querier"],
                ["requested_by", "要求者 Requested by"],
                [(r) => formatTime(r.requested_at), "時間 When"],
                ["what", "需要的佐證 Wanted"],
              ],
              open,
              { extra: (r) => answerForm(r) },
            )
          : h("p", { text: "沒有待回覆的佐證要求 No open requests." }),
      );
    } catch (error) {
      sayError(region, error);
    }
  }

  function answerForm(request) {
    const text = h("input", {
      id: `evidence-answer-${request.query_id}`,
      maxlength: 2000,
      "aria-label": `回覆 ${request.query_id} 的佐證 Evidence for ${request.query_id}`,
      placeholder: "佐證內容 evidence",
    });
    const form = h("form", { class: "row" }, text, h("button", { type: "submit", text: "回覆 Answer" }));
    onSubmit(form, async () => {
      if (!text.value.trim()) {
        say(region, "請填寫佐證內容 Write the evidence.", "error");
        return;
      }
      try {
        await api(`/v1/evidence/${encodeURIComponent(request.query_id)}/answer`, {
          method: "POST",
          body: { evidence: text.value.trim() },
        });
        say(region, `已回覆 ${request.query_id} Answered.`, "ok");
        await refresh();
      } catch (error) {
        sayError(region, error);
      }
    });
    return form;
  }

  if (ctx.isOwner) {
    $("evidence-request").hidden = false;
    onSubmit($("evidence-request"), async () => {
      try {
        await api("/v1/evidence", {
          method: "POST",
          body: { query_id: $("evidence-query").value.trim(), what: $("evidence-what").value.trim() },
        });
        say(region, "已送出佐證要求 Evidence requested.", "ok");
      } catch (error) {
        sayError(region, error);
      }
    });
  }
  return refresh;
}

/** Mounts the sections the user's roles use; returns one refresh for all of them. */
export function mountOversight(ctx) {
  const refreshes = [mountEvidence(ctx)];
  if (ctx.isManager) refreshes.push(mountReviews(ctx));
  if (ctx.isOwner) mountUsage(ctx);
  return () => Promise.all(refreshes.map((refresh) => refresh()));
}
