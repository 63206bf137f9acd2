// 检索: the search box with its filters and the results, shared by the desk and the phone. The service
// filters by what the person may open, ranks and marks the matched words; this draws them (never as
// HTML: each marked piece is its own <mark>), pages through them, and lists matching people.

import { get } from "./api.js";
import { errorText, h, when } from "./ui.js";

const STATUS = { draft: "草稿", reviewing: "审批中", signed: "已签发", numbered: "已编号", issued: "已分发",
  received: "纸质收文", withdrawn: "已撤回" };
const PAGE = 20;

function marked(parts) {
  return parts.map(([text, hit]) => (hit ? h("mark", {}, text) : text));
}

// `open(item)` gives the link of a document hit; `compact` lays the filters out for a phone.
export function searchView({ initial = "", open, compact = false, onQuery = () => {} }) {
  const box = h("input", { type: "search", id: "search-q", value: initial, placeholder: "标题、文号、正文、发文机关或人名",
    "aria-label": "检索内容", enterkeyhint: "search" });
  const type = h("select", { id: "search-type", "aria-label": "文种" }, h("option", { value: "" }, "全部文种"));
  const status = h("select", { id: "search-status", "aria-label": "状态" }, h("option", { value: "" }, "全部状态"),
    Object.entries(STATUS).map(([value, label]) => h("option", { value }, label)));
  const issuer = h("input", { type: "text", id: "search-issuer", placeholder: "发文机关", "aria-label": "发文机关" });
  const from = h("input", { type: "date", id: "search-from", "aria-label": "起始日期" });
  const to = h("input", { type: "date", id: "search-to", "aria-label": "截止日期" });
  const results = h("div", { class: "search-results", id: "search-results", "aria-live": "polite" });
  const state = { offset: 0 };
  get("/api/document-types").then((types) => {
    for (const item of types.items || types) type.append(h("option", { value: item.name || item }, item.name || item));
  }).catch(() => {});

  async function run(offset = 0) {
    state.offset = offset;
    const params = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
    const text = box.value.trim();
    if (text) params.set("q", text);
    for (const [name, input] of [["type", type], ["status", status], ["issuer", issuer], ["from", from], ["to", to]]) {
      if (input.value.trim()) params.set(name, input.value.trim());
    }
    onQuery(text);
    results.replaceChildren(h("p", { class: "muted" }, "正在检索…"));
    try {
      draw(await get(`/api/search?${params}`), text);
    } catch (failure) {
      results.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(failure)));
    }
  }

  function draw(answer, text) {
    const docs = answer.documents;
    const people = answer.people || [];
    const pages = Math.max(1, Math.ceil(docs.total / PAGE));
    const page = Math.floor(docs.offset / PAGE) + 1;
    results.replaceChildren(...[
      docs.complete ? null : h("p", { class: "warn" }, "检索索引正在建立，结果可能不全，请稍后再试。"),
      people.length ? h("section", { class: "people-hits", "aria-label": "人员" }, h("h3", {}, "人员"),
        h("ul", {}, people.map((person) => h("li", {}, h("strong", {}, marked(person.name_parts)),
          ` · ${person.posts.map((post) => `${post.unit_name} ${post.title}`).join("；")}`)))) : null,
      h("p", { class: "muted", id: "search-total" }, text ? `找到 ${docs.total} 件公文` : `共 ${docs.total} 件公文（按日期）`),
      docs.items.length ? h("ol", { class: "hits", start: docs.offset + 1 }, docs.items.map((item) => h("li", {},
        h("a", { href: open(item), class: "hit-title" }, marked(item.title_parts)),
        h("div", { class: "muted" }, [item.doc_number ? marked(item.doc_number_parts) : null,
          item.issuers, item.doc_type, STATUS[item.status] || item.status,
          item.side === "receiving" ? "收文" : "发文", item.date ? when(item.date).split(" ")[0] : null]
          .filter(Boolean).flatMap((piece, index) => (index ? [" · ", piece] : [piece]))),
        item.snippet_parts.length ? h("div", { class: "snippet" }, marked(item.snippet_parts)) : null)))
        : h("p", { class: "empty" }, text ? "没有找到您有权查看的相关公文" : "没有公文"),
      pages > 1 ? h("div", { class: "pager" },
        h("button", { type: "button", disabled: page <= 1, onclick: () => run(docs.offset - PAGE) }, "上一页"),
        ` 第 ${page} / ${pages} 页 `,
        h("button", { type: "button", disabled: page >= pages, onclick: () => run(docs.offset + PAGE) }, "下一页"))
        : null].filter(Boolean));
  }

  const form = h("form", { class: compact ? "search-form compact" : "search-form", role: "search",
    onsubmit: (event) => { event.preventDefault(); run(0); } },
  h("div", { class: "search-line" }, box, h("button", { type: "submit", class: "primary", id: "search-go" }, "检索")),
  h("details", { class: "search-filters", open: !compact }, h("summary", {}, "筛选"),
    h("div", { class: "filters" }, type, status, issuer, h("label", {}, "从 ", from), h("label", {}, "至 ", to))));
  if (initial) run(0);
  return h("div", { class: "search" }, form, results);
}
