// 转发 of a received document to units the clerk chooses, within the forwarder's own subtree (and that of
// the organ it drafts for: a county's 政府办公室 forwards to the county's towns and departments). The units
// are shown as a tree to open level by level, with a search box over the whole subtree; several units are
// ticked, then sent at once with a cover note. The service refuses a unit outside the subtree whatever the
// page sends, and the page says so in the service's words.

import { ApiError, get, once, post } from "./api.js";
import { errorText, h, toast } from "./ui.js";

const MESSAGES = { forward_outside_subtree: "只能转发给本单位下属的单位", recalled: "来文单位已追回此文，不再转发" };

// Every unit below a root (the directory answers from memory, page by page).
async function subtree(rootId) {
  const units = [];
  for (;;) {
    const page = await get(`/api/units/${rootId}/subtree?limit=200&offset=${units.length}`);
    units.push(...page.items);
    if (!page.items.length || units.length >= page.total) return units;
  }
}

function treePicker(roots, units, onChange) {
  const children = new Map();
  for (const unit of units) {
    if (!children.has(unit.parent_id)) children.set(unit.parent_id, []);
    children.get(unit.parent_id).push(unit);
  }
  const chosen = new Map();  // unit id -> name, in the order ticked
  const chips = h("div", { class: "picked", "aria-label": "转发单位已选" });
  const drawChips = () => chips.replaceChildren(...[...chosen].map(([id, name]) => h("button", { type: "button",
    "aria-label": `移除 ${name}`, onclick: () => toggle(id, name, false) }, `${name} ×`)));
  const boxes = new Map();  // unit id -> its checkboxes (tree and search results)
  const toggle = (id, name, on) => {
    if (on) chosen.set(id, name); else chosen.delete(id);
    for (const box of boxes.get(id) || []) box.checked = on;
    drawChips();
    onChange(chosen.size);
  };
  const checkbox = (unit) => {
    const box = h("input", { type: "checkbox", "aria-label": `选择 ${unit.name}`, checked: chosen.has(unit.id),
      onchange: () => toggle(unit.id, unit.name, box.checked) });
    boxes.set(unit.id, [...(boxes.get(unit.id) || []).filter((other) => other.isConnected), box]);
    return box;
  };
  const node = (unit) => {
    const below = children.get(unit.id) || [];
    const list = h("ul", { class: "tree", hidden: true });
    const opener = below.length ? h("button", { type: "button", class: "link tree-toggle", "aria-expanded": "false",
      "aria-label": `展开 ${unit.name}`, onclick: () => {
        const open = list.hidden;
        if (open && !list.childElementCount) list.append(...below.map(node));
        list.hidden = !open;
        opener.setAttribute("aria-expanded", String(open));
        opener.textContent = open ? "▾" : "▸";
      } }, "▸") : h("span", { class: "tree-toggle" }, "");
    return h("li", { "data-unit": unit.id }, h("label", { class: "tree-row" }, opener, checkbox(unit), ` ${unit.name}`,
      below.length ? h("span", { class: "muted" }, `（下属 ${below.length}）`) : null), list);
  };
  const tree = h("ul", { class: "tree", id: "forward-tree" }, roots.flatMap((root) => (children.get(root.id) || []).map(node)));
  const results = h("ul", { class: "tree", id: "forward-results" });
  const search = h("input", { type: "search", id: "forward-search", autocomplete: "off",
    placeholder: "输入单位名称查找（本单位下属范围内）" });
  search.addEventListener("input", () => {
    const text = search.value.trim();
    tree.hidden = Boolean(text);
    results.replaceChildren(...(text ? units.filter((unit) => unit.name.includes(text)).slice(0, 50)
      .map((unit) => h("li", {}, h("label", { class: "tree-row" }, checkbox(unit), ` ${unit.name}`))) : []));
    if (text && !results.childElementCount) results.append(h("li", { class: "muted" }, "本单位下属范围内没有该单位"));
  });
  const towns = units.filter((unit) => unit.level === "town");
  const allTowns = towns.length ? h("button", { type: "button", onclick: () => {
    for (const unit of towns) toggle(unit.id, unit.name, true);
  } }, `选择全部乡镇（街道）（${towns.length}）`) : null;
  const clear = h("button", { type: "button", class: "link", onclick: () => {
    for (const [id, name] of [...chosen]) toggle(id, name, false);
  } }, "清空");
  drawChips();
  return { element: h("div", {}, h("label", { for: "forward-search" }, "转发给"), search,
    h("div", { class: "buttons" }, allTowns, clear), results, tree, chips), chosen };
}

async function show({ id, render }) {
  const receipt = await get(`/api/receipts/${id}`);
  const home = await get(`/api/units/${receipt.unit_id}`);
  const roots = [home, ...(await Promise.all((home.drafts_for || []).map((unitId) => get(`/api/units/${unitId}`)
    .catch(() => null)))).filter(Boolean)];
  const units = [];
  const seen = new Set(roots.map((root) => root.id));
  for (const root of roots) {
    for (const unit of await subtree(root.id)) if (!seen.has(unit.id)) { seen.add(unit.id); units.push(unit); }
  }
  const count = h("p", { class: "reach", id: "forward-count", "aria-live": "polite" }, "尚未选择单位");
  const picker = treePicker(roots, units, (n) => { count.textContent = n ? `已选 ${n} 个单位` : "尚未选择单位"; });
  const note = h("textarea", { id: "forward-note", rows: 3, placeholder: "如：请各镇（街道）结合实际认真贯彻落实。" });
  const problem = h("p", { class: "error", role: "alert", id: "forward-problem" });
  let key = crypto.randomUUID();  // one per 转发: a retry after a lost answer is not a second one
  const send = h("button", { class: "primary", onclick: async () => {
    if (!picker.chosen.size) { problem.textContent = "请选择转发单位"; return; }
    problem.textContent = "";
    send.disabled = true;
    try {
      const dispatch = await once(() => post(`/api/receipts/${id}/forward`, {
        main: [...picker.chosen.keys()].map((unitId) => ({ unit: unitId })), note: note.value.trim() },
      { "Idempotency-Key": key }), async () => false);
      toast(`已转发给 ${dispatch.total} 个单位`, "ok");
      location.hash = `#/board/${dispatch.id}`;
    } catch (failure) {
      problem.textContent = MESSAGES[failure.code] ? `${MESSAGES[failure.code]}：${failure.message}` : errorText(failure);
      toast(MESSAGES[failure.code] || errorText(failure), "error");
      if (failure instanceof ApiError) key = crypto.randomUUID();
      send.disabled = false;
    }
  } }, "转发");
  render("转发", h("section", { class: "card", id: "forward" }, h("p", {}, h("a", { href: "#/inbox" }, "‹ 返回收文")),
    h("h2", {}, `转发：${receipt.title}`),
    h("p", { class: "muted" }, `${receipt.sender_unit_name} ${receipt.doc_number || ""} · 可转发给${roots.map((root) => root.name)
      .join("、")}下属的单位`),
    picker.element, count, h("label", { for: "forward-note" }, "转发意见"), note, problem,
    h("div", { class: "buttons" }, send)));
}

export default { key: "forward", label: "转发", nav: false, show };
