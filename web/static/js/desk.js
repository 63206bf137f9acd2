// The clerks' desk: draft a document with its elements, attach files, send it through the 发文
// flow and follow it, download the .docx, dispatch it and watch the receipt board live (催办
// from there); the unit's inbox: sign for, return, register (which starts 收文), forward down.

import { ApiError, get, once, post } from "./api.js";
import { connectPush } from "./push.js";
import { beep, errorText, h, loginForm, toast, urgencyBadge, when } from "./ui.js";

const app = document.getElementById("app");
const STATUS = { pending: "未签收", signed: "已签收", returned: "已退文", handling: "办理中", closed: "已办结" };
const DOC_STATUS = { draft: "草稿", reviewing: "审批中", signed: "已签发", numbered: "已编号", issued: "已分发",
  received: "纸质收文", withdrawn: "已撤回" };
const state = { me: null, unit: null, push: null, board: null, doc: null, inboxAlert: "" };

function render(title, ...content) {
  const link = (hash, label) => h("a", { href: hash, class: location.hash.startsWith(hash) ? "active" : "" }, label);
  app.replaceChildren(...[
    h("header", { class: "bar" }, h("h1", {}, `公文流转 · ${title}`),
      h("span", { class: "who" }, state.me ? `${state.me.display_name} · ${state.unit ? state.unit.name : ""}` : ""),
      state.me && (state.me.administers === null || state.me.administers.length) ? h("a", { href: "/admin" }, "管理") : null,
      h("button", { class: "link", onclick: logout }, "退出")),
    state.inboxAlert ? h("div", { class: "alert", role: "alert" }, state.inboxAlert) : null,
    h("div", { class: "desk-layout" },
      h("nav", { class: "desk-nav", "aria-label": "功能" }, link("#/todo", "待办"), link("#/new", "拟稿"),
        link("#/documents", "我的公文"),
        link("#/inbox", "收文"), link("#/sent", "发文分发")),
      h("div", {}, ...content))].filter(Boolean));
}

function showLogin() {
  app.replaceChildren(loginForm("公文流转 · 办公桌面", boot));
}

async function logout() {
  try { await post("/api/logout"); } catch { /* already gone */ }
  if (state.push) { state.push.close(); state.push.reset(); }
  location.hash = "";
  showLogin();
}

// Unit picker: search the org tree and the saved groups; yields selectors ---------------------------

function unitPicker(id, label, initial = []) {
  const picked = [...initial];  // {selector, label}
  const chips = h("div", { class: "picked", "aria-label": `${label}已选` });
  const search = h("input", { id, type: "search", placeholder: "输入单位名称查找，或选择常用分组", autocomplete: "off" });
  const results = h("ul", { class: "people" });
  const draw = () => chips.replaceChildren(...picked.map((item, index) => h("button", { type: "button",
    "aria-label": `移除 ${item.label}`, onclick: () => { picked.splice(index, 1); draw(); } }, `${item.label} ×`)));
  const add = (selector, text) => {
    if (!picked.some((item) => JSON.stringify(item.selector) === JSON.stringify(selector))) picked.push({ selector, label: text });
    search.value = "";
    results.replaceChildren();
    draw();
  };
  search.addEventListener("input", async () => {
    const text = search.value.trim();
    if (!text) { results.replaceChildren(); return; }
    const [units, groups] = await Promise.all([get(`/api/units?q=${encodeURIComponent(text)}&limit=8`),
      get("/api/recipient-groups")]);
    results.replaceChildren(
      ...groups.items.filter((group) => group.name.includes(text)).map((group) => h("li", {},
        h("button", { type: "button", class: "link", onclick: () => add({ group: group.id }, group.name) },
          `分组：${group.name}`))),
      ...units.items.map((unit) => h("li", {}, h("button", { type: "button", class: "link",
        onclick: () => add({ unit: unit.id }, unit.name) }, unit.name))));
  });
  draw();
  return { element: h("div", {}, h("label", { for: id }, label), search, results, chips),
    selectors: () => picked.map((item) => item.selector), picked };
}

