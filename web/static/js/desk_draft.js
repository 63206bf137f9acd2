// The drafting form, shared by 拟稿 (a new draft) and 修改草稿 (a draft edited with the version read): the unit
// pickers for 发文机关 and 主送/抄送, how many units the choice reaches, the 正文 typed with its heading numbers,
// the 版式 with the fields its form needs (令号, 出席…), each attachment's own text, and a refusal of the service
// shown next to the field it names.

import { api, get, post } from "./api.js";
import { entrySelector, errorText, h, toast } from "./ui.js";
import { unitPicker } from "./unit_picker.js";

// Stored entries as picked items, labelled with the names they print as (never raw ids).
export function pickedOf(entries) {
  return entries.map((entry) => (entry.external ? { external: true, label: entry.name }
    : { selector: entrySelector(entry), label: entry.name || entry.unit_id || "（未命名）" }));
}

// "将送达 N 个单位": what the chosen selectors reach, asked of the service (groups and levels included).
export function reachLine(id) {
  const line = h("p", { class: "reach", id, "aria-live": "polite" });
  let asked = 0;
  const update = async (selectors, unitId, externals = 0) => {
    const mine = ++asked;
    if (!selectors.length) {
      line.textContent = externals ? "只有外部单位：只印发，不送达平台内单位" : "";
      return;
    }
    try {
      const reach = await post("/api/recipients/resolve", unitId ? { selectors, unit_id: unitId } : { selectors });
      if (mine === asked) line.textContent = `将送达 ${reach.total} 个单位${externals ? `（另有 ${externals} 个外部单位只印发）` : ""}`;
    } catch (failure) {
      if (mine === asked) line.textContent = `无法计算送达单位：${errorText(failure)}`;
    }
  };
  return { element: line, update };
}

// 发文机关: the lead, chosen among the drafting unit and the units it drafts for (市政府办公室 for 韶关市人民政府;
// with more than one the clerk chooses, as with 文种), and for a 联合行文 further issuers: platform units, which
// countersign through their 主要领导 in the 发文 flow, or organs outside the platform typed by name (外部机关).
async function issuerFields(prefix, unitId, current = []) {
  const home = unitId ? await get(`/api/units/${unitId}`).catch(() => null) : null;
  const organs = home ? [...(await Promise.all((home.drafts_for || []).map((id) => get(`/api/units/${id}`)
    .catch(() => null)))).filter(Boolean), home] : [];
  const lead = current[0] && current[0].unit_id;
  if (lead && !organs.some((unit) => unit.id === lead)) organs.push({ id: lead, name: current[0].name || lead });
  const select = h("select", { id: `${prefix}issuer`, required: true },
    organs.length > 1 ? h("option", { value: "", disabled: true, selected: !lead }, "请选择发文机关") : null,
    organs.map((unit) => h("option", { value: unit.id, selected: unit.id === lead }, unit.name)));
  const joint = unitPicker(`${prefix}co_issuers`, "联合行文机关", pickedOf(current.slice(1)), { groups: false,
    external: true, outside: "外部机关", addOutside: (text) => `添加外部机关“${text}”（平台外，只署名）` });
  const element = h("div", {}, h("label", { for: `${prefix}issuer` }, "发文机关"), select, joint.element,
    h("p", { class: "muted" }, "联合行文：平台内的联合行文机关由其主要领导在发文流程中会签同意；平台外的机关标为外部机关，只署名。"));
  return { element, select,
    // What is wrong with the choice, or "".
    problem: () => {
      if (!select.value) return "请选择发文机关";
      const twice = joint.picked.find((item) => !item.external && item.selector.unit === select.value);
      return twice ? `${twice.label}已是主办发文机关，不能再作为联合行文机关` : "";
    },
    entries: () => [{ unit_id: select.value }, ...joint.entries()] };
}

// What the service said when it refused, with every problem it listed.
export function refusal(failure) {
  const text = errorText(failure);
  const problems = Array.isArray(failure && failure.body && failure.body.problems) ? failure.body.problems : [];
  return problems.length && !problems.every((problem) => text.includes(problem)) ? `${text}：${problems.join("；")}` : text;
}

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

