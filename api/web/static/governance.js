// The data owner's and agency manager's page: the application queue (approve, possibly
// narrower, or reject), the apply form, grants with revoke and delegation, access reviews,
// the owner's usage view and evidence requests. Each section shows for the roles it serves;
// the server decides every step again.

import {
  api,
  columnsText,
  facts,
  fill,
  formatTime,
  h,
  onSubmit,
  say,
  sayError,
  startPage,
} from "./common.js";
import { mountGrants } from "./grants.js";
import { mountOversight } from "./oversight.js";

const $ = (id) => document.getElementById(id);
const messages = $("messages");

function requested(spec) {
  return [
    ["欄位 Columns", columnsText(spec.columns)],
    ["目的 Purposes", (spec.purposes || []).join(", ")],
    ["列篩選 Row filter", spec.row_filter],
    ["須指定 Pins", (spec.require || []).map((r) => `${r.column} ≤ ${r.max_values}`).join(", ")],
    [
      "僅限彙總 Aggregate only",
      spec.aggregate_only ? `min group ${spec.aggregate_only.min_group} (${spec.aggregate_only.entity})` : null,
    ],
    ["列數上限 Max rows", spec.max_rows],
    ["有效至 Valid until", spec.valid_until],
  ];
}

function mountApplications(ctx) {
  const list = $("application-list");
  const region = $("applications-messages");

  async function refresh() {
    const status = $("application-status").value;
    try {
      const applications = await api("/v1/applications", { query: status ? { status } : undefined });
      fill(
        list,
        applications.length
          ? applications.map(card)
          : h("p", { text: "沒有符合的申請案件 No applications." }),
      );
    } catch (error) {
      sayError(region, error);
    }
  }

  function card(application) {
    const mine = ctx.isOwner && ctx.ownerOf(application.source) === ctx.me.agency;
    return h(
      "article",
      { class: "card application", "data-id": application.id, "aria-label": `申請 ${application.id}` },
      h(
        "h3",
        {},
        `${application.table} ← ${application.agency} `,
        h("span", { class: `status ${application.status}`, text: application.status }),
      ),
      h("p", {
        class: "meta",
        text: `${application.id} · ${application.applied_by} · ${formatTime(application.applied_at)}`,
      }),
      facts([
        ["公文文號 Document", application.document_ref],
        ["申請理由 Justification", application.justification],
        ...requested(application.spec),
        ["決定者 Decided by", application.decided_by],
        ["決定時間 Decided at", application.decided_at && formatTime(application.decided_at)],
        ["備註 Note", application.decision_note],
        ["核准欄位 Approved columns", application.approved_spec && columnsText(application.approved_spec.columns)],
        ["授權編號 Grant", application.grant_id],
      ]),
      mine && application.status === "pending" ? decisionForms(application) : null,
    );
  }

  function decisionForms(application) {
    const columns = application.spec.columns;
    const boxes =
      columns === "*"
        ? []
        : Object.entries(columns).map(([name, mode]) =>
            h("input", {
              type: "checkbox",
              id: `approve-${application.id}-${name}`,
              value: name,
              "data-mode": mode,
              checked: true,
            }),
          );
    const note = h("textarea", { id: `approve-note-${application.id}`, rows: 2, maxlength: 2000 });
    const approve = h(
      "form",
      { class: "approve" },
      h(
        "fieldset",
        {},
        h("legend", { text: "核准欄位（可縮小範圍） Columns to approve (uncheck to narrow)" }),
        boxes.length
          ? h(
              "div",
              { class: "checks" },
              boxes.map((box) =>
                h("label", { for: box.id }, box, ` ${box.value} (${box.dataset.mode})`),
              ),
            )
          : h("p", { class: "hint", text: "申請全部欄位 All columns requested." }),
      ),
      h(
        "div",
        { class: "field wide" },
        h("label", { for: note.id }, "備註 ", h("span", { class: "hint", text: "Note (optional)" })),
        note,
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", text: "核准 Approve" })),
    );
    onSubmit(approve, async () => {
      const chosen = boxes.filter((box) => box.checked);
      if (boxes.length && chosen.length === 0) {
        say(region, "至少核准一個欄位，或改為駁回 Approve at least one column, or reject.", "error");
        return;
      }
      const narrowed =
        chosen.length < boxes.length
          ? { columns: Object.fromEntries(chosen.map((box) => [box.value, box.dataset.mode])) }
          : null;
      try {
        const decided = await api(`/v1/applications/${encodeURIComponent(application.id)}/approve`, {
          method: "POST",
          body: { narrowed, note: note.value.trim() || null },
        });
        say(region, `已核准 ${decided.id}，授權編號 grant ${decided.grant_id}。 Approved.`, "ok");
        await Promise.all([refresh(), ctx.refreshGrants()]);
      } catch (error) {
        sayError(region, error);
      }
    });

    const reason = h("input", { id: `reject-reason-${application.id}`, maxlength: 2000 });
    const reject = h(
      "form",
      { class: "reject row" },
      h(
        "div",
        { class: "field wide" },
        h("label", { for: reason.id }, "駁回理由 ", h("span", { class: "hint", text: "Reason to reject" })),
        reason,
      ),
      h("button", { type: "submit", class: "danger", text: "駁回 Reject" }),
    );
    onSubmit(reject, async () => {
      if (!reason.value.trim()) {
        say(region, "請寫明駁回理由 Say why the application is rejected.", "error");
        reason.focus();
        return;
      }
      try {
        await api(`/v1/applications/${encodeURIComponent(application.id)}/reject`, {
          method: "POST",
          body: { reason: reason.value.trim() },
        });
        say(region, `已駁回 ${application.id} Rejected.`, "ok");
        await refresh();
      } catch (error) {
        sayError(region, error);
      }
    });
    return h("div", { class: "decision" }, approve, reject);
  }

  onSubmit($("applications-filter"), refresh);
  return refresh;
}

/** {column: mode} from "column=mode" lines, or "*"; throws with the bad line. */
function parseColumns(text) {
  if (text.trim() === "*") return "*";
  const columns = {};
  for (const line of text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf("=");
    const name = at < 0 ? line : line.slice(0, at).trim();
    const mode = at < 0 ? "read" : line.slice(at + 1).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !mode) {
      throw new Error(`無法解讀欄位「${line}」 cannot read column line "${line}"`);
    }
    columns[name] = mode;
  }
  if (Object.keys(columns).length === 0) throw new Error("請列出欄位 List the columns.");
  return columns;
}