// Draft ----------------------------------------------------------------------------------------

function paragraphs(text) {
  // 一、 / （一） / 1. / （1） at the start of a line set the heading level, as clerks type them.
  return text.split(/\n+/).map((line) => line.trim()).filter(Boolean).map((line) => {
    if (/^[一二三四五六七八九十]+、/.test(line)) return { level: 1, text: line.replace(/^[一二三四五六七八九十]+、/, "") };
    if (/^（[一二三四五六七八九十]+）/.test(line)) return { level: 2, text: line.replace(/^（[一二三四五六七八九十]+）/, "") };
    if (/^\d+\./.test(line)) return { level: 3, text: line.replace(/^\d+\./, "") };
    if (/^（\d+）/.test(line)) return { level: 4, text: line.replace(/^（\d+）/, "") };
    return { level: 0, text: line };
  });
}

async function showNew() {
  const types = await get("/api/document-types");
  // No default 文种: the clerk chooses one, and the form is not saved without it.
  const typeSelect = h("select", { id: "doc_type", required: true },
    h("option", { value: "", disabled: true, selected: true }, "请选择文种"),
    types.items.map((item) => h("option", { value: item.name }, item.name)));
  const formError = h("p", { class: "error", role: "alert", id: "draft-error" });
  const title = h("input", { id: "title", required: true });
  const main = unitPicker("main_to", "主送");
  const copy = unitPicker("copy_to", "抄送");
  const body = h("textarea", { id: "body", rows: 10, placeholder: "每段一行；以“一、”“（一）”“1.”“（1）”开头的行为各级标题" });
  const urgency = h("select", { id: "urgency" }, ["", "加急", "特急"].map((value) => h("option", { value }, value || "普通")));
  const written = h("input", { id: "written_date", type: "date" });
  const contact = h("input", { id: "contact", placeholder: "联系人 电话" });
  const disclosure = h("select", { id: "disclosure" }, ["主动公开", "依申请公开", "不予公开"].map((value) => h("option", { value }, value)));
  const note = h("input", { id: "note", placeholder: "如：此件公开发布" });
  const printer = h("input", { id: "printer", placeholder: "如：韶关市人民政府办公室" });
  const printed = h("input", { id: "printed_date", type: "date" });
  const form = h("form", { class: "card", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const missing = [!typeSelect.value && ["请选择文种", typeSelect], !title.value.trim() && ["请填写标题", title]]
      .filter(Boolean);
    formError.textContent = missing.map(([text]) => text).join("；");
    if (missing.length) { missing[0][1].focus(); return; }
    const organs = (picker) => picker.picked.filter((item) => item.selector.unit)
      .map((item) => ({ unit_id: item.selector.unit, name: item.label }))
      .concat(picker.picked.filter((item) => item.selector.group).map((item) => ({ name: item.label })));
    const [contactName, ...phone] = contact.value.trim().split(/\s+/);
    try {
      const created = await post("/api/documents", {
        doc_type: typeSelect.value, title: title.value.trim(), main_to: organs(main), copy_to: organs(copy),
        body: paragraphs(body.value), urgency: urgency.value, written_date: written.value || null,
        disclosure: disclosure.value, note: note.value.trim(), printer: printer.value.trim() || null,
        printed_date: printed.value || null,
        contact: contactName ? { name: contactName, phone: phone.join(" ") } : null });
      sessionStorage.setItem(`oa.selectors.${created.id}`, JSON.stringify({ main: main.selectors(), copy: copy.selectors() }));
      toast("已保存草稿", "ok");
      location.hash = `#/documents/${created.id}`;
    } catch (failure) { toast(errorText(failure), "error"); }
  } },
  h("h2", {}, "拟稿"),
  h("div", { class: "row" }, h("div", {}, h("label", { for: "doc_type" }, "文种"), typeSelect),
    h("div", {}, h("label", { for: "urgency" }, "紧急程度"), urgency),
    h("div", {}, h("label", { for: "written_date" }, "成文日期"), written)),
  h("label", { for: "title" }, "标题"), title, main.element, copy.element,
  h("label", { for: "body" }, "正文"), body, h("label", { for: "contact" }, "联系人及电话"), contact,
  h("div", { class: "row" }, h("div", {}, h("label", { for: "disclosure" }, "公开属性"), disclosure),
    h("div", {}, h("label", { for: "note" }, "附注"), note)),
  h("div", { class: "row" }, h("div", {}, h("label", { for: "printer" }, "印发机关"), printer),
    h("div", {}, h("label", { for: "printed_date" }, "印发日期"), printed)),
  formError, h("div", { class: "buttons" }, h("button", { class: "primary", type: "submit" }, "保存草稿")));
  render("拟稿", form);
}