// The stored paragraphs back as the clerk typed them, heading numbers (一、/（一）/1./（1）) counted again.
function chineseNumber(n) {
  const digits = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
  if (n < 10) return digits[n];
  return `${n >= 20 ? digits[Math.floor(n / 10)] : ""}十${digits[n % 10]}`;
}

function bodyText(body) {
  const counts = [0, 0, 0, 0, 0];
  return body.map((paragraph) => {
    const level = paragraph.level || 0;
    if (!level) return paragraph.text;
    counts[level] += 1;
    counts.fill(0, level + 1);
    const n = counts[level];
    return [`${chineseNumber(n)}、`, `（${chineseNumber(n)}）`, `${n}.`, `（${n}）`][level - 1] + paragraph.text;
  }).join("\n");
}

// The layouts of GB/T 9704 and the 文种 set in one unless the clerk chooses another (oa/rendering/forms.py).
const FORMS = ["文件格式", "信函格式", "命令格式", "纪要格式"];
const FORM_BY_TYPE = { 函: "信函格式", 命令: "命令格式", 令: "命令格式", 纪要: "纪要格式" };

// Names typed one after another, separated by 、，； or new lines (a space may join a unit to a name).
function names(text) {
  return text.split(/[、，,;；\n]+/).map((name) => name.trim()).filter(Boolean);
}

// 令号 and 期号 as typed: a whole number (full-width digits too) as a number; anything else as typed, for the service to
// refuse by name.
function serial(input) {
  const text = input.value.trim().replace(/[０-９]/g, (digit) => String.fromCharCode(digit.charCodeAt(0) - 0xfee0));
  if (!text) return null;
  return /^\d+$/.test(text) ? Number(text) : text;
}

// A labelled field with room under it for what is wrong with it; `slots` maps the service's field name to it.
function fieldBox(slots, key, label, input) {
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input, slotFor(slots, key, input));
}

// The error line of a field whose element carries its own label (the pickers); `input` is what gets focus.
function slotFor(slots, key, input) {
  const slot = h("p", { class: "field-error", id: `${input.id}-error` });
  input.setAttribute("aria-describedby", slot.id);
  input.addEventListener("input", () => { slot.textContent = ""; input.removeAttribute("aria-invalid"); });
  slots[key] = { slot, input };
  return slot;
}

function markField(entry, text) {
  entry.slot.textContent = entry.slot.textContent ? `${entry.slot.textContent}；${text}` : text;
  entry.input.setAttribute("aria-invalid", "true");
}

function clearFields(slots) {
  for (const entry of Object.values(slots)) {
    entry.slot.textContent = "";
    entry.input.removeAttribute("aria-invalid");
  }
}

// The field a problem of the service names at its start ("order_number (令号) must be…", "attachment_bodies.att-1[0]…").
function fieldOf(problem, slots) {
  const match = /^([a-z_]+)(?:\.([\w-]+))?/.exec(problem);
  if (!match) return null;
  if (match[2] && slots[`${match[1]}.${match[2]}`]) return `${match[1]}.${match[2]}`;
  return slots[match[1]] ? match[1] : null;
}

// A refusal of the service: each problem next to the field it names, what names no field in `general`. Returns
// what a toast should say.
function showRefusal(slots, failure, general) {
  clearFields(slots);
  const body = (failure && failure.body) || {};
  const listed = Array.isArray(body.problems) ? body.problems : [];
  const problems = listed.length ? listed : body.field ? [failure.message] : [];
  const left = [];
  let first = null;
  for (const problem of problems) {
    const key = fieldOf(problem, slots) || (!listed.length && slots[body.field] ? body.field : null);
    if (!key) { left.push(problem); continue; }
    markField(slots[key], problem);
    first ||= slots[key].input;
  }
  if (!first) {
    general.textContent = refusal(failure);
    return errorText(failure);
  }
  general.textContent = `未保存：请按各项下方的提示修改${left.length ? `；${left.join("；")}` : ""}`;
  first.focus();
  return "未保存：请按各项下方的提示修改";
}

