// The officials' phone app: 待办 and 已办, live over /ws; open a task to read the document, its
// attachments and everyone's opinions; decide with the task's own outcomes — 同意 / 不同意 (with a
// reason) / 已阅 / 签发 — from the bar kept at the bottom (three taps: open, phrase, submit), sign by
// hand; 退回 to a chosen earlier step, 转办, 加签 and 撤回 (task_more.js). Works offline: the app opens
// with the last 待办 and the tasks opened before (sw_offline.js); a decision taken offline waits in the
// outbox as "待发送" and is sent once when the network returns (offline_queue.js); an action is never
// done twice.

import { ApiError, channel, get, once, post } from "./api.js";
import { MOBILE_PAGES } from "./mobile_pages.js";
import { flush, forgetOfflineData, holding, newKey, outboxNotes, pendingBadge, pendingFor, queueAction, sendQueued,
  startOutbox } from "./offline_queue.js";
import { withdrawCard } from "./task_more.js";
import { actionPanel, loadTask, taskCards } from "./task_view.js";
import { connectPush } from "./push.js";
import { beep, dueLine, errorText, h, loginForm, pageBadges, toast, urgencyBadge, when } from "./ui.js";

channel.value = "mobile";
const OFFLINE_LABEL = "离线暂存，联网后发送";
const LIVE_TYPES = ["task.created", "task.urged", "task.returned", "task.escalated", "task.overdue", "task.cancelled",
  "task.resumed", "flow.disagreed"];
const CACHE_KEY = "oa.mobile.todo";
const app = document.getElementById("app");
const state = { me: null, box: "todo", online: navigator.onLine, push: null, alert: null,
  sound: localStorage.getItem("oa.sound") === "1", buttons: [], busy: false };

function render(...children) {
  // replaceChildren would print a null child as the text "null": leave the absent ones out.
  app.replaceChildren(...children.filter((child) => child !== null && child !== undefined && child !== false));
  state.buttons = state.buttons.filter(({ button }) => app.contains(button));  // forget the last screen's
}

// An action button: disabled while an action is on its way, so a second tap can never send the action
// twice or end in a false error; offline it still works (the decision is queued) and says so.
function actionButton(attrs, label, { submits = false } = {}) {
  const button = h("button", attrs, label);
  state.buttons.push({ button, label, submits });
  refreshButtons();
  return button;
}

function refreshButtons() {
  const offline = !navigator.onLine;
  for (const { button, label, submits } of state.buttons) {
    button.disabled = state.busy;
    if (submits) button.textContent = offline ? OFFLINE_LABEL : label;
  }
}

function statusBar() {
  return h("div", { class: state.online ? "netbar" : "netbar offline", role: "status", id: "netbar" },
    state.online ? "" : "离线：显示的是上次加载的内容，办理意见联网后自动发送");
}

function setOnline(online) {
  state.online = online;
  const bar = document.getElementById("netbar");
  if (bar) bar.replaceWith(statusBar());
  refreshButtons();
}

// Login -----------------------------------------------------------------------------------------

function showLogin() {
  render(loginForm("公文流转 · 移动办公", boot));
}

// 待办 / 已办 ------------------------------------------------------------------------------------

async function loadTasks(box) {
  try {
    const page = await get(`/api/tasks?box=${box}&limit=100`);
    if (box === "todo") localStorage.setItem(CACHE_KEY, JSON.stringify(page));
    return page;
  } catch (failure) {
    if (failure instanceof ApiError) throw failure;
    setOnline(false);
    const cached = box === "todo" && localStorage.getItem(CACHE_KEY);
    return cached ? JSON.parse(cached) : { items: [], counts: {} };
  }
}

