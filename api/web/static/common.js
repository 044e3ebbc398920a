// Shared by every page: the /v1 API client, the signed-in session, and small DOM helpers.
// Every value from the API is put into the page as text (textContent), never as HTML.

export const TOKEN_KEY = "civicfed.token";

export const PAGES = [
  { path: "/web/clerk", roles: ["user"], title: "個案查詢 Case lookup" },
  { path: "/web/analyst", roles: ["analyst"], title: "統計分析 Statistics" },
  {
    path: "/web/governance",
    roles: ["data_owner", "agency_manager"],
    title: "申請與授權 Applications & grants",
  },
  { path: "/web/auditor", roles: ["auditor"], title: "稽核 Audit" },
  { path: "/web/accounts", roles: ["platform_admin"], title: "帳號管理 Accounts" },
];

/** The pages a user with ``roles`` may open, in menu order. */
export function pagesFor(roles) {
  return PAGES.filter((page) => page.roles.some((role) => roles.includes(role)));
}

/** An error answered by the API: its status and the body's {code, message, query_id}. */
export class ApiError extends Error {
  constructor(status, code, message, queryId) {
    super(message);
    this.status = status;
    this.code = code;
    this.queryId = queryId || null;
  }
}

/**
 * Calls the API and gives back the parsed JSON (null for 204), or {blob, headers} with
 * ``asBlob``. Throws ApiError with the server's error shape for any non-2xx answer.
 */
export async function api(path, { method = "GET", body, query, accept, asBlob = false } = {}) {
  const headers = { Accept: accept || "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const url = query ? `${path}?${new URLSearchParams(query)}` : path;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network_error", "無法連線到伺服器 The server cannot be reached.");
  }
  if (!response.ok) {
    let error = { code: `http_${response.status}`, message: response.statusText, query_id: null };
    try {
      const payload = await response.json();
      if (payload && payload.error) error = payload.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, error.code, error.message, error.query_id);
  }
  if (asBlob) return { blob: await response.blob(), headers: response.headers };
  if (response.status === 204) return null;
  return response.json();
}

/** Builds an element: ``props`` are attributes, ``on…`` listeners, ``text`` the text. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Replaces ``node``'s children with ``children``, leaving out null, undefined and false. */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** Replaces ``region``'s content with one message (kind: info, ok, warn, error). */
export function say(region, text, kind = "info") {
  const message = h("p", { class: `msg ${kind}`, role: kind === "error" ? "alert" : null }, text);
  region.replaceChildren(message);
  return message;
}

/** Shows an API error with its code, message and query id (a denial shows its reason). */
export function sayError(region, error) {
  if (!(error instanceof ApiError)) {
    say(region, `錯誤 Error: ${error && error.message ? error.message : error}`, "error");
    return;
  }
  const message = say(region, "", "error");
  message.append(
    h("strong", { text: `${errorTitle(error)} ` }),
    h("code", { class: "error-code", text: error.code }),
    h("br"),
    h("span", { class: "error-message", text: error.message }),
  );
  if (error.queryId) {
    message.append(h("br"), h("span", { class: "qid", text: `查詢編號 query id: ${error.queryId}` }));
  }
  if (error.status === 401) {
    message.append(" ", h("a", { href: "/", text: "重新登入 Sign in again" }));
  }
}

function errorTitle(error) {
  const titles = {
    access_denied: "拒絕存取 Access denied",
    purpose_required: "缺少查詢目的 Purpose required",
    invalid_query: "查詢無效 Invalid query",
    source_unavailable: "資料來源無法使用 Source unavailable",
    forbidden: "無此權限 Forbidden",
    not_found: "找不到 Not found",
  };
  return titles[error.code] || "錯誤 Error";
}

/** Adds ``run`` to a form's submit, with the form's buttons disabled while it runs. */
export function onSubmit(form, run) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      await run(event);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
}

/**
 * Starts a page: needs a token (else back to sign-in), fetches /v1/me, draws the header and
 * checks the page's roles. Returns the account, or null when the page is not for this user.
 */
export async function startPage(pageRoles, messages) {
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    location.replace("/");
    return null;
  }
  let me;
  try {
    me = await api("/v1/me");
  } catch (error) {
    sayError(messages, error);
    return null;
  }
  drawHeader(me);
  if (!pageRoles.some((role) => me.roles.includes(role))) {
    say(
      messages,
      `此頁供角色 ${pageRoles.join(", ")} 使用；您的角色是 ${me.roles.join(", ")}。` +
        ` This page is for ${pageRoles.join(", ")}.`,
      "warn",
    );
    return null;
  }
  return me;
}

