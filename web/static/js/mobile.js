// The officials' phone app: 待办 and 已办, live over /ws; open a task to read the document, its
// attachments and everyone's opinions; decide with the task's own outcomes — 同意 / 不同意 (with a
// reason) / 已阅 / 签发 — from the bar kept at the bottom (three taps: open, phrase, submit), sign by
// hand; 退回 to a chosen earlier step, 转办, 加签 and 撤回 (task_more.js). Works offline: the app opens
// with the last 待办 and the tasks opened before (sw_offline.js); a decision taken offline waits in the
// outbox as "待发送" and is sent once when the network returns (offline_queue.js); an action is never
// done twice.

import { ApiError, channel, get, once, post } from "./api.js";
import { MOBILE_PAGES } from "./mobile_pages.js";
import { phraseChips } from "./opinion_phrases.js";
import { annotationFigure, pageAnnotator } from "./annotate_page.js";
import { flush, forgetOfflineData, holding, newKey, outboxNotes, pendingBadge, pendingFor, queueAction, sendQueued,
  startOutbox } from "./offline_queue.js";
import { moreActions, urgeLine, withdrawCard } from "./task_more.js";
import { connectPush } from "./push.js";
import { beep, documentPages, dueLine, entrySelector, errorText, h, inkOn, loginForm, pageBadges, paperOrigin, toast, urgencyBadge,
  when } from "./ui.js";

channel.value = "mobile";
// Common phrases by the task's main outcome: a reading task is 已阅, an approval 同意.
const PHRASES = { approved: ["同意", "同意，请按程序办理", "请XX同志阅办"], read: ["已阅", "已阅，请抓好落实", "请XX同志阅办"],
  signed_off: ["同意", "同意印发", "请XX同志阅办"], submitted: ["请审核"] };
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

// One task -------------------------------------------------------------------------------------

function timeline(view) {
  const entries = view.audit.filter((entry) => entry.by);
  const holders = (view.current || []).map((item) => `${item.node_name} · ${item.holders.map((who) => who.name).join("、")}`);
  return h("div", {},
    holders.length ? h("p", { class: "holders" }, `当前办理：${holders.join("；")}`) : null,
    h("ol", { class: "timeline" }, entries.map((entry) => h("li", { class: entry.action === "disagreed" ? "disagreed" : "" },
      h("div", {}, h("strong", {}, entry.by.name), entry.by.post ? ` · ${entry.by.post}` : "",
        h("span", { class: "time" }, when(entry.at))),
      h("div", { class: "what" }, `${entry.node_name || ""} `, h("span", { class: "outcome" }, actionName(entry)),
        actionDetail(entry)),
      entry.opinion || entry.reason ? h("blockquote", {}, entry.opinion || entry.reason) : null,
      entry.signature ? h("img", { class: "signed", alt: `${entry.by.name}的手写签名`,
        src: `/api/instances/${view.instance.id}/${entry.signature}` }) : null,
      annotationFigure(view, entry)))));
}

// The service names every action in Chinese (label); these cover an older answer without one.
function actionName(entry) {
  return entry.label || { start: "发起", submitted: "提交", approved: "同意", disagreed: "不同意", signed_off: "签发",
    read: "已阅", return: "退回", transfer: "转办", add_signers: "加签", withdraw: "撤回", urge: "催办",
    terminate: "终止" }[entry.action] || entry.action.replace("auto:", "系统：");
}

// To whom a task went: 转办给 whom, 加签 whom and whether before or after the person who added them.
function actionDetail(entry) {
  if (entry.action === "transfer" && entry.to && entry.to.name) return ` 给${entry.to.name}`;
  if (entry.action === "add_signers" && entry.added) {
    return ` ${entry.added.map((who) => who.name).join("、")}（${entry.position === "after" ? "在其之后办理" : "先于其办理"}）`;
  }
  return "";
}

function signaturePad() {
  const canvas = h("canvas", { width: 320, height: 140, class: "signature", "aria-label": "手写签名区域" });
  const context = canvas.getContext("2d");
  context.lineWidth = 3;
  context.lineCap = "round";
  let drawn = false;
  inkOn(canvas, context, () => { drawn = true; });
  const clear = h("button", { type: "button", class: "link", onclick: () => {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
  } }, "清除");
  return { element: h("details", { class: "sign" }, h("summary", {}, "手写签名（可选）"), canvas, clear),
    value: () => (drawn ? canvas.toDataURL("image/png") : null) };
}

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