// One document: attachments, flow, .docx, dispatch ----------------------------------------------

function statusLine(documentView) {
  const content = documentView.content;
  return h("p", { class: "muted", id: "doc-status" }, `${content.doc_type} · ${DOC_STATUS[documentView.status] || documentView.status}`,
    content.doc_number ? ` · ${content.doc_number}` : "");
}

// The flow as it stands: where it is, who holds it now, and every action with its outcome in Chinese.
function flowCard(view) {
  const instance = view.instance;
  const where = { running: `当前：${instance.node_name}`, terminated: "已终止" }[instance.status] || "已办结";
  const holders = (view.current || []).map((item) => `${item.holders.map((who) => who.name).join("、")}（${item.node_name}）`);
  return h("section", { class: "card", id: "flow" }, h("h2", {}, `${instance.name}流程 · ${where}`),
    holders.length ? h("p", { class: "holders", id: "holders" }, `当前办理人：${holders.join("；")}`) : null,
    h("ol", { class: "timeline" }, view.audit.map((entry) => h("li", { class: entry.action === "disagreed" ? "disagreed" : "" },
      h("strong", {}, entry.by.name), ` ${entry.node_name || ""} `, h("span", { class: "outcome" }, entry.label || entry.action),
      h("span", { class: "time" }, when(entry.at)),
      entry.opinion || entry.reason ? h("blockquote", {}, entry.opinion || entry.reason) : null))));
}

function flowAlert(text) {
  state.inboxAlert = text;  // kept until the clerk moves to another page
  const alert = h("div", { class: "alert", role: "alert", id: "flow-alert" }, text);
  const shown = document.getElementById("flow-alert");
  if (shown) shown.replaceWith(alert);
  else document.querySelector("header.bar")?.after(alert);
}