function drawHeader(me) {
  const header = document.getElementById("site-header");
  if (!header) return;
  const links = pagesFor(me.roles).map((page) =>
    h(
      "li",
      {},
      h("a", {
        href: page.path,
        text: page.title,
        "aria-current": location.pathname === page.path ? "page" : null,
      }),
    ),
  );
  const signOut = h("button", { type: "button", text: "登出 Sign out", onclick: signOutNow });
  header.replaceChildren(
    h("span", { class: "brand", text: "civicfed 資料整合查詢" }),
    h("nav", { "aria-label": "頁面 Pages" }, h("ul", {}, links)),
    h("span", {
      class: "who",
      text: `${me.display_name || me.name}（${me.name}，${me.agency}${me.district ? "，" + me.district : ""}）`,
    }),
    signOut,
  );
}

async function signOutNow() {
  try {
    await api("/v1/auth/logout", { method: "POST" });
  } catch {
    // signed out locally either way
  }
  sessionStorage.clear();
  location.replace("/?signed_out=1");
}

const NUMERIC = /^(u?int\d+|float\d*|double|halffloat|decimal)/;
const TEXTUAL = /(string|utf8)/;

export function isNumericType(type) {
  return NUMERIC.test(type || "");
}

export function isTextType(type) {
  return TEXTUAL.test(type || "");
}

/**
 * A table of query results. ``masked`` maps a column name to its mask kind: those headers
 * carry a "已遮罩 masked" hint (the server already masked the values).
 */
export function resultTable(columns, rows, { caption, masked = new Map() } = {}) {
  const head = h(
    "tr",
    {},
    columns.map((column) =>
      h(
        "th",
        { scope: "col", title: column.type },
        column.name,
        masked.has(column.name)
          ? h("span", {
              class: "badge masked",
              title: `遮罩方式 mask: ${masked.get(column.name)}`,
              text: "已遮罩 masked",
            })
          : null,
      ),
    ),
  );
  const body = rows.map((row) =>
    h(
      "tr",
      {},
      columns.map((column) => {
        const value = row[column.name];
        if (value === null || value === undefined) {
          return h("td", { class: "null", "aria-label": "空值 null" }, "—");
        }
        return h("td", { class: isNumericType(column.type) ? "num" : null }, String(value));
      }),
    ),
  );
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data" },
      caption ? h("caption", { text: caption }) : null,
      h("thead", {}, head),
      h("tbody", {}, body),
    ),
  );
}

/** A plain table of records: ``columns`` is [[key, header], …]; values shown as text. */
export function recordTable(columns, records, { caption, extra } = {}) {
  const head = h(
    "tr",
    {},
    columns.map(([, title]) => h("th", { scope: "col", text: title })),
    extra ? h("th", { scope: "col", text: "動作 Actions" }) : null,
  );
  const body = records.map((record) =>
    h(
      "tr",
      {},
      columns.map(([key]) => {
        const value = typeof key === "function" ? key(record) : record[key];
        if (value instanceof Node) return h("td", {}, value);
        if (value === null || value === undefined || value === "") {
          return h("td", { class: "null" }, "—");
        }
        return h("td", { class: typeof value === "number" ? "num" : null }, formatValue(value));
      }),
      extra ? h("td", {}, extra(record)) : null,
    ),
  );
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data records" },
      caption ? h("caption", { text: caption }) : null,
      h("thead", {}, head),
      h("tbody", {}, body),
    ),
  );
}

/** A value for display: lists joined, objects as compact JSON, times shortened. */
export function formatValue(value) {
  if (Array.isArray(value)) return value.map(formatValue).join(", ");
  if (value && typeof value === "object") return JSON.stringify(value);
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
    return formatTime(value);
  }
  return String(value);
}

/** An ISO time as local "YYYY-MM-DD HH:MM". */
export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** The current month as YYYY-MM (local time). */
export function thisMonth() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
}

/** A grant's columns ("*" or {column: mode}) as text. */
export function columnsText(columns) {
  if (columns === "*" || columns === undefined || columns === null) return "全部欄位 all columns";
  return Object.entries(columns)
    .map(([name, mode]) => `${name} (${mode})`)
    .join(", ");
}

/** Offers ``blob`` as a download named ``filename``. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, class: "no-print" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** RFC 4180 CSV of JSON rows, with a BOM so spreadsheet programs read the Chinese right. */
export function toCsv(columns, rows) {
  const cell = (value) => {
    if (value === null || value === undefined) return "";
    const text = typeof value === "object" ? JSON.stringify(value) : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [columns.map((c) => cell(c.name)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => cell(row[c.name])).join(","));
  return "\ufeff" + lines.join("\r\n") + "\r\n";
}

/** A definition list of the [term, value] pairs that have a value. */
export function facts(pairs) {
  return h(
    "dl",
    { class: "case-summary" },
    pairs
      .filter(([, value]) => value !== null && value !== undefined && value !== "")
      .flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { text: String(value) })]),
  );
}
