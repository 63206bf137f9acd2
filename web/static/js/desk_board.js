// The sender's side of a dispatch at the desk: the live receipt board (each row updated by its push, the totals a
// tally of the rows; 催办 of the units not signed yet; 追回 of the whole dispatch or the ticked units, with a
// reason), the 转发情况 tree of who forwarded it further down, and the list of the unit's dispatches.

import { get, post } from "./api.js";
import { refusal } from "./desk_draft.js";
import { errorText, h, toast, when } from "./ui.js";

// A notice on a receipt signed for before the 追回: waiting for its unit to confirm, or confirmed.
function recallState(row) {
  if (!row.recall || row.status === "recalled") return null;
  return row.recall.acknowledged_at ? "acknowledged" : "waiting";
}

// What a 追回 can still reach: unsigned receipts (withdrawn) and signed ones without a notice yet.
function recallable(row) {
  return row.status === "pending" || (["signed", "handling", "closed"].includes(row.status) && !row.recall);
}

// Every row of the board, page by page (a dispatch may reach more units than one page holds).
async function boardPage(dispatchId) {
  const page = await get(`/api/dispatches/${dispatchId}/receipts?limit=200`);
  while (page.items.length < page.total) {
    const more = await get(`/api/dispatches/${dispatchId}/receipts?limit=200&offset=${page.items.length}`);
    if (!more.items.length) break;
    page.items.push(...more.items);
  }
  return page;
}

