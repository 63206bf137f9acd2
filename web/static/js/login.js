// One login form for every app: on success `onLoggedIn()` starts the app with the new session. Besides the
// username and password it offers what the service is configured for (GET /api/login/options): the province's
// 统一身份认证 (a link away to the platform and back, logged in) and 短信验证码登录. Someone imported without a
// password reaches 首次登录激活; someone whose password has expired is asked for a new one (等级保护 rules:
// at least 8 characters of 3 kinds, not the username, not one of the last five) and goes straight on.

import { get, post } from "./api.js";
import { errorText, h } from "./ui.js";

let options = null;  // asked once per page

function loginOptions() {
  if (!options) options = get("/api/login/options").catch(() => ({ oidc: null, sms: false }));
  return options;
}

export function loginForm(title, onLoggedIn) {
  const box = h("div", { class: "login-box" });
  const views = {};
  const cards = {
    login: (name, notice) => loginCard(title, onLoggedIn, views, name, notice),
    activation: (name) => activationCard(title, onLoggedIn, views, name),
    expired: (name, current) => newPasswordCard(title, onLoggedIn, views, name, current),
    sms: () => smsCard(title, onLoggedIn, views),
  };
  views.show = (card, ...args) => box.replaceChildren(cards[card](...args));
  views.show("login", "");
  return box;
}

// The other ways in, under the password form: only those configured.
function otherWays(views) {
  const holder = h("div", { class: "other-logins" });
  loginOptions().then((offered) => {
    const ways = [];
    if (offered.oidc) {
      ways.push(h("a", { class: "button secondary", id: "oidc-login",
        href: `${offered.oidc.url}?next=${encodeURIComponent(location.pathname)}` }, offered.oidc.label));
    }
    if (offered.sms) {
      ways.push(h("button", { class: "secondary", type: "button", onclick: () => views.show("sms") }, "短信验证码登录"));
    }
    if (ways.length) holder.replaceChildren(h("p", { class: "muted or" }, "或"), ...ways);
  });
  return holder;
}

function loginCard(title, onLoggedIn, views, name, notice) {
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true, value: name });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password",
    required: true });
  const error = h("p", { class: "error", role: "alert" }, notice || "");
  const form = h("form", { class: "card login", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await post("/api/login", { username: username.value.trim(), password: password.value });
      await onLoggedIn();
    } catch (failure) {
      if (failure.code === "password_expired") { views.show("expired", username.value.trim(), password.value); return; }
      if (failure.body && failure.body.locked === "account") {
        const minutes = Math.ceil(Number(failure.body.retry_after || 60) / 60);
        error.textContent = `连续登录失败次数过多，账号已锁定，${minutes} 分钟后自动解锁；急需使用请联系本单位管理员解锁`;
        return;
      }
      error.textContent = failure.status === 401 ? "用户名或密码不正确" : errorText(failure);
    }
  } },
  h("h1", {}, title),
  h("label", { for: "username" }, "用户名"), username,
  h("label", { for: "password" }, "密码"), password,
  error,
  h("button", { class: "primary", type: "submit" }, "登录"),
  otherWays(views),
  h("p", { class: "login-links" }, "没有密码？", h("a", { href: "#", onclick: (event) => {
    event.preventDefault();
    views.show("activation", username.value.trim());
  } }, "首次登录激活")));
  setTimeout(() => (name ? password : username).focus());
  return form;
}

function backToLogin(views, name) {
  return h("p", { class: "login-links" }, h("a", { href: "#", onclick: (event) => {
    event.preventDefault();
    views.show("login", name ? name() : "");
  } }, "返回登录"));
}

// Checked here only so a person hears it at once; the service checks the same rules.
function passwordProblem(password, again, username) {
  const kinds = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9\s]/].filter((kind) => kind.test(password)).length;
  if (password.length < 8) return "密码至少 8 位";
  if (kinds < 3) return "密码须包含大写字母、小写字母、数字、符号中的至少 3 类";
  if (username && username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) return "密码不能包含用户名";
  if (password !== again) return "两次输入的密码不一致";
  return "";
}

const RULES = "至少 8 位，包含大写字母、小写字母、数字、符号中的至少 3 类，不能包含用户名，不能与最近 5 次用过的密码相同。";

