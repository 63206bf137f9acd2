// The officials' phone app: 待办 and 已办, live over /ws; open a task to read the document, its
// attachments and everyone's opinions; approve (three taps: open, phrase, submit), sign by hand,
// return, transfer. Works offline as far as it can: the list shows the last copy, actions wait
// for the network and are never done twice.

import { ApiError, channel, get, once, post } from "./api.js";
import { connectPush } from "./push.js";
import { beep, dueLine, errorText, h, loginForm, toast, urgencyBadge, when } from "./ui.js";

channel.value = "mobile";
const PHRASES = ["同意", "已阅", "请XX同志阅办"];
const LIVE_TYPES = ["task.created", "task.urged", "task.returned", "task.escalated", "task.overdue", "task.cancelled",
  "task.resumed"];
const CACHE_KEY = "oa.mobile.todo";
const app = document.getElementById("app");
const state = { me: null, box: "todo", online: navigator.onLine, push: null, alert: null,
  sound: localStorage.getItem("oa.sound") === "1" };

function render(...children) {
  app.replaceChildren(...children);
}

function statusBar() {
  return h("div", { class: state.online ? "netbar" : "netbar offline", role: "status", id: "netbar" },
    state.online ? "" : "离线：显示的是上次加载的内容，操作将在恢复网络后提交");
}

function setOnline(online) {
  state.online = online;
  const bar = document.getElementById("netbar");
  if (bar) bar.replaceWith(statusBar());
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
      h("div", { class: "task-title" }, urgencyBadge(task.urgency), task.title),
      h("div", { class: "task-meta" }, `${task.node_name} · ${task.flow_name}`,
        task.from && task.from.name ? ` · 来自 ${task.from.name}` : ""),
      task.status === "active" ? dueLine(task.due_at) : h("span", { class: "due" }, `已办 ${when(task.done_at)}`)));
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
    h("nav", { class: "tabs", role: "tablist" }, tab("todo", `待办 ${counts.todo ?? ""}`), tab("done", "已办")),
    page.items.length ? h("ul", { class: "tasks", id: "tasks" }, page.items.map(taskCard))
      : h("p", { class: "empty" }, state.box === "todo" ? "没有待办事项" : "没有已办事项"),
    sound);
}

async function logout() {
  try { await post("/api/logout"); } catch { /* the session may already be gone */ }
  if (state.push) { state.push.close(); state.push.reset(); }
  localStorage.removeItem(CACHE_KEY);
  location.hash = "";
  showLogin();
}

// Logged out elsewhere, deactivated, password changed or expired: as after a 401, without the cached list.
function sessionEnded() {
  state.push.reset();
  localStorage.removeItem(CACHE_KEY);
  showLogin();
}

// One task -------------------------------------------------------------------------------------

function timeline(view) {
  const entries = view.audit.filter((entry) => entry.by);
  return h("ol", { class: "timeline" }, entries.map((entry) => h("li", {},
    h("div", {}, h("strong", {}, entry.by.name), entry.by.post ? ` · ${entry.by.post}` : "",
      h("span", { class: "time" }, when(entry.at))),
    h("div", { class: "what" }, `${entry.node_name || ""} ${actionName(entry.action)}`),
    entry.opinion ? h("blockquote", {}, entry.opinion) : null,
    entry.signature ? h("img", { class: "signed", alt: `${entry.by.name}的手写签名`,
      src: `/api/instances/${view.instance.id}/${entry.signature}` }) : null)));
}

function actionName(action) {
  return { start: "发起", approved: "同意", signed_off: "签发", read: "已阅", returned: "退回", transferred: "转办",
    withdrawn: "撤回", urged: "催办", terminated: "终止" }[action] || action.replace("auto:", "系统：");
}

function signaturePad() {
  const canvas = h("canvas", { width: 320, height: 140, class: "signature", "aria-label": "手写签名区域" });
  const context = canvas.getContext("2d");
  context.lineWidth = 3;
  context.lineCap = "round";
  let drawing = false;
  let drawn = false;
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
  };
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    context.beginPath();
    context.moveTo(...point(event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    context.lineTo(...point(event));
    context.stroke();
    drawn = true;
  });
  canvas.addEventListener("pointerup", () => { drawing = false; });
  const clear = h("button", { type: "button", class: "link", onclick: () => {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
  } }, "清除");
  return { element: h("details", { class: "sign" }, h("summary", {}, "手写签名（可选）"), canvas, clear),
    value: () => (drawn ? canvas.toDataURL("image/png") : null) };
}

async function act(task, path, body, doneText) {
  if (!navigator.onLine) toast("网络已断开，恢复后自动提交", "warn");
  const alreadyDone = async (error) => {
    if (error.code !== "task_not_active") return false;
    const current = await get(`/api/tasks/${task.id}`);
    return current.done_by && current.done_by.user_id === state.me.id;
  };
  try {
    await once(() => post(`/api/tasks/${task.id}/${path}`, body), alreadyDone);
    toast(doneText, "ok");
    location.hash = "#/";
  } catch (failure) {
    toast(errorText(failure), "error");
  }
}

