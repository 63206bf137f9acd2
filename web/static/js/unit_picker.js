// The unit picker, shared by the desk's drafting, dispatch, 会签 and 会办 forms and the task screen (批办 names the
// 承办 units): search the org tree, choose a saved group, or (for 主送/抄送) type the name of an organ outside the
// platform, which is printed but never delivered to. Yields 主送/抄送 entries and the selectors the exchange
// delivers to; `onChange` hears of every change.

import { get } from "./api.js";
import { h } from "./ui.js";

let groupsLoading = null;
function savedGroups() {
  groupsLoading ||= get("/api/recipient-groups").then((page) => page.items, (failure) => {
    groupsLoading = null;
    throw failure;
  });
  return groupsLoading;
}

export function unitPicker(id, label, initial = [], { groups = true, external = false, onChange = () => {},
  outside = "外部单位", addOutside = (text) => `添加外部单位“${text}”（只印发，不送达）` } = {}) {
  const picked = [...initial];  // {selector, label} or {external: true, label}
  const chips = h("div", { class: "picked", "aria-label": `${label}已选` });
  const search = h("input", { id, type: "search", autocomplete: "off",
    placeholder: external ? `输入单位名称查找；平台外的机关可添加为${outside}` : "输入单位名称查找" });
  const results = h("ul", { class: "people" });
  const keyOf = (item) => (item.external ? `external:${item.label}` : JSON.stringify(item.selector));
  const draw = () => chips.replaceChildren(...picked.map((item, index) => h("button", { type: "button",
    class: item.external ? "external" : null, "aria-label": `移除 ${item.external ? `${outside} ` : ""}${item.label}`,
    onclick: () => { picked.splice(index, 1); changed(); } },
  item.external ? h("span", { class: "tag" }, outside) : null, `${item.label} ×`)));
  const changed = () => { draw(); onChange(); };
  const add = (item) => {
    if (!picked.some((other) => keyOf(other) === keyOf(item))) picked.push(item);
    search.value = "";
    results.replaceChildren();
    changed();
  };
  let asked = 0;
  search.addEventListener("input", async () => {
    const text = search.value.trim();
    const mine = ++asked;
    if (!text) { results.replaceChildren(); return; }
    const [units, groupItems] = await Promise.all([get(`/api/units?q=${encodeURIComponent(text)}&limit=8`),
      groups ? savedGroups() : []]);
    if (mine !== asked) return;  // a later keystroke has its own answer
    results.replaceChildren(
      ...groupItems.filter((group) => group.name.includes(text)).map((group) => h("li", {},
        h("button", { type: "button", class: "link", onclick: () => add({ selector: { group: group.id }, label: group.name }) },
          `分组：${group.name}`))),
      ...units.items.map((unit) => h("li", {}, h("button", { type: "button", class: "link",
        onclick: () => add({ selector: { unit: unit.id }, label: unit.name }) }, unit.name))),
      external ? h("li", {}, h("button", { type: "button", class: "link",
        onclick: () => add({ external: true, label: text }) }, addOutside(text))) : null);
  });
  const groupSelect = groups ? h("select", { "aria-label": `${label}常用分组`, class: "groups", onchange: async () => {
    const group = (await savedGroups()).find((item) => item.id === groupSelect.value);
    groupSelect.value = "";
    if (group) add({ selector: { group: group.id }, label: group.name });
  } }, h("option", { value: "" }, "选择常用分组…")) : null;
  if (groupSelect) {
    savedGroups().then((items) => groupSelect.append(...items.map((group) => h("option", { value: group.id }, group.name))),
      () => groupSelect.remove());
  }
  draw();
  return { element: h("div", {}, h("label", { for: id }, label), h("div", { class: "pick-row" }, search, groupSelect),
    results, chips),
  selectors: () => picked.filter((item) => !item.external).map((item) => item.selector),
  // 主送/抄送 as the document stores them: units, groups and other selectors, and marked external names.
  entries: () => picked.map((item) => (item.external ? { external: true, name: item.label }
    : item.selector.unit ? { unit_id: item.selector.unit } : { ...item.selector })),
  picked };
}
