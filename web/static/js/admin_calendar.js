// The admins' working-calendar page (工作日历): a year's holidays and 调休 workdays as they hold for a unit,
// each saying where it came from (国务院办公厅, 手工添加 by whom, or a unit's own 本地 day); platform admins
// import the State Council's days of a year; a unit's admins (or an ancestor's) add and remove its local
// days, which hold for the whole subtree. In December the page warns when next year's days are unknown.

import { api, get, post } from "./api.js";
import { errorText, h, toast } from "./ui.js";

const WEEKDAYS = ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const KINDS = { holiday: "放假", workday: "调休上班" };

function sourceText(item) {
  const by = item.by && typeof item.by === "object" ? item.by.name : item.by;
  return by && item.source !== "official" ? `${item.source_label} · ${by}` : item.source_label;
}

// `ctx`: { render, me, home, unitSearch, administers(path) }; `unitId` the unit viewed (none: the platform's).
export async function showCalendar(ctx, unitId, yearText) {
  const unit = unitId ? await get(`/api/units/${unitId}`) : null;
  const year = Number(yearText) || new Date().getFullYear();
  const days = await get(`/api/calendar/days?year=${year}${unit ? `&unit_id=${unit.id}` : ""}`);
  const path = unit ? [...(unit.ancestors || []), unit.id] : [];
  const mayEdit = unit && ctx.administers(path);
  const platformAdmin = ctx.me.administers === null;
  const go = (nextUnit, nextYear) => { location.hash = `#/calendar/${nextUnit || ""}/${nextYear}`; };

  const table = days.items.length ? h("table", { class: "grid", id: "calendar-days", "aria-label": `${year}年节假日` },
    h("thead", {}, h("tr", {}, ["日期", "星期", "类别", "名称", "来源", ""].map((text) => h("th", {}, text)))),
    h("tbody", {}, days.items.map((item) => h("tr", { class: item.off ? "off" : "work" },
      h("td", {}, item.date), h("td", {}, WEEKDAYS[item.weekday]), h("td", {}, KINDS[item.kind]),
      h("td", {}, item.name || "—"), h("td", {}, sourceText(item)),
      h("td", {}, item.source === "local" && (platformAdmin || (mayEdit && item.unit_id === unit.id))
        ? h("button", { class: "link", type: "button", "aria-label": `删除${item.date}${item.name || ""}`,
          onclick: async () => {
            try {
              await api("DELETE", `/api/calendar/local/${item.unit_id}/${item.date}`);
              toast(`已删除${item.date}`, "ok");
              go(unitId, year);
              showCalendar(ctx, unitId, year);
            } catch (failure) { toast(errorText(failure), "error"); }
          } }, "删除") : null)))))
    : h("p", { class: "empty" }, `${year}年没有节假日记录${days.known_years.includes(year) ? "" : "（国务院办公厅安排尚未收录）"}`);

  const imported = h("p", { class: "muted", id: "official-years" },
    `已导入国务院办公厅安排：${days.official_years.length ? days.official_years.map((y) => `${y}年`).join("、") : "无"}`,
    `（数据来源：${days.library}，收录 ${days.known_years.join("、")} 年）`);
  const importButton = platformAdmin ? h("button", { type: "button", id: "import-official", onclick: async () => {
    try {
      await post("/api/calendar/official", { year });
      toast(`已导入${year}年国务院办公厅节假日安排`, "ok");
      showCalendar(ctx, unitId, year);
    } catch (failure) { toast(errorText(failure), "error"); }
  } }, `导入国务院办公厅${year}年安排`) : null;

  const date = h("input", { type: "date", id: "local-date", min: `${year}-01-01`, max: `${year}-12-31` });
  const kind = h("select", { id: "local-kind" }, Object.entries(KINDS).map(([value, label]) => h("option", { value }, label)));
  const name = h("input", { id: "local-name", maxlength: 30, placeholder: "如：盘王节" });
  const addLocal = mayEdit ? h("section", { class: "card", "aria-label": "添加本地节假日" },
    h("h2", {}, `添加${unit.name}的本地节假日`),
    h("p", { class: "muted" }, "本地节假日适用于本单位及其所有下级单位，办理时限按此计算。"),
    h("div", { class: "form-row" }, h("label", { for: "local-date" }, "日期"), date),
    h("div", { class: "form-row" }, h("label", { for: "local-kind" }, "类别"), kind),
    h("div", { class: "form-row" }, h("label", { for: "local-name" }, "名称"), name),
    h("button", { type: "button", class: "primary", id: "add-local", onclick: async () => {
      if (!date.value) { toast("请选择日期", "warn"); date.focus(); return; }
      if (!name.value.trim()) { toast("请填写名称，如：盘王节", "warn"); name.focus(); return; }
      try {
        await post("/api/calendar/local", { unit_id: unit.id, date: date.value, kind: kind.value, name: name.value.trim() });
        toast(`已添加${date.value}`, "ok");
        showCalendar(ctx, unitId, year);
      } catch (failure) { toast(errorText(failure), "error"); }
    } }, "添加")) : null;

  ctx.render("工作日历",
    days.warning ? h("div", { class: "alert", role: "alert", id: "calendar-warning" }, days.warning) : null,
    h("section", { class: "card" },
      h("h2", {}, `${year}年节假日和调休上班日 · ${unit ? unit.name : "全平台"}`),
      h("div", { class: "buttons" },
        h("button", { type: "button", class: "secondary", onclick: () => go(unitId, year - 1) }, `‹ ${year - 1}年`),
        h("button", { type: "button", class: "secondary", onclick: () => go(unitId, year + 1) }, `${year + 1}年 ›`),
        unit ? h("button", { type: "button", class: "link", onclick: () => go("", year) }, "查看全平台") : null),
      ctx.unitSearch("calendar-unit", "查看单位的日历（含本地节假日）", (picked) => go(picked.id, year)),
      imported, importButton, table),
    addLocal);
}