function actionPanel(task) {
  const opinion = h("textarea", { id: "opinion", rows: 3, placeholder: "批示意见", "aria-label": "批示意见" });
  const chips = h("div", { class: "chips" }, PHRASES.map((phrase) => h("button", { type: "button", class: "chip",
    onclick: () => {
      opinion.value = phrase;
      const at = phrase.indexOf("XX");
      if (at >= 0) { opinion.focus(); opinion.setSelectionRange(at, at + 2); }
    } }, phrase)));
  const signature = signaturePad();
  const submit = h("button", { class: "primary", id: "submit", onclick: () => act(task, "approve",
    { opinion: opinion.value.trim(), signature: signature.value() }, `已${task.action_label}`) }, task.action_label);
  const reason = h("textarea", { rows: 2, placeholder: "退回理由（必填）", "aria-label": "退回理由" });
  const to = h("select", { "aria-label": "退回到" }, h("option", { value: "previous" }, "退回上一步"),
    h("option", { value: "start" }, "退回拟稿人"));
  const returnBox = h("div", { class: "more", hidden: true }, reason, to,
    h("button", { class: "danger", onclick: () => {
      if (!reason.value.trim()) { toast("请填写退回理由", "warn"); reason.focus(); return; }
      act(task, "return", { reason: reason.value.trim(), to: to.value }, "已退回");
    } }, "确认退回"));
  const search = h("input", { type: "search", placeholder: "输入姓名查找转办对象", "aria-label": "转办对象" });
  const results = h("ul", { class: "people" });
  search.addEventListener("input", async () => {
    if (search.value.trim().length < 1) { results.replaceChildren(); return; }
    const page = await get(`/api/users?q=${encodeURIComponent(search.value.trim())}&limit=10`);
    results.replaceChildren(...page.items.filter((user) => user.id !== state.me.id).map((user) => h("li", {},
      h("button", { class: "link", onclick: () => act(task, "transfer", { to_user: user.id }, `已转办给${user.display_name}`) },
        `${user.display_name}（${user.username}）`))));
  });
  const transferBox = h("div", { class: "more", hidden: true }, search, results);
  const toggle = (box) => () => { box.hidden = !box.hidden; };
  return h("section", { class: "actions card", "aria-label": "办理" }, chips, opinion, signature.element,
    h("div", { class: "buttons" }, submit,
      task.kind === "start" ? null : h("button", { class: "secondary", onclick: toggle(returnBox) }, "退回"),
      h("button", { class: "secondary", onclick: toggle(transferBox) }, "转办")),
    returnBox, transferBox);
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
  render(
    h("header", { class: "bar" }, h("a", { class: "back", href: "#/" }, "‹ 返回"), h("h1", {}, task.node_name)),
    statusBar(),
    h("section", { class: "card" },
      h("h2", {}, urgencyBadge(task.urgency), task.title),
      h("p", { class: "task-meta" }, `${task.flow_name} · ${task.node_name}`,
        task.from && task.from.name ? ` · 来自 ${task.from.name}` : ""),
      task.status === "active" ? dueLine(task.due_at) : null,
      task.note ? h("p", { class: "note" }, task.note) : null),
    task.status === "active" ? actionPanel(task)
      : h("p", { class: "card" }, `此事项已${task.status === "done" ? "办理" : "不在您的待办中"}`),
    h("section", { class: "card" }, h("h2", {}, "正文"),
      h("iframe", { class: "preview", title: "公文正文", src: `/api/documents/${task.document_id}/preview` })),
    attachments.length ? h("section", { class: "card" }, h("h2", {}, "附件"), h("ul", { class: "files" },
      attachments.map((item) => h("li", {}, item.file
        ? h("a", { href: `/api/documents/${task.document_id}/attachments/${item.id}?redirect=1`, target: "_blank",
          rel: "noopener" }, item.title || item.file.name)
        : item.title)))) : null,
    h("section", { class: "card" }, h("h2", {}, "流转记录"), timeline(view)));
}

// Start ----------------------------------------------------------------------------------------

function onEvent(event) {
  if (!LIVE_TYPES.includes(event.type)) return;
  const data = event.data || {};
  if (event.type === "task.created" && data.urgency === "特急") {
    state.alert = `特急：${data.title}（${data.node_name}）`;
    if (state.sound) beep();
  } else if (event.type === "task.urged") {
    state.alert = `催办：${data.title}`;
  }
  if (!location.hash.startsWith("#/task/")) showList();
}

function route() {
  const match = location.hash.match(/^#\/task\/(task-[0-9a-f]+)$/);
  if (match) showTask(match[1]);
  else showList();
}

async function boot() {
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
  }
  route();
}

boot();