function taskCard(task) {
  return h("li", {},
    h("a", { class: `task ${task.urgency === "特急" ? "urgent" : ""}`, href: `#/task/${task.id}` },
      h("div", { class: "task-title" }, urgencyBadge(task.urgency), task.urge_count && task.status === "active"
        ? h("span", { class: "badge badge-orange" }, "催办") : null, task.title, pendingBadge(state.me, task.id)),
      h("div", { class: "task-meta" }, `${task.node_name} · ${task.flow_name}`,
        task.from && task.from.name ? ` · 来自 ${task.from.name}` : ""),
      task.acting_for_name ? h("div", { class: "task-meta acting-for" }, `受${task.acting_for_name}委托代为办理`) : null,
      task.status === "active" ? dueLine(task.due_at)
        : h("span", { class: "due" }, `已办${task.outcome_label ? ` · ${task.outcome_label}` : ""} ${when(task.done_at)}`)));
}

async function showList() {
  const page = await loadTasks(state.box);
  const counts = page.counts || {};
  const tab = (box, label) => h("button", { class: state.box === box ? "tab active" : "tab", role: "tab",
    "aria-selected": String(state.box === box), onclick: () => { state.box = box; showList(); } }, label);
  const sound = h("label", { class: "sound" },
    h("input", { type: "checkbox", checked: state.sound, onchange: (event) => {
      state.sound = event.target.checked;
      localStorage.setItem("oa.sound", state.sound ? "1" : "0");
    } }), " 特急提示音");
  render(
    h("header", { class: "bar" }, h("h1", {}, state.box === "todo" ? "待办" : "已办"),
      h("span", { class: "who" }, state.me ? state.me.display_name : ""),
      h("button", { class: "link", onclick: logout }, "退出")),
    statusBar(),
    state.alert ? h("div", { class: "alert", role: "alert", id: "alert" }, state.alert) : null,
    outboxNotes(state.me),
    h("nav", { class: "tabs", role: "tablist" }, tab("todo", `待办 ${counts.todo ?? ""}`), tab("done", "已办")),
    MOBILE_PAGES.some((item) => item.nav !== false) ? h("nav", { class: "more-pages", "aria-label": "更多功能" },
      MOBILE_PAGES.filter((item) => item.nav !== false).map((item) => h("a", { href: `#/${item.key}` }, item.label))) : null,
    page.items.length ? h("ul", { class: "tasks", id: "tasks" }, page.items.map(taskCard))
      : h("p", { class: "empty" }, state.box === "todo" ? "没有待办事项" : "没有已办事项"),
    sound);
  pageBadges(app.querySelector(".more-pages"), MOBILE_PAGES);
}

async function logout() {
  try { await post("/api/logout"); } catch { /* the session may already be gone */ }
  if (state.push) { state.push.close(); state.push.reset(); }
  localStorage.removeItem(CACHE_KEY);
  forgetOfflineData();
  location.hash = "";
  showLogin();
}

// Logged out elsewhere, deactivated, password changed or expired: as after a 401, without the cached list.
function sessionEnded() {
  state.push.reset();
  localStorage.removeItem(CACHE_KEY);
  forgetOfflineData();
  showLogin();
}

// One task ---------------------------------------------------------------------------------------

// The decision is put in the outbox first (with its idempotency key): offline it waits there as 待发送;
// online it is sent now, and a lost answer is retried with the same key, so it is done once.
async function act(task, path, body, doneText) {
  if (state.busy) return;  // one action at a time: its buttons are disabled until it is answered
  if (!state.me) { toast("尚未确认登录身份，请联网后办理", "warn"); return; }
  const waiting = pendingFor(state.me, task.id);
  let item = waiting && waiting.path === path ? waiting : null;
  try {
    item ||= queueAction(state.me, task, path, body, path === "disagree" ? "不同意" : doneText.replace(/^已(?!阅)/, ""));
  } catch {  // the phone's storage is full (a large 批示 or signature): online it is sent unkept
    if (!navigator.onLine) { toast("手机存储空间不足，无法暂存，请联网后办理", "error"); return; }
    item = { key: newKey(), task_id: task.id, path, body };
  }
  if (!navigator.onLine) {
    toast("已暂存，联网后自动发送", "ok");
    location.hash = "#/";
    return;
  }
  state.busy = true;
  refreshButtons();
  const alreadyDone = async (error) => {
    if (error.code !== "task_not_active") return false;
    const current = await get(`/api/tasks/${task.id}`);
    return current.done_by && current.done_by.user_id === state.me.id;
  };
  try {
    await holding(item, () => once(() => sendQueued(item), alreadyDone));
    toast(doneText, "ok");
    location.hash = "#/";
  } catch (failure) {
    if (failure instanceof ApiError) toast(errorText(failure), "error");
    else { toast("网络不稳定，已暂存，联网后自动发送", "warn"); location.hash = "#/"; }
  } finally {
    state.busy = false;
    refreshButtons();
  }
}