// 版式 and what its form needs, from a document's content and read back: the 命令格式's 令号 and the 签发人's post and
// name (for the 签名章), the 纪要格式's meeting, 期号 and 出席/请假/列席; each set shown only while the 版式 (or, by
// default, the 文种 `docType()`) puts the document in that form.
function layoutFields(prefix, content, docType, slots) {
  const id = (name) => `${prefix}${name}`;
  const byType = () => FORM_BY_TYPE[docType()] || "文件格式";
  const automatic = h("option", { value: "" }, "按文种");
  const select = h("select", { id: id("form") }, automatic,
    FORMS.map((name) => h("option", { value: name, selected: content.form === name }, name)));
  const input = (name, value, placeholder, numeric = false) => h("input", { id: id(name), value: value ?? "", placeholder,
    inputmode: numeric ? "numeric" : null });
  const orderNumber = input("order_number", content.order_number, "如：12", true);
  const signerTitle = input("signer_title", content.signer_title, "如：市长");
  const signer = input("signer", (content.signers || [])[0], "签发人姓名（签名章处）");
  const meeting = input("meeting", content.meeting, "如：常务会议");
  const minutesNumber = input("minutes_number", content.minutes_number, "如：5", true);
  const lists = [["attendees", "出席"], ["absent", "请假"], ["attending", "列席"]].map(([key, label]) => {
    const area = h("textarea", { id: id(key), rows: 2, placeholder: "姓名以“、”分隔" });
    area.value = (content[key] || []).join("、");
    return [key, label, area];
  });
  const order = h("fieldset", { class: "form-fields", id: id("order-fields"), hidden: true }, h("legend", {}, "命令（令）"),
    h("div", { class: "row" }, fieldBox(slots, "order_number", "令号", orderNumber),
      fieldBox(slots, "signer_title", "签发人职务", signerTitle), fieldBox(slots, "signers", "签发人", signer)));
  const minutes = h("fieldset", { class: "form-fields", id: id("minutes-fields"), hidden: true }, h("legend", {}, "纪要"),
    h("div", { class: "row" }, fieldBox(slots, "meeting", "会议名称", meeting),
      fieldBox(slots, "minutes_number", "期号", minutesNumber)),
    lists.map(([key, label, area]) => fieldBox(slots, key, label, area)));
  const form = () => select.value || byType();
  const show = () => {
    automatic.textContent = `按文种（${byType()}）`;
    order.hidden = form() !== "命令格式";
    minutes.hidden = form() !== "纪要格式";
  };
  select.addEventListener("change", show);
  show();
  return {
    select, show, element: h("div", {}, order, minutes),
    // The fields as the service takes them: the chosen 版式 (null: the 文种's) and those of the form it sets.
    fields() {
      const chosen = { form: select.value || null };
      if (form() === "命令格式") {
        const name = signer.value.trim();
        const others = (content.signers || []).slice(1);  // a 签发人 beyond the first stays as it was
        return { ...chosen, order_number: serial(orderNumber), signer_title: signerTitle.value.trim(),
          signers: name ? [name, ...others] : others };
      }
      if (form() === "纪要格式") {
        return { ...chosen, meeting: meeting.value.trim(), minutes_number: serial(minutesNumber),
          ...Object.fromEntries(lists.map(([key, , area]) => [key, names(area.value)])) };
      }
      return chosen;
    },
  };
}