// The opinion (phrases, text, signature), 退回 and 转办 after the document; the decision buttons in a
// bar kept at the bottom of the screen.
function actionPanel(task) {
  const outcomes = task.outcomes || ["approved"];
  const main = outcomes[0];
  const opinion = h("textarea", { id: "opinion", rows: 3, placeholder: "批示意见", "aria-label": "批示意见" });
  const chips = phraseChips(PHRASES[main] || PHRASES.approved, opinion);  // built-in, then the person's own
  const signature = signaturePad();
  const annotation = pageAnnotator(task.document_id);  // 批示 drawn over a page of the document
  const mainLabel = main === "read" ? "已阅" : task.action_label;
  const doneText = mainLabel.startsWith("已") ? mainLabel : `已${mainLabel}`;
  const submit = actionButton({ class: "primary", id: "submit", onclick: () => act(task, "approve",
    { opinion: opinion.value.trim(), signature: signature.value(), annotation: annotation.value(), outcome: main },
    doneText) }, mainLabel,
  { submits: true });

  const more = moreActions(task, { me: state.me, act, actionButton });
  const toggle = (box, focus) => () => {
    for (const other of [disagreeBox, ...more.map((item) => item.box)]) if (other !== box) other.hidden = true;
    box.hidden = !box.hidden;
    if (!box.hidden) { box.scrollIntoView({ block: "center" }); if (focus) focus.focus(); }
  };
  const why = h("textarea", { id: "disagree-reason", rows: 3, placeholder: "不同意的理由（必填）", "aria-label": "不同意理由" });
  const disagreeBox = h("div", { class: "more", hidden: true, id: "disagree-box" }, h("strong", {}, "不同意"), why,
    actionButton({ class: "danger", onclick: () => {
      if (!why.value.trim()) { toast("请填写不同意的理由", "warn"); why.focus(); return; }
      act(task, "disagree", { reason: why.value.trim(), signature: signature.value() }, "已提交不同意意见");
    } }, "确认不同意"));
  // 退回 (to a chosen earlier step), 转办, 加签: task_more.js.
  const panel = h("section", { class: "actions card", "aria-label": "办理意见" }, h("h2", {}, "办理意见"), opinion,
    signature.element, annotation.element, h("div", { class: "buttons" },
      more.map((item) => h("button", { class: "secondary", onclick: toggle(item.box, item.focus) }, item.label))),
    disagreeBox, more.map((item) => item.box));
  const bar = h("div", { class: "actionbar", role: "group", "aria-label": "办理" }, chips,
    h("div", { class: "decide" },
      outcomes.includes("disagreed") ? actionButton({ class: "danger", id: "disagree", onclick: toggle(disagreeBox, why) },
        "不同意") : null,
      submit));
  return { panel, bar };
}

// A 发文 not yet sent: how many units its 主送/抄送 reach ("将送达 N 个单位"), as the desk shows before 送审,
// so whoever signs it off knows how far it goes. External names are printed only.
function reachLine(view, documentView) {
  const content = documentView.content;
  if (view.instance.category !== "发文" || ["issued", "received"].includes(documentView.status)) return null;
  const entries = [...(content.main_to || []), ...(content.copy_to || [])];
  const selectors = entries.map(entrySelector).filter(Boolean);
  const externals = entries.length - selectors.length;
  if (!selectors.length) return null;
  const line = h("p", { class: "reach", id: "reach" });
  const unitId = documentView.drafting_unit_id;
  const mine = state.me && state.me.posts.some((item) => item.active !== false && item.unit_id === unitId);
  post("/api/recipients/resolve", mine ? { selectors, unit_id: unitId } : { selectors }).then((reach) => {
    line.textContent = `将送达 ${reach.total} 个单位${externals ? `（另有 ${externals} 个外部单位只印发）` : ""}`;
  }, (failure) => { line.textContent = `无法计算送达单位：${errorText(failure)}`; });
  return line;
}

async function showTask(taskId) {
  let task;
  try {
    task = await get(`/api/tasks/${taskId}`);
  } catch (failure) {
    toast(failure.status === 404 ? "该事项不存在或已不属于您" : errorText(failure), "error");
    location.hash = "#/";
    return;
  }
  const [view, documentView] = await Promise.all([get(`/api/instances/${task.instance_id}`),
    get(`/api/documents/${task.document_id}`)]);
  const attachments = documentView.content.attachments || [];
  const queued = pendingFor(state.me, task.id);
  const actions = task.status === "active" && !queued ? actionPanel(task) : null;
  // The document first, then what others said, then one's own opinion; the decision stays at hand below.
  render(
    h("header", { class: "bar" }, h("a", { class: "back", href: "#/" }, "‹ 返回"), h("h1", {}, task.node_name)),
    statusBar(),
    h("section", { class: "card" },
      h("h2", {}, urgencyBadge(task.urgency), task.title),
      h("p", { class: "task-meta" }, `${task.flow_name} · ${task.node_name}`,
        task.from && task.from.name ? ` · 来自 ${task.from.name}` : ""),
      task.acting_for_name ? h("p", { class: "task-meta acting-for", id: "acting-for" },
        `受${task.acting_for_name}委托代为办理，流转记录同时记下您和${task.acting_for_name}`) : null,
      task.status === "active" ? dueLine(task.due_at) : null,
      task.status === "active" ? urgeLine(task) : null,
      reachLine(view, documentView),
      task.note ? h("p", { class: "note" }, task.note) : null),
    documentView.origin && documentView.origin.kind === "paper"
      ? h("section", { class: "card" }, h("h2", {}, "来文"), paperOrigin(documentView))
      : h("section", { class: "card" }, h("h2", {}, "正文"), documentPages(task.document_id),
        h("details", { class: "text-version" }, h("summary", {}, "文字版（可放大阅读）"),
          h("iframe", { class: "preview", title: "公文正文（文字版）", src: `/api/documents/${task.document_id}/preview` }))),
    attachments.length ? h("section", { class: "card" }, h("h2", {}, "附件"), h("ul", { class: "files" },
      attachments.map((item) => h("li", {}, item.file
        ? h("a", { href: `/api/documents/${task.document_id}/attachments/${item.id}?redirect=1&inline=1`, target: "_blank",
          rel: "noopener" }, item.title || item.file.name)
        : item.title)))) : null,
    h("section", { class: "card" }, h("h2", {}, "流转记录"), timeline(view)),
    actions ? actions.panel : h("p", { class: "card" }, queued ? `「${queued.label}」已暂存，联网后自动发送`
      : `此事项已${task.status === "done" ? "办理" : "不在您的待办中"}`),
    actions ? null : withdrawCard(task, state.me),
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
