// The platform administrator's page: the accounts, a form to create one (with an initial
// password), and suspending or reactivating an account with a reason.

import { api, fill, h, onSubmit, recordTable, say, sayError, startPage } from "./common.js";

const $ = (id) => document.getElementById(id);
const messages = $("messages");
const ROLES = [
  ["user", "承辦人 user"],
  ["analyst", "分析人員 analyst"],
  ["data_owner", "資料擁有者 data_owner"],
  ["agency_manager", "機關主管 agency_manager"],
  ["auditor", "稽核人員 auditor"],
  ["platform_admin", "平台管理者 platform_admin"],
];

function statusForm(account, refresh) {
  const target = account.status === "active" ? "suspended" : "active";
  const reason = h("input", {
    maxlength: 2000,
    "aria-label": `變更 ${account.name} 狀態的理由 Reason`,
    placeholder: "理由 reason",
  });
  const form = h(
    "form",
    { class: "row" },
    reason,
    h("button", {
      type: "submit",
      class: target === "suspended" ? "danger" : "secondary",
      text: target === "suspended" ? "停權 Suspend" : "復權 Reactivate",
    }),
  );
  onSubmit(form, async () => {
    const region = $("accounts-messages");
    if (!reason.value.trim()) {
      say(region, "請寫明理由 Give a reason.", "error");
      return;
    }
    try {
      await api(`/v1/accounts/${encodeURIComponent(account.name)}/status`, {
        method: "POST",
        body: { status: target, reason: reason.value.trim() },
      });
      say(region, `${account.name}：${target}`, "ok");
      await refresh();
    } catch (error) {
      sayError(region, error);
    }
  });
  return form;
}

async function main() {
  fill(
    $("account-roles"),
    ROLES.map(([role, title]) =>
      h("label", { for: `role-${role}` }, h("input", { type: "checkbox", id: `role-${role}`, value: role }), ` ${title}`),
    ),
  );

  async function refresh() {
    try {
      const accounts = await api("/v1/accounts");
      fill(
        $("account-list"),
        recordTable(
          [
            ["name", "帳號 Name"],
            ["display_name", "顯示名稱 Display name"],
            ["agency", "機關 Agency"],
            ["district", "行政區 District"],
            [(a) => a.roles, "角色 Roles"],
            [(a) => (a.status_reason ? `${a.status}（${a.status_reason}）` : a.status), "狀態 Status"],
            ["departure_date", "離職日 Departure"],
          ],
          accounts,
          { extra: (a) => statusForm(a, refresh) },
        ),
      );
    } catch (error) {
      sayError($("accounts-messages"), error);
    }
  }

  onSubmit($("create-form"), async () => {
    const region = $("create-messages");
    const roles = [...$("account-roles").querySelectorAll("input:checked")].map((b) => b.value);
    const body = {
      name: $("account-name").value.trim(),
      agency: $("account-agency").value.trim(),
      roles,
    };
    if (!body.name || !body.agency || roles.length === 0) {
      say(region, "請填寫帳號、機關並選擇角色 Give a name, an agency and a role.", "error");
      return;
    }
    for (const [key, id] of [
      ["district", "account-district"],
      ["display_name", "account-display"],
      ["password", "account-password"],
    ]) {
      const value = $(id).value.trim();
      if (value) body[key] = value;
    }
    try {
      const created = await api("/v1/accounts", { method: "POST", body });
      say(region, `已建立帳號 ${created.name} Account created.`, "ok");
      $("account-password").value = "";
      await refresh();
    } catch (error) {
      sayError(region, error);
    }
  });
  await refresh();
  document.body.dataset.ready = "true";
}

if (await startPage(["platform_admin"], messages)) {
  try {
    await main();
  } catch (error) {
    sayError(messages, error);
  }
}
