// One task as the phone and the desk both show it: what it is (title, step, who sent it, 委托, deadline,
// 催办, how far a 发文 reaches), the document with its attachments, what everyone said before, and the
// decision panel — the task's own outcomes (同意 / 不同意 with a reason / 已阅 / 签发), the units a 批办 names
// to handle it, an opinion with phrases, a handwritten signature, a 批示 drawn over a page, and the further
// actions the service offers (task_more.js). Each app passes its own `act(task, path, body, doneText)`: the phone's goes through the
// offline outbox, the desk's straight to the service; both send an action once.

import { get, post } from "./api.js";
import { annotationFigure, pageAnnotator } from "./annotate_page.js";
import { phraseChips } from "./opinion_phrases.js";
import { moreActions, urgeLine } from "./task_more.js";
import { unitPicker } from "./unit_picker.js";
import { documentPages, dueLine, entrySelector, errorText, h, inkOn, paperOrigin, toast, urgencyBadge, when } from "./ui.js";

// Common phrases by the task's main outcome: a reading task is 已阅, an approval 同意.
const PHRASES = { approved: ["同意", "同意，请按程序办理", "请XX同志阅办"], read: ["已阅", "已阅，请抓好落实", "请XX同志阅办"],
  signed_off: ["同意", "同意印发", "请XX同志阅办"], submitted: ["请审核"] };
// Steps whose words are their own: 批办 assigns the handling, 用印 confirms the seal.
const STEP_PHRASES = { 批办: ["同意拟办意见", "请办公室牵头办理", "请XX同志阅办"], 已用印: ["已核对，同意用印"] };

// The service names every action in Chinese (label); these cover an older answer without one.
function actionName(entry) {
  return entry.label || { start: "发起", submitted: "提交", approved: "同意", disagreed: "不同意", signed_off: "签发",
    read: "已阅", return: "退回", transfer: "转办", add_signers: "加签", withdraw: "撤回", urge: "催办",
    terminate: "终止" }[entry.action] || entry.action.replace("auto:", "系统：");
}

// To whom a task went: 转办给 whom, 加签 whom and whether before or after the person who added them.
function actionDetail(entry) {
  if (entry.action === "transfer" && entry.to && entry.to.name) return ` 给${entry.to.name}`;
  if (entry.action === "add_signers" && entry.added) {
    return ` ${entry.added.map((who) => who.name).join("、")}（${entry.position === "after" ? "在其之后办理" : "先于其办理"}）`;
  }
  return "";
}

// Who holds the flow now, then every person's action with their opinion, signature and 批示, oldest first.
export function timeline(view) {
  const entries = view.audit.filter((entry) => entry.by);
  const holders = (view.current || []).map((item) => `${item.node_name} · ${item.holders.map((who) => who.name).join("、")}`);
  return h("div", {},
    holders.length ? h("p", { class: "holders" }, `当前办理：${holders.join("；")}`) : null,
    h("ol", { class: "timeline" }, entries.map((entry) => h("li", { class: entry.action === "disagreed" ? "disagreed" : "" },
      h("div", {}, h("strong", {}, entry.by.name), entry.by.post ? ` · ${entry.by.post}` : "",
        h("span", { class: "time" }, when(entry.at))),
      h("div", { class: "what" }, `${entry.node_name || ""} `, h("span", { class: "outcome" }, actionName(entry)),
        actionDetail(entry)),
      entry.opinion || entry.reason ? h("blockquote", {}, entry.opinion || entry.reason) : null,
      entry.signature ? h("img", { class: "signed", alt: `${entry.by.name}的手写签名`,
        src: `/api/instances/${view.instance.id}/${entry.signature}` }) : null,
      annotationFigure(view, entry)))));
}