async function showTask(taskId) {
  let loaded;
  try {
    loaded = await loadTask(taskId);
  } catch (failure) {
    toast(failure.status === 404 ? "该事项不存在或已不属于您" : errorText(failure), "error");
    location.hash = "#/";
    return;
  }
  const { task } = loaded;
  const queued = pendingFor(state.me, task.id);
  const actions = task.status === "active" && !queued ? actionPanel(task, { me: state.me, act, actionButton }) : null;
  // The document first, then what others said, then one's own opinion; the decision stays at hand below.
  render(
    h("header", { class: "bar" }, h("a", { class: "back", href: "#/" }, "‹ 返回"), h("h1", {}, task.node_name)),
    statusBar(),
    ...taskCards(loaded, state.me),
    actions ? actions.panel : h("p", { class: "card" }, queued ? `「${queued.label}」已暂存，联网后自动发送`
      : `此事项已${task.status === "done" ? "办理" : "不在您的待办中"}`),
    actions ? null : withdrawCard(task, state.me, "#/"),
    actions ? actions.bar : null);
}

// Start ----------------------------------------------------------------------------------------

function onEvent(event) {
  if (!LIVE_TYPES.includes(event.type)) return;
  const data = event.data || {};
  if (event.type === "task.created" && data.urgency === "特急") {
    state.alert = `特急：${data.title}（${data.node_name}）`;
    if (state.sound) beep();
  } else if (event.type === "task.urged") {
    state.alert = `催办：${data.title}${data.by ? `（${data.by}${data.message ? `：${data.message}` : ""}）` : ""}`;
  } else if (event.type === "flow.disagreed") {
    state.alert = `${data.by}不同意《${data.title}》：${data.reason}`;
  }
  if (["", "#", "#/"].includes(location.hash)) showList();  // the list only: never over a task or a page
  // The 消息 page shows the new message once the service has recorded it (a moment after the push).
  else if (location.hash.startsWith("#/messages")) setTimeout(route, 1000);
}

// A screen of a page from mobile_pages.js: its header leads back to the list.
function pageFrame(title, ...content) {
  render(h("header", { class: "bar" }, h("a", { href: "#/", class: "back", "aria-label": "返回待办" }, "‹"),
    h("h1", {}, title)), statusBar(), ...content);
}

function route() {
  const match = location.hash.match(/^#\/task\/(task-[0-9a-f]+)$/);
  const [, key, id] = location.hash.split("/");
  const page = MOBILE_PAGES.find((item) => item.key === key);
  if (match) showTask(match[1]);
  else if (page) {
    page.show({ id, render: pageFrame, me: state.me, back: () => { location.hash = "#/"; } })
      .catch((failure) => toast(errorText(failure), "error"));
  } else showList();
}

async function boot() {
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});  // not on plain http off localhost
  try {
    state.me = await get("/api/me");
  } catch (failure) {
    if (failure.status === 401) { showLogin(); return; }
    setOnline(false);
  }
  if (state.push) state.push.restart();  // logged in again: the same listeners, a socket for the new session
  else {
    state.push = connectPush({ onEvent, onState: (online) => setOnline(online && navigator.onLine),
      onSessionEnded: sessionEnded });
    window.addEventListener("hashchange", route);
    window.addEventListener("online", () => setOnline(true));
    window.addEventListener("offline", () => setOnline(false));
    startOutbox(() => state.me, () => { if (!location.hash.startsWith("#/task/") && !MOBILE_PAGES.some((page) =>
      location.hash.startsWith(`#/${page.key}`))) showList(); });
  }
  route();
  flush(state.me).catch(() => {});  // what was decided offline before this start
}

boot();
