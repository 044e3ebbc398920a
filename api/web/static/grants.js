// Grants (GET /v1/grants) with revoke, and the manager's delegation of an agency grant to one
// of the agency's users (POST /v1/grants/{id}/delegate).

import { api, columnsText, fill, formatTime, h, onSubmit, recordTable, say, sayError } from "./common.js";

const $ = (id) => document.getElementById(id);

/** Whether the page offers to revoke ``grant`` (the server decides again). */
function offersRevoke(ctx, grant) {
  if (!grant.active) return false;
  if (ctx.isOwner && ctx.ownerOf(grant.table.split(".")[0]) === ctx.me.agency) return true;
  return ctx.isManager && grant.user !== null;
}

function revokeForm(ctx, grant, region, refresh) {
  const reason = h("input", {
    id: `revoke-reason-${grant.id}`,
    maxlength: 2000,
    "aria-label": `撤銷 ${grant.id} 的理由 Reason to revoke ${grant.id}`,
    placeholder: "撤銷理由 reason",
  });
  const form = h(
    "form",
    { class: "row revoke" },
    reason,
    h("button", { type: "submit", class: "danger", text: "撤銷 Revoke" }),
  );
  onSubmit(form, async () => {
    if (!reason.value.trim()) {
      say(region, "請寫明撤銷理由 Say why the grant is revoked.", "error");
      reason.focus();
      return;
    }
    try {
      const done = await api(`/v1/grants/${encodeURIComponent(grant.id)}/revoke`, {
        method: "POST",
        body: { reason: reason.value.trim() },
      });
      say(region, `已撤銷 Revoked: ${done.revoked.join(", ")}`, "ok");
      await refresh();
    } catch (error) {
      sayError(region, error);
    }
  });
  return form;
}

/** Draws the grants section (and the delegation form for managers); returns its refresh. */
export function mountGrants(ctx) {
  const region = $("grants-messages");
  let agencyGrants = [];

  async function refresh() {
    let grants;
    try {
      grants = await api("/v1/grants", {
        query: { include_revoked: $("grants-revoked").checked ? "true" : "false" },
      });
    } catch (error) {
      sayError(region, error);
      return;
    }
    fill(
      $("grant-list"),
      grants.length
        ? recordTable(
            [
              ["id", "編號 Id"],
              ["table", "資料表 Table"],
              [(g) => g.user || `機關 agency ${g.agency}`, "對象 Holder"],
              [(g) => columnsText(g.spec.columns), "欄位 Columns"],
              [(g) => g.spec.purposes, "目的 Purposes"],
              ["parent", "來自 Parent"],
              [(g) => `${g.created_by} ${formatTime(g.created_at)}`, "建立 Created"],
              [
                (g) =>
                  g.active
                    ? h("span", { class: "status ok", text: "有效 active" })
                    : h("span", { class: "status bad", text: `已撤銷 revoked: ${g.revoke_reason || ""}` }),
                "狀態 State",
              ],
            ],
            grants,
            {
              extra: (g) => (offersRevoke(ctx, g) ? revokeForm(ctx, g, region, refresh) : null),
            },
          )
        : h("p", { text: "沒有由審核流程建立的授權 No stored grants." }),
    );
    agencyGrants = grants.filter((g) => g.active && !g.parent && g.agency === ctx.me.agency);
    if (ctx.isManager) drawDelegateChoices();
  }

  function drawDelegateChoices() {
    const select = $("delegate-grant");
    const chosen = select.value;
    fill(
      select,
      agencyGrants.length
        ? agencyGrants.map((g) =>
            h("option", { value: g.id, text: `${g.id} · ${g.table} · ${columnsText(g.spec.columns)}` }),
          )
        : h("option", { value: "", text: "（本機關沒有可委派的授權 no agency grant）" }),
    );
    if (agencyGrants.some((g) => g.id === chosen)) select.value = chosen;
    drawDelegateColumns();
  }

  function drawDelegateColumns() {
    const grant = agencyGrants.find((g) => g.id === $("delegate-grant").value);
    const columns = grant ? grant.spec.columns : null;
    fill(
      $("delegate-columns"),
      columns && columns !== "*"
        ? Object.entries(columns).map(([name, mode]) =>
            h(
              "label",
              { for: `delegate-col-${name}` },
              h("input", { type: "checkbox", id: `delegate-col-${name}`, value: name, "data-mode": mode, checked: true }),
              ` ${name} (${mode})`,
            ),
          )
        : h("p", { class: "hint", text: grant ? "整份授權 the whole grant" : "—" }),
    );
  }

  if (ctx.isManager) {
    $("delegate-grant").addEventListener("change", drawDelegateColumns);
    onSubmit($("delegate-form"), async () => {
      const target = $("delegate-messages");
      const grantId = $("delegate-grant").value;
      const user = $("delegate-user").value.trim();
      if (!grantId || !user) {
        say(target, "請選擇授權並填寫使用者帳號 Choose a grant and a user.", "error");
        return;
      }
      const boxes = [...$("delegate-columns").querySelectorAll("input[type=checkbox]")];
      const chosen = boxes.filter((b) => b.checked);
      if (boxes.length && chosen.length === 0) {
        say(target, "至少委派一個欄位 Hand on at least one column.", "error");
        return;
      }
      const body = { user };
      if (chosen.length < boxes.length) {
        body.columns = Object.fromEntries(chosen.map((b) => [b.value, b.dataset.mode]));
      }
      try {
        const grant = await api(`/v1/grants/${encodeURIComponent(grantId)}/delegate`, {
          method: "POST",
          body,
        });
        say(target, `已委派給 ${user}，授權編號 grant ${grant.id}。 Delegated.`, "ok");
        await refresh();
      } catch (error) {
        sayError(target, error);
      }
    });
  }
  onSubmit($("grants-filter"), refresh);
  return refresh;
}
