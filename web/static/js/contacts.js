// 通讯录 pieces shared by the phone and the desk: a person's phones as tap-to-call links, the 常用 star,
// the org tree that opens one level at a time, and the search box. The service decides what a card
// carries (no mobile number where the viewer may not see it); these only draw it.

import { api, get } from "./api.js";
import { errorText, h, toast } from "./ui.js";

const PAGE = 50;
const UNIT_PAGE = 200;  // a unit summary is small: a whole level (108 under the city government) in one answer

// 0751-88861235-801 → tel:075188861235,801 (the area code joined on, a pause before the extension).
export function telHref(number) {
  return `tel:${number.replace(/^(0\d{2,3})-/, "$1").replace(/-/, ",").replace(/[^0-9+,]/g, "")}`;
}

export function phoneLinks(card) {
  return h("div", { class: "phones" },
    card.office_phone ? h("a", { class: "tel", href: telHref(card.office_phone), "aria-label": `拨打${card.name}的办公电话 ${card.office_phone}` },
      h("span", { class: "what" }, "办公电话"), card.office_phone) : null,
    card.mobile ? h("a", { class: "tel", href: telHref(card.mobile), "aria-label": `拨打${card.name}的手机 ${card.mobile}` },
      h("span", { class: "what" }, "手机"), card.mobile) : null,
    !card.mobile && card.mobile_hidden ? h("span", { class: "muted hidden-mobile" }, "手机号仅本单位及上级管理员可见") : null,
    !card.office_phone && !card.mobile && !card.mobile_hidden ? h("span", { class: "muted" }, "未登记电话") : null);
}

export function postLine(card) {
  const [first, ...others] = card.posts;
  if (!first) return h("div", { class: "muted" }, "");
  return h("div", { class: "post" }, `${first.title} · ${first.unit_name}`,
    others.length ? h("span", { class: "muted" }, `；另任 ${others.map((post) => `${post.unit_name}${post.title}`).join("、")}`) : null);
}

// ☆ / ★: 设为常用 / 取消常用. `changed(card)` runs after the service has it.
export function starButton(card, changed) {
  const button = h("button", { type: "button", class: "star" });
  const draw = () => {
    button.textContent = card.starred ? "★" : "☆";
    button.setAttribute("aria-pressed", String(card.starred));
    button.setAttribute("aria-label", `${card.starred ? "取消常用" : "设为常用"}：${card.name}`);
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api(card.starred ? "DELETE" : "PUT", `/api/contacts/starred/${card.id}`);
      card.starred = !card.starred;
      toast(card.starred ? `已将${card.name}设为常用联系人` : `已取消常用联系人${card.name}`, "ok");
      draw();
      if (changed) changed(card);
    } catch (failure) {
      toast(errorText(failure), "error");
    } finally {
      button.disabled = false;
    }
  });
  draw();
  return button;
}

// A person as a card (the phone): name, post, phones to tap, the star.
export function personCard(card, changed) {
  return h("li", { class: "contact", "data-id": card.id },
    h("div", { class: "contact-head" }, h("strong", { class: "name" }, card.name), starButton(card, changed)),
    postLine(card), phoneLinks(card));
}

// "更多…" under a paged list: loads the next page into `list` until `total` are shown.
export function pagedList(list, load, draw, label, size = PAGE) {
  const more = h("button", { type: "button", class: "link more-people" }, label);
  let offset = 0;
  const next = async () => {
    more.disabled = true;
    try {
      const page = await load(offset, size);
      list.append(...page.items.map(draw));
      offset += page.items.length;
      more.hidden = offset >= page.total;
      more.disabled = false;
      return page;
    } catch (failure) {
      more.disabled = false;
      toast(errorText(failure), "error");
      return null;
    }
  };
  more.addEventListener("click", next);
  return { more, next };
}

// One unit of the tree. Its toggle opens its sub-units (and, with `inlinePeople`, its people) the first time it
// is opened; `select(unit)` (the desk) is called when its name is chosen.
export function unitNode(unit, { inlinePeople = false, select = null, changed = null, open = false } = {}) {
  const body = h("div", { class: "unit-body", hidden: true });
  const count = unit.people ? `${unit.people}人` : "";
  const toggle = h("button", { type: "button", class: "unit-toggle", "aria-expanded": "false",
    "aria-label": `${unit.name}${count ? `（${count}）` : ""}${unit.children ? `，下级单位${unit.children}个` : ""}` },
  h("span", { class: "caret", "aria-hidden": "true" }, unit.children || inlinePeople ? "▸" : "·"),
  h("span", { class: "unit-name" }, unit.name), count ? h("span", { class: "muted count" }, count) : null);
  let loaded = false;
  const load = async () => {
    loaded = true;
    const parts = [];
    if (inlinePeople && unit.people) {
      const people = h("ul", { class: "contacts-list" });
      const paged = pagedList(people, (offset, limit) => get(`/api/contacts/units/${unit.id}/people?offset=${offset}&limit=${limit}`),
        (card) => personCard(card, changed), "更多人员");
      parts.push(people, paged.more);
      await paged.next();
    }
    if (unit.children) {
      const children = h("ul", { class: "unit-tree" });
      const paged = pagedList(children, (offset, limit) => get(`/api/contacts/units/${unit.id}/children?offset=${offset}&limit=${limit}`),
        (child) => unitNode(child, { inlinePeople, select, changed }), "更多下级单位", UNIT_PAGE);
      parts.push(children, paged.more);
      await paged.next();
    }
    if (!parts.length) parts.push(h("p", { class: "muted" }, "暂无人员"));
    body.replaceChildren(...parts);
  };
  const setOpen = async (wanted) => {
    toggle.setAttribute("aria-expanded", String(wanted));
    toggle.querySelector(".caret").textContent = unit.children || inlinePeople ? (wanted ? "▾" : "▸") : "·";
    body.hidden = !wanted;
    if (wanted && !loaded) await load();
  };
  toggle.addEventListener("click", async () => {
    if (select) select(unit);
    if (unit.children || inlinePeople) await setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  const node = h("li", { class: "unit-node", "data-unit": unit.id }, toggle, body);
  if (open) setOpen(true);
  return node;
}

// The search box: calls `changed(text)` a quarter second after the last key (null once it is cleared).
export function searchBox(changed) {
  const input = h("input", { type: "search", id: "contact-search", placeholder: "姓名、拼音首字母、职务或单位",
    autocomplete: "off", enterkeyhint: "search" });
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => changed(input.value.trim() || null), 250);
  });
  return h("div", { class: "contact-search" }, h("label", { for: "contact-search" }, "搜索联系人"), input);
}

// The people a search finds, drawn by `draw` into `list`, a page at a time; a summary line says how many.
// A list replaced by a newer search is detached, so a late answer to an older one lands nowhere visible.
export function searchResults(text, list, draw) {
  const summary = h("p", { class: "muted search-summary", role: "status" }, "正在查找…");
  const paged = pagedList(list, (offset, limit) => get(`/api/contacts/search?q=${encodeURIComponent(text)}&offset=${offset}&limit=${limit}`),
    draw, "更多结果");
  const parts = [summary, list, paged.more];
  paged.next().then((page) => {
    if (page) summary.textContent = page.total ? `找到 ${page.total} 人` : `没有找到与“${text}”相符的人`;
  });
  return parts;
}