// The password was right but has expired: a new one, then straight into the app.
function newPasswordCard(title, onLoggedIn, views, name, current) {
  const password = h("input", { id: "new-password", type: "password", autocomplete: "new-password", required: true });
  const again = h("input", { id: "new-again", type: "password", autocomplete: "new-password", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const submit = h("button", { class: "primary", type: "submit" }, "修改密码并登录");
  const form = h("form", { class: "card login", onsubmit: async (event) => {
    event.preventDefault();
    const problem = passwordProblem(password.value, again.value, name);
    if (problem) { error.textContent = problem; password.focus(); return; }
    submit.disabled = true;
    try {
      await post("/api/password", { username: name, password: current, new_password: password.value });
      await post("/api/login", { username: name, password: password.value });
    } catch (failure) {
      submit.disabled = false;
      error.textContent = errorText(failure);
      return;
    }
    await onLoggedIn();
  } },
  h("h1", {}, title),
  h("h2", {}, "密码已过期"),
  h("p", { class: "muted" }, `${name}，您的密码已超过有效期，请设置新密码后继续。新密码${RULES}`),
  h("label", { for: "new-password" }, "新密码"), password,
  h("label", { for: "new-again" }, "确认新密码"), again,
  error, submit, backToLogin(views, () => name));
  setTimeout(() => password.focus());
  return form;
}

// 短信验证码登录: the mobile number, a code sent to it (at most once a minute), then straight into the app.
function smsCard(title, onLoggedIn, views) {
  const mobile = h("input", { id: "sms-mobile", type: "tel", inputmode: "numeric", autocomplete: "tel", required: true,
    placeholder: "11 位手机号" });
  const code = h("input", { id: "sms-code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6,
    placeholder: "6 位数字" });
  const error = h("p", { class: "error", role: "alert" });
  const sent = h("p", { class: "muted", role: "status" });
  const send = h("button", { class: "secondary", type: "button", onclick: async () => {
    if (!/^1[3-9][0-9]{9}$/.test(mobile.value.replace(/[\s-]/g, ""))) { error.textContent = "请输入正确的 11 位手机号"; return; }
    error.textContent = "";
    send.disabled = true;
    try {
      await post("/api/login/sms-code", { mobile: mobile.value });
      sent.textContent = "如果该手机号已在本平台登记，验证码短信已发出，5 分钟内有效";
      code.focus();
      let left = 60;
      send.textContent = `${left} 秒后可重新获取`;
      const timer = setInterval(() => {
        left -= 1;
        send.textContent = left > 0 ? `${left} 秒后可重新获取` : "获取验证码";
        if (left <= 0) { clearInterval(timer); send.disabled = false; }
      }, 1000);
    } catch (failure) {
      send.disabled = false;
      error.textContent = errorText(failure);
    }
  } }, "获取验证码");
  const form = h("form", { class: "card login", onsubmit: async (event) => {
    event.preventDefault();
    if (!/^[0-9]{6}$/.test(code.value.trim())) { error.textContent = "请输入短信中的 6 位验证码"; return; }
    try {
      await post("/api/login/sms", { mobile: mobile.value, code: code.value.trim() });
    } catch (failure) {
      error.textContent = failure.status === 401 ? "验证码不正确或已过期，请重新获取" : errorText(failure);
      return;
    }
    await onLoggedIn();
  } },
  h("h1", {}, title),
  h("h2", {}, "短信验证码登录"),
  h("label", { for: "sms-mobile" }, "手机号"), mobile,
  h("div", { class: "buttons" }, send), sent,
  h("label", { for: "sms-code" }, "验证码"), code,
  error,
  h("button", { class: "primary", type: "submit" }, "登录"),
  backToLogin(views));
  setTimeout(() => mobile.focus());
  return form;
}

const ACTIVATION_ERRORS = {
  invalid_activation_code: "用户名或激活码不正确，请核对管理员发给您的激活码",
  activation_code_expired: "激活码已过期，请向本单位管理员重新索取",
  already_activated: "此激活码已使用过，账号已激活，请直接用密码登录",
};

function activationCard(title, onLoggedIn, views, name) {
  const username = h("input", { id: "activate-username", name: "username", autocomplete: "username", required: true,
    value: name });
  const code = h("input", { id: "activate-code", name: "code", autocomplete: "one-time-code", required: true,
    autocapitalize: "characters", spellcheck: "false", placeholder: "10 位字母和数字" });
  const password = h("input", { id: "activate-password", type: "password", autocomplete: "new-password", required: true });
  const again = h("input", { id: "activate-again", type: "password", autocomplete: "new-password", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const submit = h("button", { class: "primary", type: "submit" }, "激活并登录");
  for (const input of [username, code, password, again]) input.addEventListener("input", () => { error.textContent = ""; });
  const form = h("form", { class: "card login", onsubmit: async (event) => {
    event.preventDefault();
    const who = username.value.trim();
    const problem = passwordProblem(password.value, again.value, who);
    if (problem) { error.textContent = problem; (problem.includes("一致") ? again : password).focus(); return; }
    submit.disabled = true;
    try {
      await post("/api/activate", { username: who, code: code.value.trim(), password: password.value });
    } catch (failure) {
      submit.disabled = false;
      error.textContent = ACTIVATION_ERRORS[failure.code] || errorText(failure);
      return;
    }
    try {
      await post("/api/login", { username: who, password: password.value });
    } catch (failure) {
      views.show("login", who, `账号已激活，请用新密码登录（${errorText(failure)}）`);
      return;
    }
    await onLoggedIn();
  } },
  h("h1", {}, title),
  h("h2", {}, "首次登录激活"),
  h("p", { class: "muted" }, "请输入本单位管理员发给您的激活码（7 天内有效，只能用一次），并设置您自己的登录密码。"),
  h("label", { for: "activate-username" }, "用户名"), username,
  h("label", { for: "activate-code" }, "激活码"), code,
  h("label", { for: "activate-password" }, "设置密码（至少 8 位，含 3 类字符）"), password,
  h("label", { for: "activate-again" }, "确认密码"), again,
  error,
  submit,
  backToLogin(views, () => username.value.trim()));
  setTimeout(() => (name ? code : username).focus());
  return form;
}