async function showDocument(docId) {
  const [documentView, flows] = await Promise.all([get(`/api/documents/${docId}`), get(`/api/documents/${docId}/flows`)]);
  const content = documentView.content;
  const flow = flows.items[0];
  const sections = [h("section", { class: "card" },
    h("h2", {}, urgencyBadge(content.urgency), content.title || "（无标题）"),
    statusLine(documentView),
    h("p", {}, "主送：", content.main_to.map((item) => item.name).join("、") || "—"),
    h("div", { class: "buttons" },
      h("a", { href: `/api/documents/${docId}/render.docx`, download: "" }, "下载正式文件（.docx）"),
      h("a", { href: `/api/documents/${docId}/preview`, target: "_blank", rel: "noopener" }, "预览")))];

  const files = h("ul", { class: "files" }, content.attachments.map((item) => h("li", {}, item.title || item.id)));
  const picker = h("input", { type: "file", id: "attach", multiple: true });
  picker.addEventListener("change", async () => {
    for (const file of picker.files) {
      try {
        await post(`/api/documents/${docId}/attachments?name=${encodeURIComponent(file.name)}`, file);
      } catch (failure) { toast(`${file.name}：${errorText(failure)}`, "error"); }
    }
    showDocument(docId);
  });
  sections.push(h("section", { class: "card" }, h("h2", {}, "附件"), files,
    documentView.status === "draft" ? h("div", {}, h("label", { for: "attach" }, "上传附件"), picker) : null));

  if (documentView.status === "draft" && !flow) {
    const units = unitPicker("countersign", "会签单位（可不选）");
    const problems = h("p", { class: "error", role: "alert", id: "submit-problems" });
    sections.push(h("section", { class: "card" }, h("h2", {}, "送审（发文流程）"), units.element, problems,
      h("div", { class: "buttons" }, h("button", { class: "primary", onclick: async () => {
        const countersign = units.selectors().filter((selector) => selector.unit).map((selector) => selector.unit);
        try {
          await post("/api/instances", { flow: "fawen", document_id: docId, variables: { countersign_units: countersign } });
          toast("已送审", "ok");
          showDocument(docId);
        } catch (failure) {
          // 送审 refused for a draft lacking what its 文种 needs: say what, in the words the service gives.
          const missing = failure.code === "incomplete_document" ? failure.body.problems || [] : [];
          problems.textContent = missing.length ? `不能送审，请先补全：${missing.join("、")}` : "";
          toast(missing.length ? `公文要素不完整：${missing.join("、")}` : errorText(failure), "error");
        }
      } }, "送审"))));
  }
  if (flow) sections.push(flowCard(await get(`/api/instances/${flow.id}`)));
  if (["numbered", "issued"].includes(documentView.status)) sections.push(await dispatchSection(docId, content));
  render("公文", ...sections);
  // Live: the flow's pushes (any action in it reaches its drafter) redraw its state and timeline.
  state.doc = { id: docId, instanceId: flow ? flow.id : null, status: documentView.status, refresh: async () => {
    const [fresh, flowsNow] = await Promise.all([get(`/api/documents/${docId}`), get(`/api/documents/${docId}/flows`)]);
    const now = flowsNow.items[0];
    if (!now || now.id !== state.doc.instanceId || ["numbered", "issued"].includes(fresh.status) !== ["numbered", "issued"]
      .includes(state.doc.status)) { await showDocument(docId); return; }
    const view = await get(`/api/instances/${now.id}`);
    document.getElementById("flow")?.replaceWith(flowCard(view));
    document.getElementById("doc-status")?.replaceWith(statusLine(fresh));
    state.doc.status = fresh.status;
  } };
}

async function dispatchSection(docId, content) {
  const sent = await get(`/api/exchange/sent?limit=50`);
  const mine = sent.items.filter((item) => item.document_id === docId);
  const saved = JSON.parse(sessionStorage.getItem(`oa.selectors.${docId}`) || "null");
  const defaults = saved ? saved.main.map((selector) => ({ selector, label: selector.group || selector.unit }))
    : content.main_to.filter((item) => item.unit_id).map((item) => ({ selector: { unit: item.unit_id }, label: item.name }));
  const main = unitPicker("dispatch_main", "分发给（主送）", defaults);
  const key = crypto.randomUUID();
  const send = h("button", { class: "primary", onclick: async () => {
    send.disabled = true;
    try {
      const dispatch = await once(() => post(`/api/documents/${docId}/dispatch`, { main: main.selectors() },
        { "Idempotency-Key": key }), async () => false);
      toast(`已分发给 ${dispatch.total} 个单位`, "ok");
      location.hash = `#/board/${dispatch.id}`;
    } catch (failure) { toast(errorText(failure), "error"); send.disabled = false; }
  } }, "分发");
  return h("section", { class: "card" }, h("h2", {}, "分发"),
    mine.length ? h("ul", {}, mine.map((item) => h("li", {}, h("a", { href: `#/board/${item.id}` },
      `${when(item.created_at)} 分发 ${item.total} 个单位（已签收 ${item.counts.signed + item.counts.handling + item.counts.closed}）`))))
      : null,
    main.element, h("div", { class: "buttons" }, send));
}

async function showDocuments() {
  const page = await get("/api/documents?limit=50");
  render("我的公文", h("section", { class: "card" }, h("h2", {}, "我的公文"), h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "标题"), h("th", {}, "文种"), h("th", {}, "状态"), h("th", {}, "更新"))),
    h("tbody", {}, page.items.map((item) => h("tr", {},
      h("td", {}, h("a", { href: `#/documents/${item.id}` }, item.content.title || "（无标题）")),
      h("td", {}, item.content.doc_type), h("td", {}, DOC_STATUS[item.status] || item.status),
      h("td", {}, when(item.updated_at))))))));
}

