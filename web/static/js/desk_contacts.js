// 通讯录 at the desk: the org tree on the left (the clerk's own unit chosen at first), the chosen unit's people
// as a table on the right under the 常用联系人, and a search over everyone by name, 拼音首字母, post or unit.

import { get } from "./api.js";
import { pagedList, phoneLinks, postLine, searchBox, searchResults, starButton, unitNode } from "./contacts.js";
import { errorText, h, toast } from "./ui.js";

export const key = "contacts";
export const label = "通讯录";

const HEADINGS = ["姓名", "职务 · 单位", "电话", "常用"];

function table(caption, body) {
  return h("table", { class: "contacts-table" }, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, HEADINGS.map((text) => h("th", { scope: "col" }, text)))), body);
}

export async function show({ id, render }) {
  const home = await get("/api/contacts");
  const starredBody = h("tbody", { id: "starred" });
  const unitPane = h("section", { class: "card", id: "unit-people" });

  const row = (card) => h("tr", { "data-id": card.id }, h("th", { scope: "row" }, card.name),
    h("td", {}, postLine(card)), h("td", {}, phoneLinks(card)), h("td", {}, starButton(card, refreshStarred)));

  function drawStarred(cards) {
    starredBody.replaceChildren(...cards.map(row));
    if (!cards.length) starredBody.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, "点 ☆ 把常用的人放到这里")));
  }
  async function refreshStarred() {
    try {
      drawStarred((await get("/api/contacts")).starred);
    } catch (failure) {
      toast(`常用联系人未能刷新：${errorText(failure)}`, "error");
    }
  }

  async function choose(unit) {
    const full = await get(`/api/contacts/units/${unit.id}`);
    const body = h("tbody", {});
    const paged = pagedList(body, (offset, limit) => get(`/api/contacts/units/${unit.id}/people?offset=${offset}&limit=${limit}`),
      row, "更多人员");
    const path = [...full.path.map((step) => step.name), full.name].join(" › ");
    unitPane.replaceChildren(h("h2", { id: "unit-title" }, full.name), h("p", { class: "muted" }, path),
      full.people ? table(`${full.name}（${full.people}人）`, body) : h("p", { class: "muted" }, "本单位暂无人员，请展开下级单位"),
      paged.more);
    document.querySelectorAll(".contacts-desk .unit-node.chosen").forEach((node) => node.classList.remove("chosen"));
    document.querySelectorAll(`.contacts-desk .unit-node[data-unit="${unit.id}"]`).forEach((node) => node.classList.add("chosen"));
    if (full.people) await paged.next();
  }

  const tree = h("nav", { class: "card contacts-tree", "aria-label": "组织机构" },
    home.mine.length ? [h("h2", {}, "本单位"), h("ul", { class: "unit-tree" }, home.mine.map((unit) => unitNode(unit, { select: choose })))] : null,
    h("h2", {}, "组织机构"),
    h("ul", { class: "unit-tree", id: "org-tree" }, home.roots.map((unit) => unitNode(unit, { select: choose }))));
  const results = h("section", { class: "card", id: "contact-results", hidden: true });
  const browse = h("div", {}, h("section", { class: "card" }, table("常用联系人", starredBody)), unitPane);
  const search = searchBox((text) => {
    results.hidden = !text;
    browse.hidden = Boolean(text);
    if (!text) { refreshStarred(); return; }
    const body = h("tbody", {});
    const [summary, , more] = searchResults(text, body, row);
    results.replaceChildren(h("h2", {}, "搜索结果"), summary, table(`“${text}”的搜索结果`, body), more);
  });
  drawStarred(home.starred);
  render("通讯录", h("div", { class: "contacts-desk" }, h("div", {}, h("div", { class: "card" }, search), tree),
    h("div", {}, results, browse)));
  const first = (id && { id }) || home.mine[0] || home.roots[0];
  if (first) await choose(first);
}