// Every element the drafting form sets, filled from `content` (empty for a new draft), in the order of 拟稿.
async function draftFields(prefix, content, { types, unitId, reachUnitId, reachId }) {
  const id = (name) => `${prefix}${name}`;
  const slots = {};
  const typeNames = types.map((item) => item.name);
  if (content.doc_type && !typeNames.includes(content.doc_type)) typeNames.push(content.doc_type);
  // No default 文种 for a new draft: the clerk chooses one, and the form is not saved without it.
  const typeSelect = h("select", { id: id("doc_type"), required: true },
    h("option", { value: "", disabled: true, selected: !content.doc_type }, "请选择文种"),
    typeNames.map((name) => h("option", { value: name, selected: name === content.doc_type }, name)));
  const urgency = h("select", { id: id("urgency") }, ["", "加急", "特急"].map((value) => h("option", { value,
    selected: value === (content.urgency || "") }, value || "普通")));
  // 版式: by default the 文种's (函 → 信函格式, 命令/令 → 命令格式, 纪要 → 纪要格式); a clerk may choose another.
  const layout = layoutFields(prefix, content, () => typeSelect.value, slots);
  typeSelect.addEventListener("change", layout.show);
  const written = h("input", { id: id("written_date"), type: "date", value: content.written_date || "" });
  const issuers = await issuerFields(prefix, unitId, content.issuers || []);
  const title = h("input", { id: id("title"), required: true, value: content.title || "" });
  const reach = reachLine(reachId);
  const main = unitPicker(id("main_to"), "主送", pickedOf(content.main_to || []), { external: true, onChange: () => updateReach() });
  const copy = unitPicker(id("copy_to"), "抄送", pickedOf(content.copy_to || []), { external: true, onChange: () => updateReach() });
  const updateReach = () => reach.update([...main.selectors(), ...copy.selectors()], reachUnitId,
    [...main.picked, ...copy.picked].filter((item) => item.external).length);
  updateReach();
  const body = h("textarea", { id: id("body"), rows: 10, placeholder: "每段一行；以“一、”“（一）”“1.”“（1）”开头的行为各级标题" });
  body.value = bodyText(content.body || []);
  const contact = h("input", { id: id("contact"), placeholder: "联系人 电话",
    value: content.contact ? `${content.contact.name} ${content.contact.phone}`.trim() : "" });
  const disclosure = h("select", { id: id("disclosure") }, ["主动公开", "依申请公开", "不予公开"].map((value) => h("option",
    { value, selected: value === content.disclosure }, value)));
  const note = h("input", { id: id("note"), placeholder: "如：此件公开发布", value: content.note || "" });
  const printer = h("input", { id: id("printer"), placeholder: "如：韶关市人民政府办公室", value: content.printer || "" });
  const printed = h("input", { id: id("printed_date"), type: "date", value: content.printed_date || "" });
  const search = (picker) => picker.element.querySelector("input");
  const element = [
    h("div", { class: "row" }, fieldBox(slots, "doc_type", "文种", typeSelect), fieldBox(slots, "urgency", "紧急程度", urgency),
      fieldBox(slots, "form", "版式", layout.select), fieldBox(slots, "written_date", "成文日期", written)),
    issuers.element, slotFor(slots, "issuers", issuers.select),
    fieldBox(slots, "title", "标题", title),
    main.element, slotFor(slots, "main_to", search(main)), copy.element, slotFor(slots, "copy_to", search(copy)),
    reach.element, fieldBox(slots, "body", "正文", body), layout.element,
    fieldBox(slots, "contact", "联系人及电话", contact),
    h("div", { class: "row" }, fieldBox(slots, "disclosure", "公开属性", disclosure), fieldBox(slots, "note", "附注", note)),
    h("div", { class: "row" }, fieldBox(slots, "printer", "印发机关", printer),
      fieldBox(slots, "printed_date", "印发日期", printed))];
  return {
    element, slots,
    // What the desk itself finds missing, said in `general` and under each field; true if there is something.
    refuseMissing(general) {
      clearFields(slots);
      const missing = [!typeSelect.value && ["请选择文种", "doc_type"], issuers.problem() && [issuers.problem(), "issuers"],
        !title.value.trim() && ["请填写标题", "title"]].filter(Boolean);
      general.textContent = missing.map(([text]) => text).join("；");
      for (const [text, key] of missing) markField(slots[key], text);
      if (missing.length) slots[missing[0][1]].input.focus();
      return missing.length > 0;
    },
    values() {
      const [contactName, ...phone] = contact.value.trim().split(/\s+/);
      return { doc_type: typeSelect.value, issuers: issuers.entries(), title: title.value.trim(),
        main_to: main.entries(), copy_to: copy.entries(), body: paragraphs(body.value), urgency: urgency.value,
        written_date: written.value || null, disclosure: disclosure.value, note: note.value.trim(),
        printer: printer.value.trim() || null, printed_date: printed.value || null,
        contact: contactName ? { name: contactName, phone: phone.join(" ") } : null, ...layout.fields() };
    },
    showRefusal: (failure, general) => showRefusal(slots, failure, general),
  };
}