function signaturePad() {
  const canvas = h("canvas", { width: 320, height: 140, class: "signature", "aria-label": "手写签名区域" });
  const context = canvas.getContext("2d");
  context.lineWidth = 3;
  context.lineCap = "round";
  let drawn = false;
  inkOn(canvas, context, () => { drawn = true; });
  const clear = h("button", { type: "button", class: "link", onclick: () => {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
  } }, "清除");
  return { element: h("details", { class: "sign" }, h("summary", {}, "手写签名（可选）"), canvas, clear),
    value: () => (drawn ? canvas.toDataURL("image/png") : null) };
}

// The opinion (phrases, text, signature, 批示), 不同意 and the further actions; the decision buttons in a bar
// kept at the bottom of the screen. `helpers`: { me, act, actionButton }.
export function actionPanel(task, helpers) {
  const { act, actionButton } = helpers;
  const outcomes = task.outcomes || ["approved"];
  const main = outcomes[0];
  const opinion = h("textarea", { id: "opinion", rows: 3, placeholder: "批示意见", "aria-label": "批示意见" });
  const builtIn = STEP_PHRASES[task.action_label] || PHRASES[main] || PHRASES.approved;
  const chips = phraseChips(builtIn, opinion);  // built-in, then the person's own
  const signature = signaturePad();
  const annotation = pageAnnotator(task.document_id);  // 批示 drawn over a page of the document
  const mainLabel = main === "read" ? "已阅" : task.action_label;
  const doneText = mainLabel.startsWith("已") ? mainLabel : `已${mainLabel}`;
  // 批办 names the 承办 units (the task says which it may choose); none chosen, the flow's own fallback applies.
  const choices = (task.chooses || []).filter((choice) => ["unit", "units"].includes(choice.type)).map((choice) => ({
    ...choice, picker: unitPicker(`choose-${choice.var}`, choice.label, [], { groups: false }) }));
  const chosen = () => {
    const variables = {};
    for (const choice of choices) {
      const ids = choice.picker.selectors().map((selector) => selector.unit).filter(Boolean);
      if (choice.type === "unit" && ids.length > 1) throw new Error(`${choice.label}只能选择一个单位`);
      if (ids.length) variables[choice.var] = choice.type === "unit" ? ids[0] : ids;
    }
    return variables;
  };
  const submit = actionButton({ class: "primary", id: "submit", onclick: () => {
    let variables;
    try { variables = chosen(); } catch (problem) { toast(problem.message, "warn"); return; }
    act(task, "approve", { opinion: opinion.value.trim(), signature: signature.value(), annotation: annotation.value(),
      outcome: main, ...(Object.keys(variables).length ? { variables } : {}) }, doneText);
  } }, mainLabel, { submits: true });

  const more = moreActions(task, helpers);  // 退回 (to a chosen earlier step), 转办, 加签
  const toggle = (box, focus) => () => {
    for (const other of [disagreeBox, ...more.map((item) => item.box)]) if (other !== box) other.hidden = true;
    box.hidden = !box.hidden;
    if (!box.hidden) { box.scrollIntoView({ block: "center" }); if (focus) focus.focus(); }
  };
  const why = h("textarea", { id: "disagree-reason", rows: 3, placeholder: "不同意的理由（必填）", "aria-label": "不同意理由" });
  const disagreeBox = h("div", { class: "more", hidden: true, id: "disagree-box" }, h("strong", {}, "不同意"), why,
    actionButton({ class: "danger", onclick: () => {
      if (!why.value.trim()) { toast("请填写不同意的理由", "warn"); why.focus(); return; }
      act(task, "disagree", { reason: why.value.trim(), signature: signature.value() }, "已提交不同意意见");
    } }, "确认不同意"));
  const panel = h("section", { class: "actions card", "aria-label": "办理意见" }, h("h2", {}, "办理意见"),
    choices.length ? h("div", { class: "choices", id: "choices" }, choices.map((choice) => choice.picker.element),
      h("p", { class: "muted" }, "不选承办单位则由本单位办公室承办")) : null, opinion,
    signature.element, annotation.element, h("div", { class: "buttons" },
      more.map((item) => h("button", { class: "secondary", onclick: toggle(item.box, item.focus) }, item.label))),
    disagreeBox, more.map((item) => item.box));
  const bar = h("div", { class: "actionbar", role: "group", "aria-label": "办理" }, chips,
    h("div", { class: "decide" },
      outcomes.includes("disagreed") ? actionButton({ class: "danger", id: "disagree", onclick: toggle(disagreeBox, why) },
        "不同意") : null,
      submit));
  return { panel, bar };
}

