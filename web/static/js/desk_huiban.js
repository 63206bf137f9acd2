// 会办: a document that asks the receiving units for their views. `#/huiban/<receipt>` is the receiving
// unit's screen — a 协办 unit writes its opinion for the 主办; the 主办 reads the 协办 units' opinions and
// answers the sender with a numbered document of its own. `#/huiban-replies/<dispatch>` is the sender's
// screen: every unit asked, its part, and what it answered (the opinion, or the reply document).
// `#/huiban-send/<document>` asks for it: a numbered document sent to one 主办 unit and any 协办 units.

import { ApiError, get, once, post } from "./api.js";
import { unitPicker } from "./unit_picker.js";
import { errorText, h, toast, when } from "./ui.js";

const ROLE = { lead: "主办", co: "协办", main: "主送", copy: "抄送" };
const STATUS = { pending: "未签收", signed: "已签收", returned: "已退文", handling: "办理中", closed: "已办结",
  recalled: "已追回" };

function header(receipt) {
  return [h("p", {}, h("a", { href: "#/inbox" }, "‹ 返回收文")),
    h("h2", {}, `会办（${ROLE[receipt.role]}）：${receipt.title}`),
    h("p", { class: "muted" }, `${receipt.sender_unit_name} ${receipt.doc_number || ""} · 收到 ${when(receipt.created_at)}`),
    h("p", {}, h("a", { href: `#/received/${receipt.document_id}` }, "阅读来文"))];
}

function coScreen(receipt, reload) {
  if (receipt.opinion) {
    return h("div", { id: "opinion-given" }, h("p", {}, "已提交会办意见："), h("blockquote", {}, receipt.opinion.text),
      h("p", { class: "muted" }, `${receipt.opinion.by.name} ${when(receipt.opinion.at)}`));
  }
  if (receipt.status === "pending") return h("p", { class: "muted" }, "请先在收文中签收，再提出会办意见。");
  const text = h("textarea", { id: "huiban-opinion", rows: 5, placeholder: "本单位对来文的意见" });
  const problem = h("p", { class: "error", role: "alert" });
  const send = h("button", { class: "primary", onclick: async () => {
    if (!text.value.trim()) { problem.textContent = "请填写会办意见"; text.focus(); return; }
    send.disabled = true;
    try {
      await post(`/api/receipts/${receipt.id}/opinion`, { opinion: text.value.trim() });
      toast("会办意见已送主办单位", "ok");
      reload();
    } catch (failure) { problem.textContent = errorText(failure); send.disabled = false; }
  } }, "提交会办意见");
  return h("div", {}, h("label", { for: "huiban-opinion" }, "会办意见（送主办单位）"), text, problem,
    h("div", { class: "buttons" }, send));
}

async function leadScreen(receipt, reload) {
  const opinions = h("table", { id: "co-opinions" }, h("thead", {}, h("tr", {}, h("th", {}, "协办单位"),
    h("th", {}, "状态"), h("th", {}, "意见"))), h("tbody", {}, (receipt.co_opinions || []).map((row) => h("tr", {},
    h("td", {}, row.unit_name), h("td", {}, row.opinion ? "已提出意见" : STATUS[row.status] || row.status),
    h("td", {}, row.opinion ? row.opinion.text : "")))));
  const parts = [h("h3", {}, "协办单位意见"), opinions];
  if (receipt.reply_dispatch_id) {
    parts.push(h("p", { id: "reply-sent" }, `已答复${receipt.sender_unit_name}。`));
    return h("div", {}, parts);
  }
  if (receipt.status === "pending") {
    parts.push(h("p", { class: "muted" }, "请先在收文中签收，再答复来文单位。"));
    return h("div", {}, parts);
  }
  // The answer is a document of this unit, numbered (the unit's own 会办意见 or 函).
  const documents = (await get(`/api/documents?unit=${encodeURIComponent(receipt.unit_id)}&limit=100`)).items.filter((item) => item.drafting_unit_id === receipt.unit_id
    && ["numbered", "issued"].includes(item.status));
  const choice = h("select", { id: "huiban-reply" }, h("option", { value: "" }, documents.length ? "选择本单位已编号的答复公文"
    : "本单位还没有已编号的公文"), documents.map((item) => h("option", { value: item.id },
    `${item.content.title}${item.content.doc_number ? `（${item.content.doc_number}）` : ""}`)));
  const problem = h("p", { class: "error", role: "alert" });
  const send = h("button", { class: "primary", onclick: async () => {
    if (!choice.value) { problem.textContent = "请选择答复公文"; return; }
    send.disabled = true;
    try {
      await post(`/api/receipts/${receipt.id}/reply`, { document_id: choice.value });
      toast(`已答复${receipt.sender_unit_name}`, "ok");
      reload();
    } catch (failure) { problem.textContent = errorText(failure); send.disabled = false; }
  } }, "答复来文单位");
  parts.push(h("h3", {}, "答复来文单位"), h("label", { for: "huiban-reply" }, "答复公文"), choice,
    h("p", { class: "muted" }, "答复公文在“拟稿”中起草（如会办意见），编号后在此选择。"), problem, h("div", { class: "buttons" }, send));
  return h("div", {}, parts);
}

