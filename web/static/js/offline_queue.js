// The phone app's outbox: a decision taken offline (同意/已阅/签发/不同意/退回/转办) waits here, shown as
// "待发送", and is sent once when the network returns (the `online` event, and the next start of the app).
//
// Promises: every decision gets an idempotency key when it is taken and keeps it until answered, so
// however often it is sent — a retry after a lost answer, a second tab, a flush at start while the first
// attempt is still out — the service acts on it once and answers the same success. A decision the
// service refuses (the sender withdrew the document, someone else acted, the task was transferred) is
// not applied, and the item stays, marked, with the reason in words, until its person dismisses it.
// Items are kept in localStorage (shared by the app's tabs) per person; a network failure or a 5xx
// leaves them waiting. Also: the service worker keeps the modules the page loaded, and logging out
// deletes the answers it kept for offline reading.

import { ApiError, post } from "./api.js";
import { errorText, h, toast } from "./ui.js";

const OUTBOX_KEY = "oa.mobile.outbox";
const DATA_CACHE = "oa-data-v1";  // the service worker's copies of API answers (sw_offline.js)
const sending = new Set();  // keys this tab has on the wire right now
const held = new Set();  // keys an open screen is sending itself (retrying after a lost answer)
let listeners = [];

function load() {
  try {
    const items = JSON.parse(localStorage.getItem(OUTBOX_KEY) || "[]");
    return Array.isArray(items) ? items : [];
  } catch {
    return [];  // a damaged outbox must not stop the app from starting
  }
}

function save(items) {
  localStorage.setItem(OUTBOX_KEY, JSON.stringify(items));
  for (const listener of listeners) listener();
}

function update(key, change) {
  save(load().flatMap((item) => (item.key !== key ? [item] : change === null ? [] : [{ ...item, ...change }])));
}

// 128 random bits as hex: crypto.randomUUID exists only in secure contexts, getRandomValues everywhere.
export function newKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function outbox(me) {
  return me ? load().filter((item) => item.user === me.id) : [];
}

export function pendingFor(me, taskId) {
  return outbox(me).find((item) => item.task_id === taskId && item.status === "pending") || null;
}

// Records a decision before anything is sent, so a closed app or a lost answer cannot lose or repeat it.
export function queueAction(me, task, path, body, label) {
  const item = { key: newKey(), user: me.id, task_id: task.id, title: task.title, path, body, label,
    at: new Date().toISOString(), status: "pending" };
  save([...load(), item]);
  return item;
}

// Sends one item (with its key). Answered — success or refusal — it leaves the outbox; the caller shows
// the refusal. A network failure leaves it pending and is thrown for the caller to retry or wait.
export async function sendQueued(item) {
  sending.add(item.key);
  try {
    const result = await post(`/api/tasks/${item.task_id}/${item.path}`, item.body, { "Idempotency-Key": item.key });
    update(item.key, null);
    return result;
  } catch (failure) {
    if (failure instanceof ApiError && failure.status < 500 && failure.status !== 401) update(item.key, null);
    throw failure;
  } finally {
    sending.delete(item.key);
  }
}

// Runs `send` with the item held by this screen: a flush meanwhile (the network came back) leaves it alone.
export async function holding(item, send) {
  held.add(item.key);
  try {
    return await send();
  } finally {
    held.delete(item.key);
  }
}

// Why the service did not apply a queued decision, in the words the official needs.
export function refusalText(failure, me, item) {
  const body = failure.body || {};
  let why = errorText(failure);
  if (failure.code === "task_not_active") {
    const reason = body.cancel_reason || "";
    if (body.task_status === "cancelled") {
      why = reason.startsWith("withdrawn") ? "发送人已撤回此件"
        : reason.startsWith("returned by") ? `此件已被${reason.slice("returned by".length).trim() || "他人"}退回`
          : reason.startsWith("terminated") ? "此件的流程已终止" : "此环节已由他人办结";
    } else if (body.task_status === "transferred") why = "此件已转办他人";
    else if (body.task_status === "withdrawn") why = "此件的办理已撤回";
    else if (body.task_status === "done") {
      why = body.done_by && body.done_by.user_id === me.id ? "您已在别处办理过此件"
        : `此件已由${(body.done_by && body.done_by.name) || "他人"}办理`;
    }
  } else if (failure.status === 404) why = "此件已不在您的待办中";
  return `${why}，您离线时的「${item.label}」未提交`;
}

// Sends this person's pending items, one tab at a time (Web Locks where the browser has them).
export async function flush(me) {
  if (!me || !navigator.onLine) return;
  const run = async () => {
    for (const item of outbox(me)) {
      if (item.status !== "pending" || sending.has(item.key) || held.has(item.key)) continue;
      if (!load().some((stored) => stored.key === item.key && stored.status === "pending")) continue;  // another tab
      try {
        await sendQueued(item);
        toast(`已发送：《${item.title}》${item.label}`, "ok");
      } catch (failure) {
        if (!(failure instanceof ApiError) || failure.status >= 500 || failure.status === 401) return;  // later
        save([...load(), { ...item, status: "refused", reason: refusalText(failure, me, item) }]);
        toast(`《${item.title}》未能提交`, "error");
      }
    }
  };
  if (navigator.locks) await navigator.locks.request("oa.mobile.outbox", run);
  else await run();
}

// Starts the outbox for the app: sends on `online` and now; `onChange` redraws when an item comes or goes
// (also from another tab). `me()` gives the person logged in now.
export function startOutbox(me, onChange) {
  listeners = [onChange];
  window.addEventListener("online", () => { flush(me()).catch(() => {}); });
  window.addEventListener("storage", (event) => { if (event.key === OUTBOX_KEY) onChange(); });
  rememberShell();
}

// On the list: this person's decisions waiting to be sent or refused, each refusal with its reason.
export function outboxNotes(me) {
  const items = outbox(me);
  if (!items.length) return null;
  return h("section", { class: "outbox card", id: "outbox", "aria-label": "离线办理" },
    h("h2", {}, "离线办理"),
    h("ul", {}, items.map((item) => h("li", { class: item.status === "refused" ? "refused" : "pending" },
      h("div", {}, `《${item.title}》`, h("strong", {}, item.label), " · ",
        h("span", { class: "state" }, item.status === "refused" ? "未能提交" : "待发送")),
      item.status === "refused" ? h("p", { class: "error", role: "alert" }, item.reason) : null,
      item.status === "refused" ? h("button", { class: "link", onclick: () => update(item.key, null) }, "知道了") : null))));
}

// On a task card and the task's own screen: its decision is waiting to be sent.
export function pendingBadge(me, taskId) {
  const item = pendingFor(me, taskId);
  return item ? h("span", { class: "badge queued" }, `待发送 · ${item.label}`) : null;
}

// Logging out: the answers kept for offline reading go (the outbox stays with its person's items).
export function forgetOfflineData() {
  if ("caches" in window) caches.delete(DATA_CACHE).catch(() => {});
}

// The modules this page loaded (pages added to mobile_pages.js included) are kept by the service worker.
function rememberShell() {
  if (!("serviceWorker" in navigator)) return;
  const urls = performance.getEntriesByType("resource").map((entry) => new URL(entry.name))
    .filter((url) => url.origin === location.origin && url.pathname.startsWith("/static/"))
    .map((url) => url.pathname);
  navigator.serviceWorker.ready.then((registration) => {
    if (registration.active) registration.active.postMessage({ type: "oa.shell", urls: [...new Set(urls)] });
  }).catch(() => {});
}
