// The one people picker of every app (转办, 加签, 委托, 批量移交): type a name, its pinyin initials or a
// username; each match reads "姓名 · 单位 · 职务" for every post the person holds, so two people with
// the same name are told apart before one is chosen. One person (`multiple: false`) or several.

import { get } from "./api.js";
import { errorText, h } from "./ui.js";

// "单位 · 职务" of each active post, the primary one first.
export function postsLine(person) {
  const posts = (person.posts || []).filter((post) => post.active !== false)
    .sort((a, b) => Number(Boolean(b.primary)) - Number(Boolean(a.primary)));
  return posts.map((post) => `${post.unit_name || post.unit_id} · ${post.title || ""}`.replace(/ · $/, "")).join("；");
}

export function personLabel(person) {
  const posts = postsLine(person);
  return posts ? `${person.display_name} · ${posts}` : person.display_name;
}

// `id` names the search box (for its label); `exclude` lists ids never offered (oneself); `onChange(picked)`
// is told of every change. Returns { element, picked(), clear() }.
export function peoplePicker({ id, label, multiple = false, exclude = [], onChange = () => {} }) {
  const chosen = new Map();
  const search = h("input", { type: "search", id, autocomplete: "off", enterkeyhint: "search",
    placeholder: "输入姓名、拼音首字母或用户名查找" });
  const results = h("ul", { class: "people picker-results", role: "listbox", "aria-label": `${label}候选人` });
  const picked = h("ul", { class: "picked", "aria-label": `已选${label}` });
  let asked = 0;  // only the answer to the latest search is shown

  const drawPicked = () => {
    picked.replaceChildren(...[...chosen.values()].map((person) => h("li", { class: "chip picked-person" },
      h("span", {}, personLabel(person)),
      h("button", { type: "button", class: "link", "aria-label": `移除 ${person.display_name}`, onclick: () => {
        chosen.delete(person.id);
        drawPicked();
        onChange([...chosen.values()]);
      } }, "✕"))));
  };

  const choose = (person) => {
    if (!multiple) chosen.clear();
    chosen.set(person.id, person);
    search.value = "";
    results.replaceChildren();
    drawPicked();
    onChange([...chosen.values()]);
  };

  search.addEventListener("input", async () => {
    const text = search.value.trim();
    const mine = ++asked;
    if (!text) { results.replaceChildren(); return; }
    try {
      const page = await get(`/api/users?q=${encodeURIComponent(text)}&limit=10`);
      if (mine !== asked) return;
      const offered = page.items.filter((person) => !exclude.includes(person.id) && person.active !== false);
      results.replaceChildren(...(offered.length ? offered.map((person) => h("li", {},
        h("button", { type: "button", class: "person", role: "option", "aria-selected": String(chosen.has(person.id)),
          onclick: () => choose(person) },
        h("strong", {}, person.display_name), h("span", { class: "muted" }, ` · ${postsLine(person)}`))))
        : [h("li", { class: "muted" }, "没有找到")]));
    } catch (failure) {
      if (mine === asked) results.replaceChildren(h("li", { class: "error" }, errorText(failure)));
    }
  });

  return {
    element: h("div", { class: "people-picker" }, h("label", { for: id }, label), search, results, picked),
    picked: () => [...chosen.values()],
    clear: () => { chosen.clear(); search.value = ""; results.replaceChildren(); drawPicked(); },
  };
}
