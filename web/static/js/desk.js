// The clerks' desk: draft a document with its elements, attach files, send it through the 发文
// flow and follow it, download the .docx, dispatch it and watch the receipt board live (催办
// from there); the unit's inbox: sign for, return, register (which starts 收文), forward down.

import { annotationFigure } from "./annotate_page.js";
import { ApiError, get, once, post } from "./api.js";
import { editSection, newDraftForm, pickedOf, reachLine, refusal } from "./desk_draft.js";
import { unitPicker } from "./unit_picker.js";
import { DESK_PAGES } from "./desk_pages.js";
import { boardPages } from "./desk_board.js";
import { inboxPages } from "./desk_inbox.js";
import { headerSearch } from "./desk_search.js";
import { urgeControl } from "./flow_urge.js";
import { connectPush } from "./push.js";
import { beep, documentPages, entrySelector, errorText, h, loginForm, pageBadges, sealCheck, toast, urgencyBadge, when } from "./ui.js";

const app = document.getElementById("app");
const STATUS = { pending: "未签收", signed: "已签收", returned: "已退文", handling: "办理中", closed: "已办结",
  recalled: "已追回" };
// A receipt signed for before the sender's 追回 keeps its status and carries a notice its unit confirms.
const RECALL = { waiting: "追回待确认", acknowledged: "追回已确认" };
const DOC_STATUS = { draft: "草稿", reviewing: "审批中", signed: "已签发", numbered: "已编号", issued: "已分发",
  received: "纸质收文", withdrawn: "已撤回" };
const state = { me: null, unit: null, push: null, board: null, doc: null, inboxAlert: "" };

