// Sign-in: a token from POST /v1/auth/token kept in sessionStorage, then on to the page of the
// user's role (GET /v1/me). An expired password brings up the change-password form.

import { api, ApiError, h, onSubmit, pagesFor, say, sayError, TOKEN_KEY } from "./common.js";

const messages = document.getElementById("messages");
const loginForm = document.getElementById("login-form");
const passwordForm = document.getElementById("password-form");
const rolePages = document.getElementById("role-pages");

async function signIn(username, password) {
  const token = await api("/v1/auth/token", { method: "POST", body: { username, password } });
  sessionStorage.setItem(TOKEN_KEY, token.access_token);
  const me = await api("/v1/me");
  const pages = pagesFor(me.roles);
  if (pages.length === 1) {
    location.assign(pages[0].path);
    return;
  }
  if (pages.length === 0) {
    say(messages, `您的角色 (${me.roles.join(", ")}) 沒有可用的頁面。 No page for your roles.`, "warn");
    return;
  }
  loginForm.hidden = true;
  rolePages.hidden = false;
  rolePages.replaceChildren(
    h("h2", { text: "選擇頁面 Choose a page" }),
    h("ul", {}, pages.map((page) => h("li", {}, h("a", { href: page.path, text: page.title })))),
  );
}

onSubmit(loginForm, async () => {
  const username = document.getElementById("username").value.trim();
  const password = document.getElementById("password").value;
  try {
    await signIn(username, password);
  } catch (error) {
    if (error instanceof ApiError && error.code === "password_expired") {
      loginForm.hidden = true;
      passwordForm.hidden = false;
      document.getElementById("pw-username").value = username;
      document.getElementById("pw-current").value = password;
      say(messages, "密碼已過期，請變更密碼。 Your password has expired.", "warn");
      document.getElementById("pw-new").focus();
      return;
    }
    sayError(messages, error);
  }
});

onSubmit(passwordForm, async () => {
  const username = document.getElementById("pw-username").value.trim();
  const current = document.getElementById("pw-current").value;
  const fresh = document.getElementById("pw-new").value;
  if (fresh !== document.getElementById("pw-confirm").value) {
    say(messages, "兩次輸入的新密碼不一致 The new passwords differ.", "error");
    return;
  }
  try {
    await api("/v1/auth/password", {
      method: "POST",
      body: { username, current_password: current, new_password: fresh },
    });
    say(messages, "密碼已變更 Password changed.", "ok");
    await signIn(username, fresh);
  } catch (error) {
    sayError(messages, error);
  }
});

if (new URLSearchParams(location.search).has("signed_out")) {
  say(messages, "您已登出 You are signed out.", "ok");
}
document.getElementById("username").focus();
document.body.dataset.ready = "true";