// The live receipt board ---------------------------------------------------------------------------

async function showBoard(dispatchId) {
  const page = await get(`/api/dispatches/${dispatchId}/receipts?limit=200`);
  const rows = new Map(page.items.map((row) => [row.unit_id, row]));
  const counts = h("div", { class: "counts", id: "counts", "aria-live": "polite" });
  const body = h("tbody", {});
  const draw = (totals) => {
    counts.replaceChildren(...Object.entries(STATUS).map(([key, label]) => h("span", { "data-status": key },
      `${label} ${totals[key]}`)));
    body.replaceChildren(...[...rows.values()].map((row) => h("tr", { "data-unit": row.unit_id },
      h("td", {}, row.unit_name), h("td", {}, { main: "主送", copy: "抄送", lead: "主办", co: "协办" }[row.role]),
      h("td", { class: `status-${row.status}` }, STATUS[row.status]),
      h("td", {}, row.signed_by ? `${row.signed_by.name} ${when(row.signed_at)}` : ""),
      h("td", {}, row.return_reason || (row.last_urged_at ? `已催办 ${when(row.last_urged_at)}` : "")))));
  };
  state.board = { id: dispatchId, update: (data) => {
    rows.set(data.unit_id, { ...rows.get(data.unit_id), ...data });
    draw(data.counts);
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
  draw(page.counts);
  render("签收情况", h("section", { class: "card" }, h("h2", {}, `${page.dispatch.summary.title}`),
    h("p", { class: "muted" }, `${page.dispatch.summary.doc_number || ""} · 分发 ${page.total} 个单位 · ${when(page.dispatch.created_at)}`),
    counts, h("div", { class: "buttons" }, urge, h("a", { href: `#/tree/${dispatchId}` }, "转发情况"))),
  h("table", { id: "board" }, h("thead", {}, h("tr", {}, h("th", {}, "单位"), h("th", {}, "类别"), h("th", {}, "状态"),
    h("th", {}, "签收人"), h("th", {}, "备注"))), body));
}

async function showTodo() {
  const page = await get("/api/tasks?box=todo&limit=100");
  render("待办", h("section", { class: "card" }, h("h2", {}, `待办（${page.total}）`), page.items.length
    ? h("ul", { class: "tasks" }, page.items.map((task) => h("li", {}, h("a", { class: "task", href: `/#/task/${task.id}` },
      h("div", { class: "task-title" }, urgencyBadge(task.urgency), task.title),
      h("div", { class: "task-meta" }, `${task.node_name} · ${task.flow_name} · 截止 ${when(task.due_at)}`)))))
    : h("p", { class: "empty" }, "没有待办事项")));
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

// Inbox --------------------------------------------------------------------------------------------

async function receiptAction(row, action, body = {}) {
  try {
    await post(`/api/receipts/${row.id}/${action}`, body);
    toast({ sign: "已签收", register: "已登记，收文流程已启动", return: "已退文", forward: "已转发" }[action], "ok");
  } catch (failure) { toast(errorText(failure), "error"); }
  showInbox();
}

function inboxRow(row) {
  const reason = h("input", { placeholder: "退文理由", "aria-label": "退文理由" });
  const buttons = [];
  if (row.status === "pending") {
    buttons.push(h("button", { class: "primary", onclick: () => receiptAction(row, "sign") }, "签收"));
  }
  if (row.status === "signed") {
    buttons.push(h("button", { class: "primary", onclick: () => receiptAction(row, "register") }, "登记"));
  }
  if (["signed", "handling", "closed"].includes(row.status) && row.kind !== "paper") {
    const note = h("input", { placeholder: "转发意见（可留空）", "aria-label": "转发意见" });
    buttons.push(note, h("button", { onclick: () => receiptAction(row, "forward", {
      main: [{ subtree: row.unit_id, level: "town" }], note: note.value.trim() }) }, "转发下级乡镇"));
  }
  if (["pending", "signed"].includes(row.status) && row.kind !== "paper") {
    buttons.push(reason, h("button", { class: "danger", onclick: () => {
      if (!reason.value.trim()) { toast("请填写退文理由", "warn"); reason.focus(); return; }
      receiptAction(row, "return", { reason: reason.value.trim() });
    } }, "退文"));
  }
  return h("tr", { "data-receipt": row.id },
    h("td", {}, urgencyBadge(row.urgency), h("a", { href: `/api/documents/${row.document_id}/preview`, target: "_blank" }, row.title),
      row.note ? h("div", { class: "muted" }, `转发意见：${row.note}`) : null),
    h("td", {}, row.sender_unit_name), h("td", {}, row.doc_number || ""), h("td", { class: `status-${row.status}` },
      STATUS[row.status], row.registration ? h("div", { class: "muted" }, row.registration.text) : null),
    h("td", {}, when(row.created_at)), h("td", {}, h("div", { class: "row" }, buttons)));
}

async function showInbox() {
  const page = await get("/api/exchange/inbox?limit=100");
  render("收文", h("section", { class: "card" }, h("h2", {}, `收文（${page.total}）`), h("table", { id: "inbox" },
    h("thead", {}, h("tr", {}, h("th", {}, "标题"), h("th", {}, "来文单位"), h("th", {}, "文号"), h("th", {}, "状态"),
      h("th", {}, "收到"), h("th", {}, "办理"))),
    h("tbody", {}, page.items.map(inboxRow)))));
}

// Start --------------------------------------------------------------------------------------------

function onEvent(event) {
  const data = event.data || {};
  if (event.type === "flow.disagreed") flowAlert(`${data.by}${data.unit ? `（${data.unit}）` : ""}不同意《${data.title}》：${data.reason}`);
  if (state.doc && /^(flow|task)\./.test(event.type)
    && (data.document_id === state.doc.id || (data.instance_id && data.instance_id === state.doc.instanceId))) {
    state.doc.refresh().catch(() => {});
  }
  if (event.type === "exchange.receipt" && state.board && data.dispatch_id === state.board.id) state.board.update(data);
  if (event.type === "exchange.received" || event.type === "exchange.urged") {
    state.inboxAlert = `${event.type === "exchange.urged" ? "催办" : "新收文"}：${data.title}（${data.sender_unit_name}）`;
    if (data.urgency === "特急") beep();
    route();
  }
}

async function route() {
  const [, page, id] = location.hash.split("/");
  if (page !== "board") state.board = null;
  if (page !== "documents" || !id) state.doc = null;
  try {
    if (page === "new") await showNew();
    else if (page === "documents" && id) await showDocument(id);
    else if (page === "documents") await showDocuments();
    else if (page === "board" && id) await showBoard(id);
    else if (page === "sent") await showSent();
    else if (page === "tree" && id) await showTree(id);
    else if (page === "todo") await showTodo();
    else await showInbox();
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) showLogin();
    else if (failure instanceof ApiError && failure.status === 404) {
      render("无权查看", h("p", { class: "card" }, "没有找到，或您的岗位无权查看此项内容。"));
    } else toast(errorText(failure), "error");
  }
}

async function boot() {
  try {
    state.me = await get("/api/me");
  } catch (failure) {
    if (failure.status === 401) { showLogin(); return; }
    throw failure;
  }
  const post0 = state.me.posts.find((item) => item.primary) || state.me.posts[0];
  state.unit = post0 ? post0.unit : null;
  if (state.push) state.push.restart();  // logged in again: a socket for the new session
  else {
    // Logged out elsewhere, deactivated, password changed or expired: as after a 401.
    state.push = connectPush({ onEvent, onState: () => {}, onSessionEnded: () => { state.push.reset(); showLogin(); } });
    window.addEventListener("hashchange", () => { state.inboxAlert = ""; route(); });  // seen once they move on
  }
  route();
}

boot();
