// 督办: for a unit's office and leaders, everything overdue or near its deadline in the unit and the units below
// it — open flow tasks and documents not yet signed for — grouped by unit, with who holds each; 催办 per row or
// for the rows ticked (each row says whether it was urged), and the list as a CSV file Excel opens.

import { get, post } from "./api.js";
import { errorText, h, toast, urgencyBadge, when } from "./ui.js";

const SUPERVISORS = ["主要领导", "分管领导", "办公室主任", "收发员"];
const URGERS = ["办公室主任", "收发员"];
const WINDOWS = [[24, "24小时内到期"], [72, "3天内到期"], [168, "7天内到期"]];
const REFUSALS = { urged_recently: "刚催办过，稍后可再催", not_pending: "已签收，无需催办", task_not_active: "已办理，无需催办",
  not_found: "已不在督办范围" };

function supervisedUnits(me) {
  const units = new Map();
  for (const item of me.posts || []) {
    if (item.active === false || !item.roles.some((role) => SUPERVISORS.includes(role))) continue;
    const entry = units.get(item.unit_id) || { id: item.unit_id, name: item.unit ? item.unit.name : item.unit_id, urge: false };
    entry.urge ||= item.roles.some((role) => URGERS.includes(role));
    units.set(item.unit_id, entry);
  }
  return [...units.values()];
}

function summary(board) {
  const top = (entries) => entries.slice(0, 8).map((entry) => h("li", {}, `${entry.name}：`,
    entry.overdue ? h("span", { class: "overdue" }, `超期 ${entry.overdue}`) : null, entry.overdue && entry.due_soon ? "，" : "",
    entry.due_soon ? `即将到期 ${entry.due_soon}` : ""));
  return h("div", { class: "row", id: "supervision-summary" },
    h("div", {}, h("h3", {}, "按单位"), h("ul", {}, top(board.by_unit))),
    h("div", {}, h("h3", {}, "按人员"), h("ul", {}, top(board.by_person))));
}

async function show({ render, me }) {
  const units = supervisedUnits(me);
  if (!units.length) {
    render("督办", h("p", { class: "card" }, "督办供各单位领导和办公室使用，您的岗位没有督办事项。"));
    return;
  }
  const unitSelect = h("select", { id: "supervision-unit", "aria-label": "督办单位" },
    units.map((unit) => h("option", { value: unit.id }, unit.name)));
  const windowSelect = h("select", { id: "supervision-window", "aria-label": "到期范围" },
    WINDOWS.map(([hours, label]) => h("option", { value: hours }, label)));
  const message = h("input", { id: "urge-message", placeholder: "催办留言（可不填）", "aria-label": "催办留言" });
  const area = h("div", { id: "supervision-area" });
  const chosen = new Map();  // "kind:id" -> {kind, id}
  const outcome = new Map();  // "kind:id" -> text shown in the row after an urge
  let board = null;
  const exportLink = h("a", { id: "supervision-export", download: "", class: "button" }, "导出 Excel（CSV）");
  const urgeChosen = h("button", { id: "urge-chosen", disabled: true, onclick: () => urge([...chosen.values()]) }, "催办所选");

  const urge = async (items) => {
    if (!items.length) return;
    try {
      const result = await post("/api/supervision/urge", { unit_id: unitSelect.value, items, message: message.value.trim() });
      for (const item of result.items) {
        outcome.set(`${item.kind}:${item.id}`, item.ok ? "已催办" : (REFUSALS[item.code] || errorText(item)));
      }
      toast(result.urged === items.length ? `已催办 ${result.urged} 项` : `已催办 ${result.urged} 项，${items.length - result.urged} 项未催办`,
        result.urged ? "ok" : "warn");
      chosen.clear();
      await load();
    } catch (failure) { toast(errorText(failure), "error"); }
  };

  const row = (item, canUrge) => {
    const key = `${item.kind}:${item.id}`;
    const box = canUrge ? h("input", { type: "checkbox", "aria-label": `选择 ${item.title}（${item.unit_name}）`,
      checked: chosen.has(key), onchange: () => {
        if (box.checked) chosen.set(key, { kind: item.kind, id: item.id }); else chosen.delete(key);
        urgeChosen.disabled = !chosen.size;
        urgeChosen.textContent = chosen.size ? `催办所选（${chosen.size}）` : "催办所选";
      } }) : null;
    return h("tr", { "data-item": key, class: item.overdue ? "overdue-row" : "" },
      canUrge ? h("td", {}, box) : null,
      h("td", {}, urgencyBadge(item.urgency), item.title),
      h("td", {}, item.step),
      h("td", {}, item.people.map((person) => person.name).join("、") || "—"),
      h("td", { class: item.overdue ? "overdue" : "" }, item.overdue ? `已超期 · ${when(item.due_at)}` : `${when(item.due_at)} 到期`),
      h("td", {}, item.urge_count ? `${item.urge_count} 次` : ""),
      h("td", { class: "urge-result" }, outcome.get(key) || ""),
      canUrge ? h("td", {}, h("button", { onclick: () => urge([{ kind: item.kind, id: item.id }]) }, "催办")) : null);
  };

  const load = async () => {
    const query = `unit_id=${encodeURIComponent(unitSelect.value)}&within=${windowSelect.value}`;
    board = await get(`/api/supervision?${query}`);
    exportLink.setAttribute("href", `/api/supervision?${query}&format=csv`);
    const canUrge = units.find((unit) => unit.id === unitSelect.value)?.urge;
    const groups = new Map();
    for (const item of board.items) {
      if (!groups.has(item.unit_id)) groups.set(item.unit_id, { name: item.unit_name, items: [] });
      groups.get(item.unit_id).items.push(item);
    }
    const columns = canUrge ? 8 : 6;
    const overdue = board.items.filter((item) => item.overdue).length;
    // replaceChildren would print an absent part (null) as the text "null": leave it out.
    area.replaceChildren(...[
      h("p", { id: "supervision-counts" }, `共 ${board.items.length} 项：已超期 ${overdue} 项，即将到期 ${board.items.length - overdue} 项`,
        board.truncated ? "（仅列出最早到期的前 500 项）" : ""),
      board.items.length ? summary(board) : null,
      board.items.length ? h("div", { class: "scroll-x" }, h("table", { id: "supervision" },
        h("thead", {}, h("tr", {}, canUrge ? h("th", {}, h("span", { class: "visually-hidden" }, "选择")) : null,
          h("th", {}, "事项"), h("th", {}, "环节"), h("th", {}, "办理人"), h("th", {}, "截止"), h("th", {}, "已催办"),
          h("th", {}, "催办结果"), canUrge ? h("th", {}, "") : null)),
        [...groups].map(([unitId, group]) => h("tbody", { "data-unit": unitId },
          h("tr", { class: "group" }, h("th", { colspan: columns }, `${group.name}（${group.items.length}）`)),
          group.items.map((item) => row(item, canUrge))))))
        : h("p", { class: "empty" }, "没有超期或即将到期的事项")].filter(Boolean));
    urgeChosen.hidden = !canUrge;
    message.hidden = !canUrge;
    urgeChosen.disabled = !chosen.size;
  };
  unitSelect.addEventListener("change", () => { chosen.clear(); outcome.clear(); load(); });
  windowSelect.addEventListener("change", () => { chosen.clear(); load(); });
  render("督办", h("section", { class: "card" }, h("h2", {}, "督办"),
    h("div", { class: "row" }, unitSelect, windowSelect, exportLink),
    h("div", { class: "row" }, message, urgeChosen), area));
  await load();
}

export default { key: "supervision", label: "督办", show };
