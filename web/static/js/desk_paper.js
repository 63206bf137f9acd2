// 纸质来文登记: a document that came on paper is scanned and entered here — the scans (PDFs or images, one or
// several) as its files, with the sending unit's name, its 发文字号, the date received and the title — and then stands in
// 收文 as signed for, to be registered (登记) and handled like one that came through the platform.

import { api, get, post } from "./api.js";
import { errorText, h, toast } from "./ui.js";

const DOC_TYPES = ["通知", "函", "通报", "请示", "报告", "意见", "决定", "批复", "纪要", "公告"];
const SCAN_TYPES = ["application/pdf", "image/png", "image/jpeg", "image/tiff"];
const MESSAGES = { scan_required: "请上传扫描件（PDF 或图片）" };

function field(id, label, input) {
  return [h("label", { for: id }, label), input];
}

async function show({ render, me, unit }) {
  // The unit it is entered for: the clerk's own (their first office post).
  const post0 = (me.posts || []).find((item) => item.active !== false
    && item.roles.some((role) => ["收发员", "办公室主任"].includes(role)));
  const unitId = post0 ? post0.unit_id : unit && unit.id;
  const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
  const sender = h("input", { id: "paper-sender", required: true, placeholder: "如：乙县应急管理局" });
  const number = h("input", { id: "paper-number", placeholder: "如：乙应急函〔2026〕7号" });
  const date = h("input", { id: "paper-date", type: "date", value: today });
  const title = h("input", { id: "paper-title", required: true });
  const type = h("select", { id: "paper-type" }, DOC_TYPES.map((name) => h("option", { value: name }, name)));
  // Every page of a letter may be its own photograph: several files, kept in the order chosen.
  const scan = h("input", { id: "paper-scan", type: "file", accept: SCAN_TYPES.join(","), multiple: true });
  const problem = h("p", { class: "error", role: "alert", id: "paper-problem" });
  const save = h("button", { class: "primary", type: "submit" }, "登记纸质来文");
  const form = h("form", { id: "paper", novalidate: true, oninput: () => { problem.textContent = ""; },
    onchange: () => { problem.textContent = ""; }, onsubmit: async (event) => {
    event.preventDefault();
    const files = [...scan.files];
    const missing = [[sender, "来文单位"], [title, "标题"]].filter(([input]) => !input.value.trim()).map(([, name]) => name);
    if (!files.length) missing.push("扫描件");
    if (missing.length) { problem.textContent = `请填写：${missing.join("、")}`; return; }
    const odd = files.filter((file) => !SCAN_TYPES.includes(file.type));
    if (odd.length) {
      problem.textContent = `扫描件须为 PDF 或图片（PNG、JPEG、TIFF）：${odd.map((file) => file.name).join("、")}`;
      return;
    }
    problem.textContent = "";
    save.disabled = true;
    try {
      const draft = await post("/api/documents", { unit_id: unitId, doc_type: type.value, title: title.value.trim() });
      for (const file of files) {
        await api("POST", `/api/documents/${draft.id}/attachments?name=${encodeURIComponent(file.name)}`, file);
      }
      const current = await get(`/api/documents/${draft.id}`);
      const receipt = await post(`/api/documents/${draft.id}/receive-paper`, { version: current.version, origin: {
        sender_name: sender.value.trim(), doc_number: number.value.trim(), received_date: date.value } });
      toast(`已登记纸质来文：${receipt.title}`, "ok");
      location.hash = "#/inbox";
    } catch (failure) {
      problem.textContent = MESSAGES[failure.code] || errorText(failure);
      save.disabled = false;
    }
  } },
  field("paper-sender", "来文单位", sender), field("paper-number", "来文字号", number),
  field("paper-date", "收文日期", date), field("paper-type", "文种", type), field("paper-title", "标题", title),
  field("paper-scan", "扫描件（PDF 或图片，可多选）", scan), problem, h("div", { class: "buttons" }, save));
  render("纸质来文登记", h("section", { class: "card" }, h("h2", {}, "纸质来文登记"),
    h("p", { class: "muted" }, "登记后在“收文”中显示为已签收，可登记进入收文办理。"), form));
}

export default { key: "paper", label: "纸质来文登记", show };