// The pages, drawn in the desk's frame (`render`); the board being shown is `state.board`, which the desk's pushes
// update row by row.
export function boardPages({ render, state, holdsPostIn, DISPATCHERS, STATUS, RECALL }) {
  async function showBoard(dispatchId) {
    const page = await boardPage(dispatchId);
    const rows = new Map(page.items.map((row) => [row.unit_id, row]));
    const clerk = holdsPostIn(page.dispatch.sender_unit_id, DISPATCHERS);
    const chosen = new Set();  // units ticked for a 追回 of some recipients only
    const counts = h("div", { class: "counts", id: "counts", "aria-live": "polite" });
    const body = h("tbody", {});
    const scope = h("p", { id: "recall-scope", class: "reach" });
    const drawScope = () => {
      const open = [...rows.values()].filter(recallable);
      scope.textContent = chosen.size ? `追回所选 ${chosen.size} 个单位`
        : `追回全部：${open.length} 个单位（未签收的撤回，已签收的发追回通知）`;
    };
    const tick = (row) => h("td", {}, h("input", { type: "checkbox", class: "tick", "aria-label": `选择 ${row.unit_name}`,
      checked: chosen.has(row.unit_id), disabled: !recallable(row), onchange: (event) => {
        if (event.target.checked) chosen.add(row.unit_id); else chosen.delete(row.unit_id);
        drawScope();
      } }));
    const stateCell = (row) => {
      const notice = recallState(row);
      return h("td", { class: `status-${row.status}` }, STATUS[row.status],
        notice ? h("div", { class: `recall-${notice}` }, RECALL[notice],
          notice === "acknowledged" ? h("span", { class: "muted" },
            `（${row.recall.acknowledged_by ? row.recall.acknowledged_by.name : ""} ${when(row.recall.acknowledged_at)}）`) : null)
          : null);
    };
    const remark = (row) => (row.recall ? `追回理由：${row.recall.reason}（${when(row.recall.at)}）`
      : row.return_reason || (row.last_urged_at ? `已催办 ${when(row.last_urged_at)}` : ""));
    const draw = () => {
      // The totals are a tally of the rows (every row is loaded, and each push replaces its row), so two
      // units signing at the same instant are both counted, whatever counts each push carried.
      const totals = {};
      for (const row of rows.values()) totals[row.status] = (totals[row.status] || 0) + 1;
      const notices = { waiting: 0, acknowledged: 0 };
      for (const row of rows.values()) if (recallState(row)) notices[recallState(row)] += 1;
      const recalled = totals.recalled || notices.waiting || notices.acknowledged;  // 追回 counts once there was one
      counts.replaceChildren(...Object.entries(STATUS).filter(([key]) => key !== "recalled" || recalled)
        .map(([key, label]) => h("span", { "data-status": key }, `${label} ${totals[key] || 0}`)),
      ...(recalled ? Object.entries(RECALL).map(([key, label]) => h("span", { "data-recall": key }, `${label} ${notices[key]}`))
        : []));
      for (const unitId of chosen) if (!recallable(rows.get(unitId) || {})) chosen.delete(unitId);
      body.replaceChildren(...[...rows.values()].map((row) => h("tr", { "data-unit": row.unit_id },
        clerk ? tick(row) : null,
        h("td", {}, row.unit_name), h("td", {}, { main: "主送", copy: "抄送", lead: "主办", co: "协办" }[row.role]),
        stateCell(row),
        h("td", {}, row.signed_by ? `${row.signed_by.name} ${when(row.signed_at)}` : ""),
        h("td", {}, remark(row)))));
      drawScope();
    };
    state.board = { id: dispatchId, update: (data) => {
      rows.set(data.unit_id, { ...rows.get(data.unit_id), ...data });
      draw();
    } };
    const urge = h("button", { class: "primary", onclick: async () => {
      try {
        const result = await post(`/api/dispatches/${dispatchId}/urge`, { message: "请尽快签收" });
        toast(`已催办 ${result.urged.length} 个未签收单位`, "ok");
      } catch (failure) {
        toast(failure.code === "urge_too_soon" ? `催办过于频繁，请于 ${when(failure.body.allowed_at)} 后再催办` : errorText(failure),
          "error");
      }
    } }, "催办未签收单位");

    // 追回: the whole dispatch, or the ticked rows; always with a reason, which the recipients read.
    const reason = h("textarea", { id: "recall-reason", rows: 2, placeholder: "如：主送单位选错，请勿办理" });
    const problem = h("p", { class: "error", role: "alert", id: "recall-problem" });
    const confirm = h("button", { class: "danger", type: "submit" }, "确认追回");
    const form = h("form", { id: "recall", class: "recall", hidden: true, novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      if (!reason.value.trim()) { problem.textContent = "请填写追回理由"; reason.focus(); return; }
      problem.textContent = "";
      confirm.disabled = true;
      try {
        const result = await post(`/api/dispatches/${dispatchId}/recall`, chosen.size
          ? { reason: reason.value.trim(), unit_ids: [...chosen] } : { reason: reason.value.trim() });
        toast([result.withdrawn.length ? `已撤回 ${result.withdrawn.length} 个未签收单位` : "",
          result.noticed.length ? `已向 ${result.noticed.length} 个已签收单位发出追回通知` : ""].filter(Boolean).join("；"), "ok");
        chosen.clear();
        reason.value = "";
        form.hidden = true;
        const fresh = await boardPage(dispatchId);  // as it stands now, whatever the pushes have brought already
        for (const row of fresh.items) rows.set(row.unit_id, row);
        draw();
      } catch (failure) {
        problem.textContent = refusal(failure);
        toast(errorText(failure), "error");
      } finally {
        confirm.disabled = false;
      }
    } }, h("label", { for: "recall-reason" }, "追回理由"), reason, scope, problem,
    h("div", { class: "buttons" }, confirm, h("button", { type: "button", onclick: () => { form.hidden = true; } }, "取消")));
    const recall = h("button", { class: "danger", onclick: () => {
      form.hidden = false;
      drawScope();
      reason.focus();
    } }, "追回");

    draw();
    render("签收情况", h("section", { class: "card" }, h("h2", {}, `${page.dispatch.summary.title}`),
      h("p", { class: "muted" }, `${page.dispatch.summary.doc_number || ""} · 分发 ${page.total} 个单位 · ${when(page.dispatch.created_at)}`),
      counts, h("div", { class: "buttons" }, clerk ? urge : null, clerk ? recall : null,
        h("a", { href: `#/tree/${dispatchId}` }, "转发情况"),
        page.dispatch.kind === "handling" ? h("a", { href: `#/huiban-replies/${dispatchId}` }, "会办答复") : null),
      clerk ? form : null,
      clerk ? h("p", { class: "muted" }, "追回：勾选单位只追回所选，不勾选则追回全部。") : null),
    h("div", { class: "scroll-x" }, h("table", { id: "board" }, h("thead", {}, h("tr", {},
      clerk ? h("th", {}, h("span", { class: "visually-hidden" }, "选择")) : null,
      h("th", {}, "单位"), h("th", {}, "类别"), h("th", {}, "状态"),
      h("th", {}, "签收人"), h("th", {}, "备注"))), body)));
  }

  async function showTree(dispatchId) {
    const tree = await get(`/api/dispatches/${dispatchId}/tree`);
    const forwardedOnly = tree.recipients.filter((row) => row.forwarded.length);
    const node = (branch) => h("li", {}, h("div", {}, `${branch.dispatch.sender_unit_name} 转发（${when(branch.dispatch.created_at)}）`,
      branch.dispatch.note ? h("div", { class: "muted" }, `转发意见：${branch.dispatch.note}`) : null),
    h("ul", {}, branch.recipients.map((row) => h("li", {}, `${row.unit_name} · `,
      h("span", { class: `status-${row.status}` }, STATUS[row.status]), h("ul", {}, row.forwarded.map(node))))));
    render("转发情况", h("section", { class: "card", id: "lineage" }, h("h2", {}, `${tree.dispatch.summary.title}`),
      h("p", { class: "muted" }, `直接分发 ${tree.recipients.length} 个单位，其中 ${forwardedOnly.length} 个单位向下转发`),
      h("ul", {}, forwardedOnly.map((row) => h("li", {}, h("strong", {}, row.unit_name), ` · ${STATUS[row.status]}`,
        h("ul", {}, row.forwarded.map(node))))),
      h("p", {}, h("a", { href: `#/board/${dispatchId}` }, "返回签收情况"))));
  }

  async function showSent() {
    const page = await get("/api/exchange/sent?limit=50");
    render("发文分发", h("section", { class: "card" }, h("h2", {}, "已分发"), h("ul", {}, page.items.map((item) => h("li", {},
      h("a", { href: `#/board/${item.id}` }, item.summary.title), ` · ${when(item.created_at)} · ${item.total} 个单位`)))));
  }

  return { showBoard, showTree, showSent, recallState };
}
