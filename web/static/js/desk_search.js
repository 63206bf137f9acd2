// The desk's 检索 page (#/search/{query}): one box over every document the clerk may see and the people.

import { searchView } from "./search_view.js";
import { h } from "./ui.js";

export const deskSearchPage = {
  key: "search",
  label: "检索",
  async show({ id, render }) {
    render("检索", h("section", { class: "card" }, searchView({
      initial: id ? decodeURIComponent(id) : "",
      open: (item) => (item.side === "receiving" ? `#/received/${item.id}` : `#/documents/${item.id}`),
      // The query goes into the address, so the browser's back button returns to these results.
      onQuery: (text) => { history.replaceState(null, "", `#/search/${encodeURIComponent(text)}`); },
    })));
    document.getElementById("search-q").focus();
  },
};

// The box in the desk's header: any page, type and press Enter.
export function headerSearch() {
  const box = h("input", { type: "search", id: "header-search", placeholder: "检索公文、人员", "aria-label": "检索" });
  return h("form", { class: "header-search", role: "search", onsubmit: (event) => {
    event.preventDefault();
    if (box.value.trim()) location.hash = `#/search/${encodeURIComponent(box.value.trim())}`;
  } }, box);
}