function mountApply(ctx, refreshApplications) {
  const region = $("apply-messages");
  fill(
    $("apply-table"),
    ctx.sources.flatMap((source) =>
      (source.tables || []).map((table) =>
        h("option", { value: `${source.source}.${table}`, text: `${source.source}.${table}（${source.owner}）` }),
      ),
    ),
  );
  fill(
    $("apply-purposes"),
    ctx.me.purposes.map((p) =>
      h(
        "label",
        { for: `apply-purpose-${p.code}` },
        h("input", { type: "checkbox", id: `apply-purpose-${p.code}`, value: p.code }),
        ` ${p.name} (${p.code})`,
      ),
    ),
  );
  onSubmit($("apply-form"), async () => {
    let columns;
    try {
      columns = parseColumns($("apply-columns").value);
    } catch (error) {
      say(region, error.message, "error");
      return;
    }
    const purposes = [...$("apply-purposes").querySelectorAll("input:checked")].map((b) => b.value);
    if (purposes.length === 0) {
      say(region, "請至少選一個查詢目的 Choose at least one purpose.", "error");
      return;
    }
    const body = {
      table: $("apply-table").value,
      columns,
      purposes,
      document_ref: $("apply-document").value.trim(),
      justification: $("apply-justification").value.trim(),
    };
    if (!body.document_ref || !body.justification) {
      say(region, "請填寫公文文號與申請理由 Give the document and the justification.", "error");
      return;
    }
    const rowFilter = $("apply-row-filter").value.trim();
    if (rowFilter) body.row_filter = rowFilter;
    const pin = $("apply-pin").value.trim();
    if (pin) body.require = [{ column: pin, max_values: Number($("apply-pin-max").value) || 1 }];
    if ($("apply-valid-until").value) body.valid_until = $("apply-valid-until").value;
    try {
      const created = await api("/v1/applications", { method: "POST", body });
      say(region, `已送出申請 ${created.id}，等待資料擁有機關審核。 Application sent.`, "ok");
      await refreshApplications();
    } catch (error) {
      sayError(region, error);
    }
  });
}

async function main(me) {
  const sources = await api("/v1/sources");
  const owners = new Map(sources.map((s) => [s.source, s.owner]));
  const ctx = {
    me,
    sources,
    isOwner: me.roles.includes("data_owner"),
    isManager: me.roles.includes("agency_manager"),
    ownerOf: (source) => owners.get(source),
    refreshGrants: async () => {},
  };
  const show = (id, visible) => ($(id).hidden = !visible);
  show("applications", true);
  show("apply", ctx.isManager);
  show("grants", true);
  show("delegate", ctx.isManager);
  show("reviews", ctx.isManager);
  show("usage", ctx.isOwner);
  show("evidence", true);
  ctx.refreshGrants = mountGrants(ctx);
  const refreshApplications = mountApplications(ctx);
  if (ctx.isManager) mountApply(ctx, refreshApplications);
  const refreshOversight = mountOversight(ctx);
  await Promise.all([refreshApplications(), ctx.refreshGrants(), refreshOversight()]);
  document.body.dataset.ready = "true";
}

const me = await startPage(["data_owner", "agency_manager"], messages);
if (me) {
  try {
    await main(me);
  } catch (error) {
    sayError(messages, error);
  }
}
