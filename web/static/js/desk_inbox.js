// The desk's 收文: one entry per document with every route it came by; 签收, 批量签收, 登记, 退文, 转发, 传阅 and
// 会办 from there; a received document's sealed pages. Built by desk.js with what it shares (`inboxPages`).

import { get, post } from "./api.js";
import { urgeControl } from "./flow_urge.js";
import { timeline } from "./task_view.js";
import { documentPages, errorText, h, paperOrigin, sealCheck, toast, urgencyBadge, when } from "./ui.js";

export function inboxPages({ render, me, holdsPostIn, recallState, DISPATCHERS, STATUS, RECALL }) {
  async function receiptAction(row, action, body = {}) {
    try {
      await post(`/api/receipts/${row.id}/${action}`, body);
      toast({ sign: "已签收", register: "已登记，收文流程已启动", return: "已退文", forward: "已转发",
        "acknowledge-recall": "已确认收到追回通知" }[action], "ok");
    } catch (failure) { toast(errorText(failure), "error"); }
    showInbox();
  }

  // One inbox entry per document however often it arrived: every sender it came through.
  function routesLine(row) {
    const routes = row.routes || [];
    if (routes.length < 2) return null;
    const names = (forwarded) => [...new Set(routes.slice(1).filter((route) => (route.depth > 0) === forwarded)
      .map((route) => route.sender_unit_name))].join("、");
    const [viaForward, viaDispatch] = [names(true), names(false)];
    return h("div", { class: "muted routes" }, `来自：${routes[0].sender_unit_name}`,
      viaForward ? `；另经 ${viaForward} 转发` : "", viaDispatch ? `；另由 ${viaDispatch} 分发` : "");
  }

  // The sender took back a document this unit had signed for: its reason, who and when, and whether it was confirmed.
  function recallNotice(row) {
    const notice = row.recall;
    if (!notice || row.status === "recalled") return null;
    const by = notice.by || {};
    return h("div", { class: "recall-notice", role: "note" }, h("strong", {}, "追回通知"),
      h("div", {}, `理由：${notice.reason}`),
      h("div", { class: "muted" }, `${row.sender_unit_name} ${by.name || ""}${by.post ? `（${by.post}）` : ""} ${when(notice.at)}`),
      notice.acknowledged_at ? h("div", { class: "muted" },
        `已确认收到：${notice.acknowledged_by ? notice.acknowledged_by.name : ""} ${when(notice.acknowledged_at)}`) : null);
  }

  function inboxRow(row) {
    const reason = h("input", { placeholder: "退文理由", "aria-label": "退文理由" });
    const buttons = [];
    // 签收, 登记, 转发 and 退文 are the office's (收发员, 办公室主任); other readers of the unit see the entry only.
    const handles = holdsPostIn(row.unit_id, DISPATCHERS);
    if (!handles) buttons.push(h("span", { class: "muted" }, "由本单位收发员或办公室主任办理"));
    if (row.recall) {
      // Recalled after it was signed for: nothing more to do with it but confirm the notice.
      if (handles && !row.recall.acknowledged_at) {
        buttons.push(h("button", { class: "primary", onclick: () => receiptAction(row, "acknowledge-recall") },
          "确认收到追回通知"));
      }
      return inboxEntry(row, buttons);
    }
    if (handles && row.status === "pending") {
      buttons.push(h("button", { class: "primary", onclick: () => receiptAction(row, "sign") }, "签收"));
    }
    if (handles && row.status === "signed") {
      buttons.push(h("button", { class: "primary", onclick: () => receiptAction(row, "register") }, "登记"));
    }
    // 转发 to units the clerk picks within the unit's subtree (desk_forward.js); a town has none below it.
    const level = (me().posts.find((item) => item.unit_id === row.unit_id && item.unit) || {}).unit?.level;
    const held = ["signed", "handling", "closed"].includes(row.status);
    if (handles && held && row.kind !== "paper" && level !== "town") {
      buttons.push(h("a", { class: "button", href: `#/forward/${row.id}` }, "转发"));
    }
    if (handles && held) buttons.push(h("a", { class: "button", href: `#/circulate/r:${row.id}` }, "传阅"));
    if (["lead", "co"].includes(row.role)) {  // 会办: the 协办's opinion, the 主办's reply (desk_huiban.js)
      buttons.push(h("a", { class: "button", href: `#/huiban/${row.id}` }, row.role === "co" ? "会办意见" : "会办答复"));
    }
    if (handles && ["pending", "signed"].includes(row.status) && row.kind !== "paper") {
      buttons.push(reason, h("button", { class: "danger", onclick: () => {
        if (!reason.value.trim()) { toast("请填写退文理由", "warn"); reason.focus(); return; }
        receiptAction(row, "return", { reason: reason.value.trim() });
      } }, "退文"));
    }
    return inboxEntry(row, buttons);
  }

  function inboxEntry(row, buttons) {
    const notice = recallState(row);
    const signable = row.status === "pending" && !row.recall && holdsPostIn(row.unit_id, DISPATCHERS);
    return h("tr", { "data-receipt": row.id },
      h("td", {}, signable ? batchBox(row) : null),
      h("td", {}, urgencyBadge(row.urgency), h("a", { href: `#/received/${row.document_id}/${row.id}` }, row.title),
        recallNotice(row),
        row.note ? h("div", { class: "muted" }, `${["lead", "co"].includes(row.role) ? "会办说明" : "转发意见"}：${row.note}`) : null,
        // The cover notes of the further routes it came by (a county's 转发 of what the city sent), each with its forwarder.
        (row.routes || []).slice(1).filter((route) => route.note).map((route) => h("div", { class: "muted" },
          `转发意见（${route.sender_unit_name}）：${route.note}`))),
      h("td", {}, row.issuer_name || row.sender_unit_name,
        row.issuer_name && row.issuer_name !== row.sender_unit_name
          ? h("div", { class: "muted" }, `由${row.sender_unit_name}${row.depth > 0 ? "转发" : "分发"}`) : null,
        routesLine(row)), h("td", {}, row.doc_number || ""),
      h("td", { class: `status-${row.status}` },
        STATUS[row.status], row.registration ? h("div", { class: "muted" }, row.registration.text) : null,
        notice ? h("div", { class: `recall-${notice}` }, RECALL[notice]) : null),
      h("td", {}, when(row.created_at)), h("td", { class: "actions" }, h("div", { class: "row" }, buttons)));
  }

  // A received document as it was issued: its sealed, signed pages, a check of the seals, the text to read.
  // One registered from paper is its scan, with who sent it.
  // The unit's own handling of what it received (opened from its 收文 row): the 收文 flow's record, who holds it
  // now, and 催办 of that holder, so the clerk who registered it can follow it to 办结.
  async function handlingCard(receiptId) {
    if (!receiptId) return null;
    const receipt = await get(`/api/receipts/${encodeURIComponent(receiptId)}`).catch(() => null);
    if (!receipt || !receipt.instance_id) return null;
    const view = await get(`/api/instances/${receipt.instance_id}`).catch(() => null);
    if (!view) return null;
    const instance = view.instance;
    const where = instance.status === "running" ? `当前：${instance.node_name}` : instance.status === "terminated" ? "已终止" : "已办结";
    return h("section", { class: "card", id: "handling" },
      h("h2", {}, `收文办理 · ${where}`),
      receipt.registration ? h("p", { class: "muted" }, `收文编号 ${receipt.registration.text}`) : null,
      timeline(view),
      instance.status === "running" && (view.current || []).length ? urgeControl(instance.id) : null);
  }

  async function showReceived(docId, receiptId) {
    const [documentView, handling] = await Promise.all([get(`/api/documents/${docId}`), handlingCard(receiptId)]);
    const back = h("p", {}, h("a", { href: "#/inbox" }, "‹ 返回收文"));
    const title = h("h2", {}, documentView.content.title || "来文");
    if (documentView.origin && documentView.origin.kind === "paper") {
      render("收文", h("section", { class: "card" }, back, title, paperOrigin(documentView)), handling);
      return;
    }
    render("收文", h("section", { class: "card" }, back, title,
      documentView.number ? h("p", { class: "muted" }, documentView.number.text) : null, documentPages(docId), sealCheck(docId),
      h("div", { class: "buttons" },
        h("a", { href: `/api/documents/${docId}/preview`, target: "_blank", rel: "noopener" }, "文字版"))), handling);
  }

  // 批量签收: the rows ticked are signed in one request; each answers for itself (one recalled meanwhile is named).
  const batch = { chosen: new Set(), titles: new Map(), results: null };

  function batchBox(row) {
    const box = h("input", { type: "checkbox", "aria-label": `选择 ${row.title}`, checked: batch.chosen.has(row.id),
      onchange: () => {
        batch.titles.set(row.id, row.title);
        if (box.checked) batch.chosen.add(row.id); else batch.chosen.delete(row.id);
        const button = document.getElementById("batch-sign");
        if (button) { button.disabled = !batch.chosen.size; button.textContent = `批量签收（${batch.chosen.size}）`; }
      } });
    return box;
  }

  // Why a receipt of the batch was not signed, by its status then.
  const BATCH_REFUSED = { recalled: "来文单位已追回", signed: "已签收过", handling: "已签收过", closed: "已签收过",
    returned: "已退文" };

  async function batchSign(titles) {
    try {
      const result = await post("/api/exchange/sign", { receipt_ids: [...batch.chosen] });
      batch.results = result.items.map((item) => ({ ...item, title: titles.get(item.receipt_id) || item.receipt_id }));
      toast(`已签收 ${result.signed} 件${result.signed < result.items.length ? `，${result.items.length - result.signed} 件未签收` : ""}`,
        result.signed === result.items.length ? "ok" : "warn");
    } catch (failure) { toast(errorText(failure), "error"); }
    batch.chosen.clear();
    showInbox();
  }

  async function showInbox() {
    const page = await get("/api/exchange/inbox?limit=100");
    const titles = new Map(page.items.map((row) => [row.id, row.title]));
    // A ticked document recalled by its sender (or signed elsewhere) while the page was open leaves the batch, and
    // the page says which.
    const dropped = [...batch.chosen].filter((id) => !page.items.some((row) => row.id === id && row.status === "pending"));
    for (const id of dropped) batch.chosen.delete(id);
    const results = batch.results;
    batch.results = null;  // shown once, after the action
    render("收文", h("section", { class: "card" }, h("h2", {}, `收文（${page.total}）`),
      h("div", { class: "buttons" }, h("button", { id: "batch-sign", class: "primary", disabled: !batch.chosen.size,
        onclick: () => batchSign(titles) }, `批量签收（${batch.chosen.size}）`)),
      dropped.length ? h("p", { class: "warn", id: "batch-dropped", role: "note" }, `已勾选的${dropped.map((id) =>
        `《${batch.titles.get(id) || id}》`).join("")}已被来文单位追回或已签收，不再批量签收`) : null,
      results ? h("ul", { id: "batch-result", class: "batch-result" }, results.map((item) => h("li", { class: item.ok ? "ok" : "error" },
        `${item.title}：${item.ok ? "已签收" : `未签收（${BATCH_REFUSED[item.receipt_status] || errorText(item)}）`}`)))
        : null,
      h("div", { class: "scroll-x" },
        h("table", { id: "inbox" },
          h("thead", {}, h("tr", {}, h("th", {}, h("span", { class: "visually-hidden" }, "选择")), h("th", {}, "标题"),
            h("th", {}, "来文单位"), h("th", {}, "文号"), h("th", {}, "状态"), h("th", {}, "收到"), h("th", {}, "办理"))),
          h("tbody", {}, page.items.map(inboxRow))))));
  }

  return { showInbox, showReceived };
}
