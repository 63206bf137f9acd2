// 批示 over the page: the leader picks a page of the document and writes on it by finger (or mouse, pen);
// the strokes are a transparent layer the size of the page image, sent with the opinion as
// { page, image: PNG data URL }. The timeline (phone and desk) shows each such 批示 laid over its page.

import { get } from "./api.js";
import { h, inkOn } from "./ui.js";

// The layer's pixels: the page image as the service draws it 720 px wide (A4: 210 × 297 mm).
const LAYER_WIDTH = 720;
const LAYER_HEIGHT = Math.round((LAYER_WIDTH * 297) / 210);

function pageUrl(docId, page, width) {
  return `/api/documents/${docId}/pages/${page}.png?width=${width}`;
}

// The drawing board: { element, value() }; value() is null until something is drawn.
export function pageAnnotator(docId) {
  let count = 1;
  let page = 1;
  let drawn = false;
  const image = h("img", { class: "page", alt: "", draggable: "false" });
  const canvas = h("canvas", { width: LAYER_WIDTH, height: LAYER_HEIGHT, class: "ink",
    "aria-label": "在正文页面上手写批示" });
  const context = canvas.getContext("2d");
  context.lineWidth = 4;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#c00000";  // leaders' 批示 are customarily in red ink
  const label = h("span", { class: "page-no", "aria-live": "polite" });
  const show = () => {
    image.src = pageUrl(docId, page, LAYER_WIDTH);
    image.alt = `第${page}页`;
    label.textContent = `第${page}页 / 共${count}页`;
    previous.disabled = page <= 1 || drawn;  // the strokes belong to one page: clear them to move on
    next.disabled = page >= count || drawn;
  };
  const clear = () => {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    show();
  };
  const previous = h("button", { type: "button", class: "secondary", onclick: () => { page -= 1; show(); } }, "上一页");
  const next = h("button", { type: "button", class: "secondary", onclick: () => { page += 1; show(); } }, "下一页");

  inkOn(canvas, context, () => { if (!drawn) { drawn = true; show(); } });

  const stage = h("div", { class: "ink-stage" }, image, canvas);
  const element = h("details", { class: "annotate", id: "annotate" },
    h("summary", {}, "在正文上批示（手写，可选）"),
    h("p", { class: "muted" }, "选好页面后直接在页面上书写；批示作为图层随意见保存，不改动公文本身。"),
    h("div", { class: "buttons" }, previous, label, next), stage,
    h("div", { class: "buttons" }, h("button", { type: "button", class: "link", onclick: clear }, "清除批示")));
  element.addEventListener("toggle", () => {
    if (!element.open || image.src) return;
    get(`/api/documents/${docId}/pages`).then((info) => { count = info.count; show(); }).catch(() => show());
  }, { once: false });
  return { element, value: () => (drawn ? { page, image: canvas.toDataURL("image/png") } : null) };
}

// A 批示 in the timeline: the page it was drawn on with the strokes over it, opening large on a tap.
export function annotationFigure(view, entry) {
  const annotation = entry.annotation;
  if (!annotation) return null;
  const layer = `/api/instances/${view.instance.id}/annotations/${annotation.sha256}.png`;
  const docId = view.instance.document_id;
  return h("figure", { class: "annotation" },
    h("div", { class: "ink-stage" },
      h("img", { class: "page", src: pageUrl(docId, annotation.page, 720), alt: `第${annotation.page}页`, loading: "lazy" }),
      h("img", { class: "ink", src: layer, alt: `${entry.by.name}在第${annotation.page}页上的手写批示` })),
    h("figcaption", {}, `${entry.by.name}在第${annotation.page}页上的批示`));
}