async function receivingPage({ id, render }) {
  const receipt = await get(`/api/receipts/${id}`);
  const reload = () => receivingPage({ id, render });
  const body = receipt.role === "co" ? coScreen(receipt, reload) : receipt.role === "lead"
    ? await leadScreen(receipt, reload) : h("p", {}, "此文不是会办来文。");
  render("会办", h("section", { class: "card", id: "huiban" }, header(receipt), body));
}

async function sentPage({ id, render }) {
  const page = await get(`/api/dispatches/${id}/receipts?limit=200`);
  const answer = (row) => {
    if (row.reply) {
      return h("span", {}, "答复公文：", h("a", { href: `#/received/${row.reply.document_id}` }, row.reply.title),
        row.reply.doc_number ? `（${row.reply.doc_number}）` : "");
    }
    if (row.opinion) return h("span", {}, row.opinion.text, h("div", { class: "muted" }, `${row.opinion.by.name} ${when(row.opinion.at)}`));
    return h("span", { class: "muted" }, row.role === "lead" ? "尚未答复" : "尚未提出意见");
  };
  const rows = [...page.items].sort((a, b) => (a.role === "lead" ? -1 : 0) - (b.role === "lead" ? -1 : 0));
  render("会办答复", h("section", { class: "card", id: "huiban-replies" },
    h("p", {}, h("a", { href: `#/board/${id}` }, "‹ 返回签收情况")),
    h("h2", {}, `会办答复：${page.dispatch.summary.title}`),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "单位"), h("th", {}, "类别"), h("th", {}, "状态"),
      h("th", {}, "答复"))), h("tbody", {}, rows.map((row) => h("tr", { "data-unit": row.unit_id },
      h("td", {}, row.unit_name), h("td", {}, ROLE[row.role] || row.role), h("td", {}, STATUS[row.status] || row.status),
      h("td", {}, answer(row))))))));
}

async function sendPage({ id, render }) {
  const documentView = await get(`/api/documents/${id}`);
  const lead = unitPicker("huiban-lead", "主办单位", [], { groups: false });
  const co = unitPicker("huiban-co", "协办单位（可多选）", [], { groups: false });
  const note = h("textarea", { id: "huiban-note", rows: 2, placeholder: "如：请于12月10日前反馈意见" });
  const problem = h("p", { class: "error", role: "alert", id: "huiban-send-problem" });
  let key = crypto.randomUUID();  // one per 会办: a retry after a lost answer is not a second one
  const send = h("button", { class: "primary", onclick: async () => {
    const leads = lead.selectors().filter((selector) => selector.unit);
    if (leads.length !== 1) { problem.textContent = "请选择一个主办单位"; return; }
    send.disabled = true;
    try {
      const dispatch = await once(() => post(`/api/documents/${id}/dispatch`, { handling: { lead: leads[0].unit,
        co: co.selectors().filter((selector) => selector.unit).map((selector) => selector.unit) },
      note: note.value.trim() }, { "Idempotency-Key": key }), async () => false);
      toast(`已送 ${dispatch.total} 个单位会办`, "ok");
      location.hash = `#/huiban-replies/${dispatch.id}`;
    } catch (failure) {
      problem.textContent = errorText(failure);
      if (failure instanceof ApiError) key = crypto.randomUUID();
      send.disabled = false;
    }
  } }, "送会办");
  render("会办", h("section", { class: "card", id: "huiban-send" },
    h("p", {}, h("a", { href: `#/documents/${id}` }, "‹ 返回公文")),
    h("h2", {}, `会办：${documentView.content.title}`),
    h("p", { class: "muted" }, "主办单位汇总协办单位的意见后，以本单位公文答复；协办单位的意见送主办单位。"),
    lead.element, co.element, h("label", { for: "huiban-note" }, "说明"), note, problem,
    h("div", { class: "buttons" }, send)));
}

export const huibanSend = { key: "huiban-send", label: "会办", nav: false, show: sendPage };
export const huiban = { key: "huiban", label: "会办", nav: false, show: receivingPage };
export const huibanReplies = { key: "huiban-replies", label: "会办答复", nav: false, show: sentPage };
