// 传阅: pass a received document (`#/circulate/r:<receipt>`) or one the unit issued (`#/circulate/d:<document>`)
// round the unit's people for reading; each gets it in 待办 and confirms 已阅, with a comment if they like.
// `#/circulate` lists those the person started; `#/circulate/<flow>` is the starter's view of who has read it: not yet opened, opened, 已阅 with the
// time and comment — redrawn as each reader acts (the desk passes its pushes on as `oa:push` events).

import { get, post } from "./api.js";
import { errorText, h, toast, when } from "./ui.js";

const MESSAGES = { reader_outside_unit: "只能传阅给本单位人员", flow_already_running: "该文已在传阅中",
  receipt_state: "请先签收再传阅" };
// Leaders first: they are whom a document is usually passed round to.
const RANK = { 主要领导: 0, 分管领导: 1, 办公室主任: 2 };

async function unitPeople(unitId) {
  const page = await get(`/api/users?unit=${encodeURIComponent(unitId)}&limit=200`);
  const postIn = (person) => (person.posts || []).find((item) => item.unit_id === unitId && item.active !== false);
  return page.items.filter((person) => person.active !== false && postIn(person)).map((person) => {
    const held = postIn(person);
    return { id: person.id, name: person.display_name, title: held.title || "",
      rank: Math.min(...(held.roles || []).map((role) => RANK[role] ?? 9), 9) };
  }).sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name, "zh"));
}

async function startPage(render, me, kind, targetId) {
  let unitId; let title; let back;
  if (kind === "r") {
    const receipt = await get(`/api/receipts/${targetId}`);
    [unitId, title, back] = [receipt.unit_id, receipt.title, h("a", { href: "#/inbox" }, "‹ 返回收文")];
  } else {
    const documentView = await get(`/api/documents/${targetId}`);
    [unitId, title, back] = [documentView.drafting_unit_id, documentView.content.title,
      h("a", { href: `#/documents/${targetId}` }, "‹ 返回公文")];
  }
  const people = (await unitPeople(unitId)).filter((person) => person.id !== me.id);
  const chosen = new Set();
  const count = h("p", { class: "reach", id: "circulate-count", "aria-live": "polite" }, "尚未选择传阅人");
  const list = h("ul", { class: "people", id: "circulate-people" }, people.map((person) => h("li", {},
    h("label", {}, h("input", { type: "checkbox", "aria-label": `传阅给 ${person.name}`, onchange: (event) => {
      if (event.target.checked) chosen.add(person.id); else chosen.delete(person.id);
      count.textContent = chosen.size ? `已选 ${chosen.size} 人` : "尚未选择传阅人";
    } }), ` ${person.name}`, h("span", { class: "muted" }, ` · ${person.title}`)))));
  const problem = h("p", { class: "error", role: "alert", id: "circulate-problem" });
  const start = h("button", { class: "primary", onclick: async () => {
    if (!chosen.size) { problem.textContent = "请选择传阅人"; return; }
    start.disabled = true;
    try {
      const readers = [...chosen];
      const instance = kind === "r"
        ? await post(`/api/receipts/${targetId}/circulate`, { readers })
        : await post("/api/instances", { flow: "chuanyue", document_id: targetId, variables: { readers } });
      toast(`已送 ${readers.length} 人传阅`, "ok");
      location.hash = `#/circulate/${instance.id}`;
    } catch (failure) {
      problem.textContent = MESSAGES[failure.code] || errorText(failure);
      start.disabled = false;
    }
  } }, "送阅");
  render("传阅", h("section", { class: "card", id: "circulate" }, h("p", {}, back), h("h2", {}, `传阅：${title}`),
    h("p", { class: "muted" }, "勾选本单位的传阅人，各人在待办中阅文并点“已阅”。"), list, count, problem,
    h("div", { class: "buttons" }, start)));
}

// Each reader's state: 未打开, 已打开, 已阅 (with the time and the comment).
function readerRows(view) {
  const names = new Map();
  for (const item of view.current || []) for (const who of item.holders) names.set(who.user_id, who.name);
  return view.tasks.filter((task) => task.node === "read" && task.status !== "cancelled").map((task) => {
    const reader = task.assignees[0];
    const name = (task.done_by && task.done_by.name) || names.get(reader) || reader;
    const [state, css] = task.status === "done" ? ["已阅", "status-closed"]
      : task.opened_at ? ["已打开，未确认", "status-signed"] : ["未阅", "status-pending"];
    return h("tr", { "data-reader": reader }, h("td", {}, name), h("td", { class: css }, state),
      h("td", {}, task.status === "done" ? when(task.done_at) : task.opened_at ? `打开于 ${when(task.opened_at)}` : ""),
      h("td", {}, task.opinion || ""));
  });
}

async function statusPage(render, instanceId) {
  const draw = async () => {
    const view = await get(`/api/instances/${instanceId}`);
    const reading = view.tasks.filter((task) => task.node === "read" && task.status !== "cancelled");
    const done = reading.filter((task) => task.status === "done").length;
    return h("section", { class: "card", id: "circulation" },
      h("h2", {}, `传阅：${view.instance.title}`),
      h("p", { id: "circulation-summary" }, view.instance.status === "completed" ? `传阅完毕（${done}/${reading.length} 已阅）`
        : `已阅 ${done} / ${reading.length} 人`),
      h("table", { id: "readers" }, h("thead", {}, h("tr", {}, h("th", {}, "传阅人"), h("th", {}, "状态"),
        h("th", {}, "时间"), h("th", {}, "批注"))), h("tbody", {}, readerRows(view))),
      h("div", { class: "buttons" }, h("button", { onclick: redraw }, "刷新"),
        h("a", { href: `#/received/${view.instance.document_id}` }, "查看来文")));
  };
  const redraw = async () => {
    const fresh = await draw();
    document.getElementById("circulation")?.replaceWith(fresh);
  };
  render("传阅情况", await draw());
  // A reader's 已阅 reaches the starter as flow.updated: redraw while this page is open.
  const onPush = (event) => {
    if (!document.getElementById("circulation")) { window.removeEventListener("oa:push", onPush); return; }
    const data = event.detail.data || {};
    if (data.instance_id === instanceId) redraw().catch(() => {});
  };
  window.addEventListener("oa:push", onPush);
}

// The 传阅 this person started, newest first, each opening its readers' page.
async function listPage(render) {
  const page = await get("/api/circulations?limit=50");
  const state = { running: "传阅中", completed: "传阅完毕", terminated: "已终止" };
  render("传阅", h("section", { class: "card", id: "circulations" }, h("h2", {}, `我发起的传阅（${page.total}）`),
    page.items.length ? h("ul", { class: "tasks" }, page.items.map((item) => h("li", {},
      h("a", { href: `#/circulate/${item.id}` }, item.title), ` · ${state[item.status] || item.status} · ${when(item.created_at)}`)))
      : h("p", { class: "empty" }, "还没有发起传阅。在收文或本单位公文中点“传阅”。")));
}

async function show({ id, render, me }) {
  const [kind, targetId] = id && id.includes(":") ? id.split(/:(.*)/s) : [null, id];
  if (kind === "r" || kind === "d") await startPage(render, me, kind, targetId);
  else if (id) await statusPage(render, id);
  else await listPage(render);
}

export default { key: "circulate", label: "传阅", show };