// 拟稿: a new draft of the clerk's unit (`unitId`); `onCreated(document)` once the service has saved it.
export async function newDraftForm(unitId, onCreated) {
  const types = await get("/api/document-types");
  const fields = await draftFields("", {}, { types: types.items, unitId, reachUnitId: unitId, reachId: "draft-reach" });
  const formError = h("p", { class: "error", role: "alert", id: "draft-error" });
  return h("form", { class: "card", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    if (fields.refuseMissing(formError)) return;
    try {
      const created = await post("/api/documents", fields.values());
      toast("已保存草稿", "ok");
      onCreated(created);
    } catch (failure) {
      // What the service refused, in its words, by the field it names.
      toast(fields.showRefusal(failure, formError), "error");
    }
  } },
  h("h2", {}, "拟稿"), fields.element, formError,
  h("div", { class: "buttons" }, h("button", { class: "primary", type: "submit" }, "保存草稿")));
}

// 附件正文: an attachment's own text, printed in full from a new page after the 附注; typed as the 正文 is (one
// paragraph a line, 一、/（一）/1./（1） for headings). Only the texts changed are sent; an emptied one is taken away.
function attachmentTexts(attachments, slots) {
  const entries = attachments.map((item, index) => {
    const area = h("textarea", { id: `attachment-body-${item.id}`, rows: 5,
      placeholder: "每段一行；以“一、”“（一）”“1.”“（1）”开头的行为各级标题；留空则只在附件说明中列出" });
    const initial = bodyText(item.body || []);
    area.value = initial;
    const label = `附件${attachments.length > 1 ? index + 1 : ""}：${item.title || (item.file && item.file.name) || item.id}`;
    return { item, area, initial, box: fieldBox(slots, `attachment_bodies.${item.id}`, label, area) };
  });
  return {
    element: entries.length ? h("fieldset", { class: "form-fields", id: "attachment-texts" }, h("legend", {}, "附件正文"),
      h("p", { class: "muted" }, "附件正文从新的一页开始印在附注之后；没有正文的附件只在附件说明中列出名称。"),
      entries.map((entry) => entry.box)) : null,
    changes() {
      const changed = entries.filter((entry) => entry.area.value.trim() !== entry.initial.trim());
      return changed.length ? { attachment_bodies: Object.fromEntries(changed.map((entry) => [entry.item.id,
        paragraphs(entry.area.value)])) } : {};
    },
  };
}

// 修改草稿: every element 拟稿 sets (版式 and its fields included) and each attachment's text, saved with the version
// read (a draft sent back by 不同意 or 退回 is fixed here, then sent again); `onSaved()` shows the document anew, its
// page images drawn for the new version. `reachUnitId`: the unit reach is counted for (null: the caller's own).
export async function editSection(docId, documentView, { reachUnitId, onSaved }) {
  const content = documentView.content;
  const types = await get("/api/document-types");
  const fields = await draftFields("edit_", content, { types: types.items, unitId: documentView.drafting_unit_id,
    reachUnitId, reachId: "edit-reach" });
  const texts = attachmentTexts(content.attachments || [], fields.slots);
  const error = h("p", { class: "error", role: "alert", id: "edit-error" });
  const save = h("button", { class: "primary", type: "submit" }, "保存修改");
  const form = h("form", { novalidate: true, hidden: true, onsubmit: async (event) => {
    event.preventDefault();
    if (fields.refuseMissing(error)) return;
    save.disabled = true;
    try {
      await api("PATCH", `/api/documents/${docId}`, { version: documentView.version, ...fields.values(),
        ...texts.changes() });
      toast("已保存修改", "ok");
      await onSaved();
    } catch (failure) {
      // A stale version (409) says so in `error`: someone saved first.
      toast(fields.showRefusal(failure, error), "error");
    } finally {
      save.disabled = false;
    }
  } }, fields.element, texts.element, error, h("div", { class: "buttons" }, save));
  const toggle = h("button", { type: "button", "aria-expanded": "false", onclick: () => {
    form.hidden = !form.hidden;
    toggle.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) document.getElementById("edit_title").focus();
  } }, "修改草稿");
  return h("section", { class: "card", id: "edit" }, h("h2", {}, "修改草稿"), h("div", { class: "buttons" }, toggle), form);
}
