// The phone's 检索 page, and a document opened from it (#/doc/{id}): its issued pages, readable on the go.

import { get } from "./api.js";
import { searchView } from "./search_view.js";
import { documentPages, h } from "./ui.js";

export const mobileSearchPage = {
  key: "search",
  label: "检索",
  async show({ id, render }) {
    render("检索", h("div", { class: "card" }, searchView({
      initial: id ? decodeURIComponent(id) : "", compact: true, open: (item) => `#/doc/${item.id}`,
      onQuery: (text) => { history.replaceState(null, "", `#/search/${encodeURIComponent(text)}`); },
    })));
  },
};

export const mobileDocumentPage = {
  key: "doc",
  label: "公文",
  nav: false,
  async show({ id, render }) {
    const view = await get(`/api/documents/${id}`);
    const content = view.content || {};
    render(content.title || "公文", h("section", { class: "card" },
      h("h2", {}, content.title || "（无标题）"),
      h("p", { class: "muted" }, [content.doc_number, content.doc_type].filter(Boolean).join(" · ")),
      documentPages(id)),
    h("p", {}, h("button", { type: "button", class: "link", onclick: () => history.back() }, "‹ 返回检索结果")));
  },
};