// A 发文 not yet sent: how many units its 主送/抄送 reach ("将送达 N 个单位"), as the desk shows before 送审,
// so whoever signs it off knows how far it goes. External names are printed only.
function reachLine(view, documentView, me) {
  const content = documentView.content;
  if (view.instance.category !== "发文" || ["issued", "received"].includes(documentView.status)) return null;
  const entries = [...(content.main_to || []), ...(content.copy_to || [])];
  const selectors = entries.map(entrySelector).filter(Boolean);
  const externals = entries.length - selectors.length;
  if (!selectors.length) return null;
  const line = h("p", { class: "reach", id: "reach" }, "正在计算送达单位…");  // a line from the start: nothing below moves
  const unitId = documentView.drafting_unit_id;
  const mine = me && me.posts.some((item) => item.active !== false && item.unit_id === unitId);
  post("/api/recipients/resolve", mine ? { selectors, unit_id: unitId } : { selectors }).then((reach) => {
    line.textContent = `将送达 ${reach.total} 个单位${externals ? `（另有 ${externals} 个外部单位只印发）` : ""}`;
  }, (failure) => { line.textContent = `无法计算送达单位：${errorText(failure)}`; });
  return line;
}

// The task, its document and the flow so far: { task, view, documentView }, read together.
export async function loadTask(taskId) {
  const task = await get(`/api/tasks/${taskId}`);
  const [view, documentView] = await Promise.all([get(`/api/instances/${task.instance_id}`),
    get(`/api/documents/${task.document_id}`)]);
  return { task, view, documentView };
}

// The cards of a task's screen, in reading order: what it is, the document (or the paper letter's scan), its
// attachments, what others said. The decision panel comes after them, placed by the app.
export function taskCards({ task, view, documentView }, me) {
  const paper = Boolean(documentView.origin && documentView.origin.kind === "paper");
  // A paper letter's files are its scans, listed under 来文: not again as 附件.
  const attachments = paper ? [] : documentView.content.attachments || [];
  return [
    h("section", { class: "card", id: "task-card" },
      h("h2", {}, urgencyBadge(task.urgency), task.title),
      h("p", { class: "task-meta" }, `${task.flow_name} · ${task.node_name}`,
        task.from && task.from.name ? ` · 来自 ${task.from.name}` : ""),
      task.acting_for_name ? h("p", { class: "task-meta acting-for", id: "acting-for" },
        `受${task.acting_for_name}委托代为办理，流转记录同时记下您和${task.acting_for_name}`) : null,
      task.status === "active" ? dueLine(task.due_at) : null,
      task.status === "active" ? urgeLine(task) : null,
      reachLine(view, documentView, me),
      task.note ? h("p", { class: "note" }, task.note) : null),
    paper
      ? h("section", { class: "card" }, h("h2", {}, "来文"), paperOrigin(documentView))
      : h("section", { class: "card" }, h("h2", {}, "正文"), documentPages(task.document_id),
        h("details", { class: "text-version" }, h("summary", {}, "文字版（可放大阅读）"),
          h("iframe", { class: "preview", title: "公文正文（文字版）", src: `/api/documents/${task.document_id}/preview` }))),
    attachments.length ? h("section", { class: "card" }, h("h2", {}, "附件"), h("ul", { class: "files" },
      attachments.map((item) => h("li", {}, item.file
        ? h("a", { href: `/api/documents/${task.document_id}/attachments/${item.id}?redirect=1&inline=1`, target: "_blank",
          rel: "noopener" }, item.title || item.file.name)
        : item.title)))) : null,
    h("section", { class: "card", id: "task-flow" }, h("h2", {}, "流转记录"), timeline(view)),
  ].filter(Boolean);
}
