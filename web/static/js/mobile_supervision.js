// 督办 on the phone, for a unit's leaders and office away from the desk: what in the unit and below it is overdue or
// due within a day, by unit with who holds each; the office urges a row with one tap (each row says how it went).

import { get, post } from "./api.js";
import { errorText, h, toast, urgencyBadge, when } from "./ui.js";

const SUPERVISORS = ["主要领导", "分管领导", "办公室主任", "收发员"];
const URGERS = ["办公室主任", "收发员"];
const REFUSALS = { urged_recently: "刚催办过", not_pending: "已签收", task_not_active: "已办理", not_found: "已不在督办范围" };

async function show({ render, me }) {
  const held = (me.posts || []).find((item) => item.active !== false && item.roles.some((role) => SUPERVISORS.includes(role)));
  if (!held) {
    render("督办", h("p", { class: "card empty" }, "督办供各单位领导和办公室使用。"));
    return;
  }
  const canUrge = held.roles.some((role) => URGERS.includes(role));
  const board = await get(`/api/supervision?unit_id=${encodeURIComponent(held.unit_id)}&within=24`);
  const overdue = board.items.filter((item) => item.overdue).length;
  const card = (item) => {
    const result = h("span", { class: "muted urge-result" });
    return h("li", { class: `card supervision-item${item.overdue ? " overdue-row" : ""}`, "data-item": `${item.kind}:${item.id}` },
      h("div", { class: "task-title" }, urgencyBadge(item.urgency), item.title),
      h("div", { class: "task-meta" }, `${item.unit_name} · ${item.step}`),
      h("div", { class: "task-meta" }, `办理人：${item.people.map((person) => person.name).join("、") || "—"}`),
      h("div", { class: item.overdue ? "due overdue" : "due" }, item.overdue ? `已超期 · 截止 ${when(item.due_at)}` : `截止 ${when(item.due_at)}`),
      canUrge ? h("div", { class: "row" }, h("button", { onclick: async (event) => {
        event.target.disabled = true;
        try {
          const answer = await post("/api/supervision/urge", { unit_id: held.unit_id, items: [{ kind: item.kind, id: item.id }] });
          const done = answer.items[0];
          result.textContent = done.ok ? "已催办" : (REFUSALS[done.code] || errorText(done));
          toast(done.ok ? "已催办" : result.textContent, done.ok ? "ok" : "warn");
        } catch (failure) { toast(errorText(failure), "error"); event.target.disabled = false; }
      } }, "催办"), result) : null);
  };
  render("督办", h("section", { class: "card" }, h("h2", {}, held.unit ? held.unit.name : held.unit_id),
    h("p", { id: "supervision-counts" }, `已超期 ${overdue} 项，24小时内到期 ${board.items.length - overdue} 项`)),
  board.items.length ? h("ul", { class: "tasks", id: "supervision-list" }, board.items.map(card))
    : h("p", { class: "card empty" }, "没有超期或即将到期的事项"));
}

export default { key: "supervision", label: "督办", show };
