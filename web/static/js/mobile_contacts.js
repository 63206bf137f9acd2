// 通讯录 on the phone: search, 常用联系人 first, the person's own unit opened, then the org tree from the
// city down, one level at a time. Every number is a tap-to-call link.

import { get } from "./api.js";
import { personCard, searchBox, searchResults, unitNode } from "./contacts.js";
import { errorText, h, toast } from "./ui.js";

export const key = "contacts";
export const label = "通讯录";

export async function show({ render }) {
  const home = await get("/api/contacts");
  const starredList = h("ul", { class: "contacts-list", id: "starred" });
  const starredSection = h("section", { class: "card contacts-section", "aria-labelledby": "starred-title" },
    h("h2", { id: "starred-title" }, "常用联系人"), starredList);

  const drawStarred = (cards) => {
    starredList.replaceChildren(...cards.map((card) => personCard(card, refreshStarred)));
    if (!cards.length) starredList.append(h("li", { class: "muted" }, "点联系人旁的 ☆ 设为常用，常用联系人显示在最前面"));
  };
  async function refreshStarred() {
    try {
      drawStarred((await get("/api/contacts")).starred);
    } catch (failure) {
      toast(`常用联系人未能刷新：${errorText(failure)}`, "error");
    }
  }
  drawStarred(home.starred);

  const browse = h("div", { class: "contacts-browse" },
    starredSection,
    home.mine.length ? h("section", { class: "card contacts-section" }, h("h2", {}, "本单位"),
      h("ul", { class: "unit-tree" }, home.mine.map((unit, index) =>
        unitNode(unit, { inlinePeople: true, changed: refreshStarred, open: index === 0 })))) : null,
    h("section", { class: "card contacts-section" }, h("h2", {}, "组织机构"),
      h("ul", { class: "unit-tree", id: "org-tree" }, home.roots.map((unit) =>
        unitNode(unit, { inlinePeople: true, changed: refreshStarred })))));
  const results = h("section", { class: "card contacts-section", id: "contact-results", hidden: true });

  const search = searchBox((text) => {
    browse.hidden = Boolean(text);
    results.hidden = !text;
    if (!text) { refreshStarred(); return; }
    const list = h("ul", { class: "contacts-list" });
    results.replaceChildren(h("h2", {}, "搜索结果"), ...searchResults(text, list, (card) => personCard(card, null)));
  });
  render("通讯录", h("div", { class: "contacts" }, h("div", { class: "card" }, search), results, browse));
}