function render(title, ...content) {
  const link = (hash, label) => h("a", { href: hash, class: location.hash.startsWith(hash) ? "active" : "" }, label);
  app.replaceChildren(...[
    h("header", { class: "bar" }, h("h1", {}, `公文流转 · ${title}`),
      state.me ? headerSearch() : null,
      h("span", { class: "who" }, state.me ? `${state.me.display_name} · ${state.unit ? state.unit.name : ""}` : ""),
      state.me && (state.me.administers === null || state.me.administers.length) ? h("a", { href: "/admin" }, "管理") : null,
      h("button", { class: "link", onclick: logout }, "退出")),
    state.inboxAlert ? h("div", { class: "alert", role: "alert", id: "flow-alert" }, state.inboxAlert) : null,
    h("div", { class: "desk-layout" },
      h("nav", { class: "desk-nav", "aria-label": "功能" }, link("#/todo", "待办"), link("#/new", "拟稿"),
        link("#/documents", "我的公文"),
        link("#/inbox", "收文"), link("#/sent", "发文分发"),
        ...DESK_PAGES.filter((page) => page.nav !== false && (!page.visible || !state.me || page.visible(state.me)))
          .map((page) => link(`#/${page.key}`, page.label))),
      h("div", {}, ...content))].filter(Boolean));
  pageBadges(app.querySelector(".desk-nav"), DESK_PAGES);
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

async function showNew() {
  render("拟稿", await newDraftForm(state.unit && state.unit.id, (created) => { location.hash = `#/documents/${created.id}`; }));
}

// One document: attachments, flow, .docx, dispatch ----------------------------------------------

function statusLine(documentView) {
  const content = documentView.content;
  return h("p", { class: "muted", id: "doc-status" }, `${content.doc_type} · ${DOC_STATUS[documentView.status] || documentView.status}`,
    content.form ? ` · ${content.form}` : "", content.doc_number ? ` · ${content.doc_number}` : "",
    (documentView.filed_in || []).map((entry) => ` · 已归档（档号 ${entry.archival_code}）`));
}

// 发文机关 as they print: for a 联合行文 the lead marked 主办, each further platform issuer with its consent (its
// 主要领导's 同意 in the 发文 flow) or, before that, 待会签; organs outside the platform marked 外部机关.
function issuerLine(documentView) {
  const issuers = documentView.content.issuers;
  const consents = documentView.consents || {};
  const asking = ["draft", "reviewing"].includes(documentView.status);
  const part = (issuer, index) => {
    if (issuer.external) return h("span", { class: "tag" }, "外部机关");
    if (issuers.length < 2) return null;
    if (!index) return h("span", { class: "tag" }, "主办");
    const consent = consents[issuer.unit_id];
    if (consent) return h("span", { class: "tag tag-ok" }, `已会签同意（${consent.name}）`);
    return asking ? h("span", { class: "tag" }, "待会签") : null;
  };
  return h("p", { id: "issuers" }, "发文机关：", issuers.length
    ? issuers.map((issuer, index) => [index ? "、" : "", issuer.name, part(issuer, index)]) : "—");
}

// 主送/抄送 as they print; names outside the platform marked (printed only, never delivered to).
function recipientLine(label, entries) {
  return h("p", {}, `${label}：`, entries.length ? entries.map((entry, index) => [index ? "、" : "", entry.name,
    entry.external ? h("span", { class: "tag" }, "外部单位") : null]) : "—");
}

const AUTO_STEPS = { number: "编号", render: "生成正式文件", dispatch: "分发", archive: "归档" };

// An automatic step (编号, 分发…) that could not do its job, in red on the flow: the flow waits there.
function autoErrorNote(instance) {
  const failed = instance.auto_error;
  if (!failed || instance.status !== "running") return null;
  const name = AUTO_STEPS[failed.node] || (failed.node === instance.node ? instance.node_name : failed.node);
  const message = failed.message || "";
  return h("div", { class: "failed", role: "alert", id: "flow-error" },
    h("strong", {}, message.startsWith(`${name}失败`) ? message : `${name}失败：${message}`),
    h("div", {}, `${when(failed.at)} 起流程停在“${name}”，系统会定时重试`));
}

// The flow as it stands: where it is, who holds it now, and every action with its outcome in Chinese.
function othersHold(view) {
  return (view.current || []).some((item) => item.holders.some((who) => !state.me || who.user_id !== state.me.id));
}

function flowCard(view) {
  const instance = view.instance;
  const where = { running: `当前：${instance.node_name}`, terminated: "已终止" }[instance.status] || "已办结";
  const holders = (view.current || []).map((item) => `${item.holders.map((who) => who.name).join("、")}（${item.node_name}）`);
  return h("section", { class: "card", id: "flow" }, h("h2", {}, `${instance.name}流程 · ${where}`),
    autoErrorNote(instance),
    holders.length ? h("p", { class: "holders", id: "holders" }, `当前办理人：${holders.join("；")}`) : null,
    // 催办 is for someone else: not while the flow waits only on the person looking at it (a draft sent back).
    instance.status === "running" && othersHold(view) ? urgeControl(instance.id) : null,
    h("ol", { class: "timeline" }, view.audit.map((entry) => h("li", { class: entry.action === "disagreed" ? "disagreed" : "" },
      h("strong", {}, entry.by.name), ` ${entry.node_name || ""} `, h("span", { class: "outcome" }, entry.label || entry.action),
      h("span", { class: "time" }, when(entry.at)),
      entry.opinion || entry.reason ? h("blockquote", {}, entry.opinion || entry.reason) : null,
      annotationFigure(view, entry)))));
}

function flowAlert(text) {
  state.inboxAlert = text;  // kept until the clerk moves to another page
  const alert = h("div", { class: "alert", role: "alert", id: "flow-alert" }, text);
  const shown = document.getElementById("flow-alert");
  if (shown) shown.replaceWith(alert);
  else document.querySelector("header.bar")?.after(alert);
}

// 送审: a new 发文 flow, or, for a draft the flow sent back to its drafter (不同意, 退回), the drafter's own
// step submitted again; 会签 units chosen anew (those of the last round already picked).
async function submitSection(docId, startTask, countersignIds) {
  const names = await Promise.all(countersignIds.map((unitId) => get(`/api/units/${unitId}`).catch(() => null)));
  const initial = countersignIds.map((unitId, index) => ({ selector: { unit: unitId },
    label: names[index] ? names[index].name : unitId }));
  const units = unitPicker("countersign", "会签单位（可不选）", initial, { groups: false });
  const problems = h("p", { class: "error", role: "alert", id: "submit-problems" });
  return h("section", { class: "card", id: "send" }, h("h2", {}, startTask ? "重新送审（发文流程）" : "送审（发文流程）"),
    units.element, problems,
    h("div", { class: "buttons" }, h("button", { class: "primary", onclick: async () => {
      const countersign = units.selectors().filter((selector) => selector.unit).map((selector) => selector.unit);
      try {
        if (startTask) {
          await post(`/api/tasks/${startTask.id}/approve`, { outcome: "submitted",
            variables: { countersign_units: countersign } });
        } else {
          await post("/api/instances", { flow: "fawen", document_id: docId, variables: { countersign_units: countersign } });
        }
        toast("已送审", "ok");
        showDocument(docId);
      } catch (failure) {
        // 送审 refused for a draft lacking what its 文种 needs: say what, in the words the service gives.
        const missing = failure.code === "incomplete_document" ? failure.body.problems || [] : [];
        problems.textContent = missing.length ? `不能送审，请先补全：${missing.join("、")}` : refusal(failure);
        toast(missing.length ? `公文要素不完整：${missing.join("、")}` : errorText(failure), "error");
      }
    } }, "送审")));
}

async function showDocument(docId) {
  const [documentView, flows] = await Promise.all([get(`/api/documents/${docId}`), get(`/api/documents/${docId}/flows`)]);
  const content = documentView.content;
  const flow = flows.items[0];
  // Until it is sent, how many units its 主送/抄送 reach (groups and levels resolved by the service).
  const reach = ["draft", "reviewing", "signed", "numbered"].includes(documentView.status) ? reachLine("doc-reach") : null;
  if (reach) {
    const [mainSelectors, copySelectors] = [content.main_to, content.copy_to].map((entries) => entries.map(entrySelector)
      .filter(Boolean));
    reach.update([...mainSelectors, ...copySelectors], holdsPostIn(documentView.drafting_unit_id)
      ? documentView.drafting_unit_id : null, [...content.main_to, ...content.copy_to].filter((item) => item.external).length);
  }
  const sections = [h("section", { class: "card" },
    h("h2", {}, urgencyBadge(content.urgency), content.title || "（无标题）"),
    statusLine(documentView),
    issuerLine(documentView),
    recipientLine("主送", content.main_to), content.copy_to.length ? recipientLine("抄送", content.copy_to) : null,
    reach ? reach.element : null,
    h("div", { class: "buttons" },
      h("a", { href: `/api/documents/${docId}/render.docx`, download: "" }, "下载正式文件（.docx）"),
      h("a", { href: `/api/documents/${docId}/preview`, target: "_blank", rel: "noopener" }, "预览"),
      // 传阅 of the unit's own issued document among its people (desk_circulate.js).
      ["numbered", "issued"].includes(documentView.status) && holdsPostIn(documentView.drafting_unit_id, DRAFTERS)
        ? h("a", { href: `#/circulate/d:${docId}` }, "传阅") : null,
      // 会办: ask units for their views, one 主办 and any 协办 (desk_huiban.js); the office sends it.
      ["numbered", "issued"].includes(documentView.status) && holdsPostIn(documentView.drafting_unit_id, DISPATCHERS)
        ? h("a", { href: `#/huiban-send/${docId}` }, "会办") : null)),
    h("section", { class: "card" }, h("h2", {}, "版式页面"), documentPages(docId),
      documentView.issued_pdf ? sealCheck(docId) : null)];

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

  const view = flow ? await get(`/api/instances/${flow.id}`) : null;
  const running = Boolean(view && view.instance.status === "running");
  // Sent back to its drafter (不同意, 退回): the drafter's own step is open again, to fix the draft and resubmit.
  const startTask = running && documentView.status === "draft" ? view.tasks.find((task) => task.kind === "start"
    && task.status === "active" && state.me && task.assignees.includes(state.me.id)) : null;
  if (documentView.status === "draft" && (startTask || (!running && holdsPostIn(documentView.drafting_unit_id, DRAFTERS)))) {
    sections.push(await editSection(docId, documentView, { onSaved: () => showDocument(docId),
      reachUnitId: holdsPostIn(documentView.drafting_unit_id) ? documentView.drafting_unit_id : null }));
    sections.push(await submitSection(docId, startTask, startTask ? view.instance.vars.countersign_units || [] : []));
  }
  if (view) sections.push(flowCard(view));
  if (["numbered", "issued"].includes(documentView.status)) {
    sections.push(await dispatchSection(docId, content, documentView.drafting_unit_id));
  }
  render("公文", ...sections);
  // Live: the flow's pushes (any action in it reaches its drafter) redraw its state and timeline.
  state.doc = { id: docId, instanceId: flow ? flow.id : null, status: documentView.status, refresh: async () => {
    const [fresh, flowsNow] = await Promise.all([get(`/api/documents/${docId}`), get(`/api/documents/${docId}/flows`)]);
    const now = flowsNow.items[0];
    if (!now || now.id !== state.doc.instanceId || fresh.status !== state.doc.status) { await showDocument(docId); return; }
    const view = await get(`/api/instances/${now.id}`);
    document.getElementById("flow")?.replaceWith(flowCard(view));
    document.getElementById("doc-status")?.replaceWith(statusLine(fresh));
    document.getElementById("issuers")?.replaceWith(issuerLine(fresh));  // a co-issuer's consent, as it is given
    state.doc.status = fresh.status;
  } };
}

// 分发 is the office's: the 收发员 or 办公室主任 of the drafting unit (the exchange's 'handle' right).
const DISPATCHERS = ["收发员", "办公室主任"];
// Drafts are written and sent for approval by the unit's 科员, 收发员 and 办公室主任.
const DRAFTERS = ["科员", "收发员", "办公室主任"];

function holdsPostIn(unitId, roles = null) {
  return Boolean(state.me && state.me.posts.some((item) => item.active !== false && item.unit_id === unitId
    && (!roles || item.roles.some((role) => roles.includes(role)))));
}

async function dispatchSection(docId, content, unitId) {
  const sent = await get(`/api/exchange/sent?limit=50`);
  const mine = sent.items.filter((item) => item.document_id === docId);
  const history = mine.length ? h("ul", {}, mine.map((item) => h("li", {}, h("a", { href: `#/board/${item.id}` },
    `${when(item.created_at)} 分发 ${item.total} 个单位（已签收 ${item.counts.signed + item.counts.handling + item.counts.closed}）`))))
    : null;
  if (!holdsPostIn(unitId, DISPATCHERS)) {
    return h("section", { class: "card", id: "dispatch" }, h("h2", {}, "分发"), history,
      h("p", { class: "muted" }, "分发由本单位收发员或办公室主任办理。"));
  }
  // Not yet sent: the document's own 主送/抄送, by the names they print as. Sent already: more units, chosen here.
  const prefill = (entries) => (mine.length ? [] : pickedOf(entries.filter((entry) => !entry.external)));
  const reach = reachLine("dispatch-reach");
  const updateReach = () => reach.update([...main.selectors(), ...copy.selectors()], unitId);
  const main = unitPicker("dispatch_main", "分发给（主送）", prefill(content.main_to), { onChange: updateReach });
  const copy = unitPicker("dispatch_copy", "分发给（抄送）", prefill(content.copy_to), { onChange: updateReach });
  updateReach();
  const problem = h("p", { class: "error", role: "alert", id: "dispatch-problem" });
  let key = crypto.randomUUID();  // one per 分发: a retry after a lost answer is not a second dispatch
  const send = h("button", { class: "primary", onclick: async () => {
    const [mainSelectors, copySelectors] = [main.selectors(), copy.selectors()];
    if (!mainSelectors.length && !copySelectors.length) {
      problem.textContent = "请选择分发单位";
      toast("请选择分发单位", "warn");
      return;
    }
    problem.textContent = "";
    send.disabled = true;
    try {
      const dispatch = await once(() => post(`/api/documents/${docId}/dispatch`, { main: mainSelectors, copy: copySelectors },
        { "Idempotency-Key": key }), async () => false);
      toast(`已分发给 ${dispatch.total} 个单位`, "ok");
      location.hash = `#/board/${dispatch.id}`;
    } catch (failure) {
      problem.textContent = refusal(failure);
      toast(errorText(failure), "error");
      if (failure instanceof ApiError) key = crypto.randomUUID();  // refused: the next choice is a new request
      send.disabled = false;
    }
  } }, "分发");
  return h("section", { class: "card", id: "dispatch" }, h("h2", {}, "分发"), history, main.element, copy.element,
    reach.element, problem, h("div", { class: "buttons" }, send));
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

// 待办, and 已办 beside it (#/todo/done): a done task opens on its page, where 撤回 is offered while the next
// person has not acted yet.
async function showTodo(box = "todo") {
  const page = await get(`/api/tasks?box=${box}&limit=100`);
  const counts = page.counts || {};
  const tab = (key, label) => h("a", { href: key === "todo" ? "#/todo" : "#/todo/done", role: "tab",
    class: box === key ? "tab active" : "tab", "aria-selected": String(box === key) }, label);
  const meta = (task) => (box === "todo"
    ? [task.due_at ? ` · 截止 ${when(task.due_at)}` : "", task.note ? ` · ${task.note}` : "",
      task.acting_for_name ? ` · 受${task.acting_for_name}委托代为办理` : ""]
    : [` · 已办${task.outcome_label ? `（${task.outcome_label}）` : ""} ${when(task.done_at)}`]);
  render(box === "todo" ? "待办" : "已办", h("section", { class: "card" },
    h("nav", { class: "tabs", role: "tablist", "aria-label": "待办与已办" },
      tab("todo", `待办 ${counts.todo ?? (box === "todo" ? page.total : "")}`), tab("done", "已办")),
    h("h2", {}, box === "todo" ? `待办（${page.total}）` : `已办（${page.total}）`), page.items.length
      // A draft back at 拟稿 (退回, 不同意) is edited and sent again on its page here; any other task on its own page.
      ? h("ul", { class: "tasks" }, page.items.map((task) => h("li", {}, h("a", { class: "task",
        href: task.kind === "start" && box === "todo" ? `#/documents/${task.document_id}` : `#/task/${task.id}` },
        h("div", { class: "task-title" }, urgencyBadge(task.urgency), task.title),
        h("div", { class: "task-meta" }, `${task.node_name} · ${task.flow_name}`, ...meta(task))))))
      : h("p", { class: "empty" }, box === "todo" ? "没有待办事项" : "没有已办事项")));
}

// The live receipt board, 转发情况, 发文分发 (desk_board.js) ------------------------------------------

const { showBoard, showTree, showSent, recallState } = boardPages({ render, state, holdsPostIn, DISPATCHERS, STATUS,
  RECALL });

// Inbox --------------------------------------------------------------------------------------------

const { showInbox, showReceived } = inboxPages({ render, me: () => state.me, holdsPostIn, recallState, DISPATCHERS,
  STATUS, RECALL });

// Start --------------------------------------------------------------------------------------------

function onEvent(event) {
  const data = event.data || {};
  window.dispatchEvent(new CustomEvent("oa:push", { detail: event }));  // for the pages of desk_pages.js
  if (event.type === "flow.disagreed") flowAlert(`${data.by}${data.unit ? `（${data.unit}）` : ""}不同意《${data.title}》：${data.reason}`);
  // 待办 is live: a task given, taken back or handed on shows at once (the list has nothing typed into it).
  if (/^task\./.test(event.type) && location.hash.split("/")[1] === "todo") route();
  if (state.doc && /^(flow|task)\./.test(event.type)
    && (data.document_id === state.doc.id || (data.instance_id && data.instance_id === state.doc.instanceId))) {
    state.doc.refresh().catch(() => {});
  }
  if (event.type === "flow.step_failed") {  // 编号 or 分发 could not be done: the flow waits for someone to see why
    const message = data.message || "";
    flowAlert(`《${data.title}》${message.startsWith(`${data.node_name}失败`) ? message : `${data.node_name}失败：${message}`}`);
  }
  if (event.type === "exchange.receipt" && state.board && data.dispatch_id === state.board.id) state.board.update(data);
  if (event.type === "exchange.recalled") {
    // Withdrawn before it was signed for: gone from the inbox. Signed already: a notice to confirm.
    flowAlert(data.withdrawn ? `已被追回：《${data.title}》（${data.sender_unit_name}：${data.reason}）`
      : `追回通知：《${data.title}》（${data.sender_unit_name}：${data.reason}），请在收文中确认收到`);
    const [, page] = location.hash.split("/");
    if (!page || page === "inbox") route();
  }
  if (event.type === "exchange.received" || event.type === "exchange.urged") {
    flowAlert(`${event.type === "exchange.urged" ? "催办" : "新收文"}：${data.title}（${data.sender_unit_name}）`);
    if (data.urgency === "特急") beep();
    // The inbox shows it at once; any other page (a draft being written, a task being decided) is left as it is.
    const [, page] = location.hash.split("/");
    if (!page || page === "inbox") route();
  }
}

// Someone whose only posts are 管理员 posts (or who holds none, as a platform administrator) has no documents to
// handle here: the desk says whom it is for and sends them to the admin pages.
function deskUser(me) {
  return me.posts.some((item) => item.active !== false && item.roles.some((role) => role !== "管理员" && role !== "审计员"));
}

function showAdminOnly() {
  const me = state.me;
  const posts = me.posts.filter((item) => item.active !== false)
    .map((item) => `${item.unit ? item.unit.name : item.unit_id} ${item.title || ""}`.trim());
  const administers = me.administers === null || (me.administers || []).length > 0;
  const auditor = me.posts.some((item) => item.active !== false && item.roles.includes("审计员"));
  app.replaceChildren(
    h("header", { class: "bar" }, h("h1", {}, "公文流转 · 办公桌面"),
      h("span", { class: "who" }, `${me.display_name}${posts.length ? ` · ${posts[0]}` : ""}`),
      h("button", { class: "link", onclick: logout }, "退出")),
    h("section", { class: "card", id: "admin-only" },
      h("h2", {}, "办公桌面供各单位收发员、科员和办公室人员使用"),
      h("p", {}, posts.length ? `您的岗位（${posts.join("；")}）是管理员岗位，不拟稿、不收发公文。` : "您是平台管理员，不在任何单位任职，不拟稿、不收发公文。"),
      administers ? h("p", {}, "维护单位、人员、岗位角色和流程，请到管理后台：") : null,
      administers ? h("p", {}, h("a", { href: "/admin", class: "button" }, "进入管理后台")) : null,
      auditor ? h("p", {}, "您是审计员：查看审计记录、校验审计链，请到", h("a", { href: "/admin#/audit", class: "button" }, "审计")) : null));
}

async function route() {
  if (state.me && !deskUser(state.me)) { showAdminOnly(); return; }
  const [, page, id] = location.hash.split("/");
  const moved = state.routed !== location.hash;  // a new page opens at its top; a redraw stays where it is
  state.routed = location.hash;
  if (page !== "board") state.board = null;
  if (page !== "documents" || !id) state.doc = null;
  try {
    if (page === "new") await showNew();
    else if (page === "documents" && id) await showDocument(id);
    else if (page === "documents") await showDocuments();
    else if (page === "board" && id) await showBoard(id);
    else if (page === "sent") await showSent();
    else if (page === "tree" && id) await showTree(id);
    else if (page === "todo") await showTodo(id === "done" ? "done" : "todo");
    else if (page === "received" && id) await showReceived(id, location.hash.split("/")[3]);
    else if (DESK_PAGES.some((item) => item.key === page)) {
      await DESK_PAGES.find((item) => item.key === page).show({ id, render, me: state.me, unit: state.unit, push: state.push });
    } else await showInbox();
    if (moved) window.scrollTo(0, 0);
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
