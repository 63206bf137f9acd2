// Small helpers the apps share: building elements safely, dates in Beijing time, badges, toasts,
// error texts people can read, and (from login.js) the login form.

import { get, post } from "./api.js";

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// The selector a stored 主送/抄送 entry delivers to; null for an external name (printed only).
export function entrySelector(entry) {
  if (entry.external) return null;
  if (entry.unit_id) return { unit: entry.unit_id };
  return Object.fromEntries(["group", "subtree", "include_self", "level", "type"].filter((key) => key in entry)
    .map((key) => [key, entry[key]]));
}

const beijing = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
});

export function when(iso) {
  return iso ? beijing.format(new Date(iso)) : "";
}

// The document's pages as they are (or will be) issued: images of its fixed-layout PDF, drawn by the service at
// the screen's pixel width; a tap opens a page large enough to zoom. Once issued these are the sealed, signed file.
export function documentPages(docId) {
  const base = `/api/documents/${docId}`;
  const holder = h("div", { class: "pages", role: "group", "aria-label": "公文版式页面" },
    h("p", { class: "muted" }, "正在排版…"));
  get(`${base}/pages`).then((info) => {
    const width = Math.min(1600, Math.round((holder.clientWidth || 360) * (window.devicePixelRatio || 1)));
    const stamp = info.sha256 || `v${info.version}`; // a new version is a new image, never a cached old one
    holder.replaceChildren(
      h("p", { class: info.issued ? "issued" : "muted" }, info.issued
        ? `已用印、签名的正式文件，共${info.count}页` : `排版预览（未用印），共${info.count}页`),
      ...Array.from({ length: info.count }, (_, index) => h("a", {
        href: `${base}/pages/${index + 1}.png?width=1600&v=${stamp}`, target: "_blank", rel: "noopener" },
      h("img", { class: "page", src: `${base}/pages/${index + 1}.png?width=${width}&v=${stamp}`,
        alt: `第${index + 1}页（共${info.count}页）`, loading: index ? "lazy" : "eager" }))),
      h("a", { class: "pdf-link", href: `${base}/render.pdf?download=1`, download: "" }, "下载版式文件（PDF）"));
  }).catch((failure) => holder.replaceChildren(h("p", { class: "error" }, `版式页面无法显示：${errorText(failure)}`)));
  return holder;
}

// A document that came on paper (纸质来文登记) is its scan, not a page the platform lays out: who sent it, its
// 来文字号 and date received, and the scanned files to open.
export function paperOrigin(documentView) {
  const origin = documentView.origin || {};
  const scans = (documentView.content.attachments || []).filter((item) => item.file);
  return h("div", { class: "paper-origin", id: "paper-origin" },
    h("p", {}, `纸质来文 · ${origin.sender_name || ""}${origin.doc_number ? ` · ${origin.doc_number}` : ""}`,
      origin.received_date ? ` · 收文日期 ${origin.received_date}` : ""),
    scans.length ? h("ul", { class: "files" }, scans.map((item) => h("li", {}, h("a", {
      href: `/api/documents/${documentView.id}/attachments/${item.id}?redirect=1&inline=1`, target: "_blank", rel: "noopener" },
    `扫描件：${item.file.name}`)))) : h("p", { class: "muted" }, "没有扫描件"));
}

// "验证签章": asks the service to check the issued PDF's seals (intact, covering the whole file, from a trusted CA,
// belonging to an issuing organ) and says so in words, one line per seal.
export function sealCheck(docId) {
  const result = h("div", { class: "seal-check", role: "status" });
  const button = h("button", { type: "button", class: "secondary", onclick: async () => {
    button.disabled = true;
    result.replaceChildren(h("p", { class: "muted" }, "正在验证…"));
    try {
      const report = await get(`/api/documents/${docId}/verify`);
      const lines = report.signatures.map((item) => {
        const unit = item.unit_name || item.signer || item.unit_id || "未知单位";
        const at = item.signing_time ? `，签于${when(item.signing_time)}` : "";
        const ok = item.valid && item.belongs_to_issuer;
        const why = ok ? "印章有效，文件未被改动" : !item.intact ? "签名与文件内容不符：文件已被改动"
          : !item.covers ? "签名之后文件又被改动" : !item.trusted ? "证书不受信任"
          : "不是发文机关的印章";
        return h("li", { class: ok ? "ok" : "bad" }, `${ok ? "✔" : "✘"} ${unit}：${why}${at}`);
      });
      result.replaceChildren(
        h("p", { class: report.valid ? "ok" : "bad" }, report.valid ? "签章验证通过" : "签章验证未通过"),
        h("ul", { class: "seals" }, lines));
      if (report.problems.length) result.append(h("p", { class: "bad" }, report.problems.join("；")));
    } catch (failure) {
      result.replaceChildren(h("p", { class: "error" }, failure.status === 404 ? "尚未生成用印的正式文件" : errorText(failure)));
    } finally {
      button.disabled = false;
    }
  } }, "验证签章");
  return h("div", {}, button, result);
}

export function urgencyBadge(urgency) {
  if (!urgency) return null;
  return h("span", { class: `badge ${urgency === "特急" ? "badge-red" : "badge-orange"}` }, urgency);
}

export function dueLine(iso) {
  if (!iso) return null;
  const overdue = new Date(iso) < new Date();
  return h("span", { class: overdue ? "due overdue" : "due" }, `${overdue ? "已超时 · " : ""}截止 ${when(iso)}`);
}

let toastTimer = null;
export function toast(text, kind = "info") {
  let box = document.getElementById("toast");
  if (!box) {
    box = h("div", { id: "toast", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  box.textContent = text;
  box.className = `toast toast-${kind} show`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove("show"), 3500);
}

export function beep() {
  try {
    const context = new AudioContext();
    const tone = context.createOscillator();
    tone.frequency.value = 880;
    tone.connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.25);
  } catch { /* sound is optional */ }
}

// The API's messages are written for developers; people read these, by the error's stable code.
const MESSAGES = {
  stale_version: "内容已被他人修改，请刷新后重试", stale_flow: "流程刚刚有了变化，请刷新后重试",
  stale_receipt: "收文刚刚有了变化，请刷新后重试", task_not_active: "该事项已被处理，或已不在您的待办中",
  already_acted: "下一环节已经办理，不能撤回；如需更改，请联系下一环节的办理人退回", flow_not_running: "流程已结束", flow_already_running: "该公文已在流程中",
  cannot_withdraw: "下一环节已办理，无法撤回", cannot_return: "此环节不能退回", nothing_to_return_to: "没有可退回的环节",
  cannot_transfer: "此事项不能转办", cannot_add_signers: "此环节不能加签", unknown_user: "找不到该人员",
  target_outside_flow: "只能转办、加签给本流程可涉及单位的人员（本单位、上级机关下属单位及已参与的单位）",
  cannot_disagree: "此环节不能选择不同意，如有意见请退回", outcome_not_allowed: "此事项不能这样办理，请刷新后重试",
  unresolvable_assignee: "找不到该环节的办理人，请联系管理员配置岗位", not_a_draft: "只有草稿可以修改",
  incomplete_document: "公文要素不完整", classified_not_allowed: "本平台只处理非涉密公文",
  receipt_state: "该收文当前的状态不允许此操作", not_dispatchable: "只有已签发并编号的公文才能分发",
  no_recipients: "所选单位都已收到该文，没有新的接收单位", idempotency_key_reused: "重复的分发请求",
  nothing_to_urge: "所有单位均已签收，无需催办", urge_too_soon: "刚刚催办过，请稍后再催办", urged_recently: "刚刚催办过，请稍后再催办",
  not_co_handler: "只有协办单位需要提交意见", not_lead_handler: "只有主办单位答复来文单位", scan_required: "请先上传扫描件（PDF 或图片）",
  executable_refused: "不允许上传可执行文件", active_content_refused: "不允许上传含有脚本的文件",
  unsupported_file_type: "不支持的文件类型", empty_file: "文件是空的", too_large: "文件过大",
  forbidden: "您的岗位无权进行此操作", not_found: "没有找到，或您无权查看", unauthenticated: "请先登录",
  issuer_not_authorised: "本单位不能以该机关的名义发文：发文机关须为本单位或授权本单位拟稿的机关",
  external_lead_issuer: "主办发文机关须为平台内的单位", unknown_group: "没有这个分组，或该分组不属于本单位",
  not_your_unit: "您不在该单位任职",
  nothing_to_recall: "所选单位都已退文或已追回，没有可追回的", not_recalled: "该文未被追回",
  joint_issuer_consent_missing: "联合行文须经各联合行文机关主要领导会签同意后才能编号",
  csrf_failed: "页面已过期，请刷新后重试", too_many_attempts: "尝试次数过多，请稍后再试",
  activation_required: "账号尚未激活：请向本单位管理员索取激活码，然后点下方“首次登录激活”设置密码",
  already_activated: "该账号已激活（已设置密码），不需要激活码；忘记密码可由管理员重置",
  user_deactivated: "该账号已停用，请先重新启用",
  password_reused: "新密码不能与最近 5 次使用过的密码相同", password_expired: "密码已过期，请设置新密码",
  sms_login_disabled: "本平台未启用短信验证码登录",
  local_day_exists: "该日期已是本单位的本地节假日，如需修改请先删除",
  already_on_step: "所选人员已在办理此环节，无需加签", already_holds: "该人员已是此事项的办理人",
};

// What a refusal means for the person, by its HTTP status, when the service's words for it are not in Chinese.
const BY_STATUS = {
  400: "输入有误，请检查后重试", 401: "请先登录", 403: "您无权进行此操作", 404: "没有找到，或您无权查看",
  409: "当前状态不允许此操作，请刷新后重试", 413: "文件过大", 429: "操作过于频繁，请稍后再试",
  503: "系统暂时繁忙，请稍后重试",
};
const HAN = /[\u4e00-\u9fff]/;
const ENGLISH_WORDS = /[a-z]{2,}[ ,]+[a-z]{2,}/;  // "must be", "not found": written for developers

export function errorText(error) {
  if (!error) return "操作失败，请稍后重试";
  if (error.code && MESSAGES[error.code]) return MESSAGES[error.code];
  if (error instanceof TypeError) return "网络连接失败，请检查网络后重试";
  const message = error.message || "";
  if (HAN.test(message) && !ENGLISH_WORDS.test(message)) {
    return error.code === "invalid_input" ? `输入有误：${message}` : message;
  }
  // The service said it only in English (its words stay in the console for whoever supports the user).
  if (message) console.warn("service:", error.status, error.code, message);
  if (error.status >= 500) return "服务暂时出错，请稍后重试";
  return BY_STATUS[error.status] || "操作失败，请稍后重试";
}

// The login form (password, 统一身份认证, SMS code, first activation, a new password when it expired) lives
// in login.js; the apps take it from here with the other widgets.
export { loginForm } from "./login.js";

// Pages of a registry (mobile_pages.js, desk_pages.js) with an async `badge()` show what it returns (a count)
// next to their link in `nav`; a page without one, or a failed badge, shows the plain label.
export function pageBadges(nav, pages) {
  if (!nav) return;
  for (const page of pages.filter((item) => typeof item.badge === "function")) {
    const link = nav.querySelector(`a[href="#/${page.key}"]`);
    if (!link) continue;
    page.badge().then((text) => {
      if (text && link.isConnected) link.append(" ", h("span", { class: "count" }, text));
    }).catch(() => {});
  }
}

// Drawing by finger or pen on a canvas (a signature, a 批示 over a page): strokes follow the pointer in the
// canvas's own pixels whatever its displayed size; `onInk()` is called after each drawn segment.
export function inkOn(canvas, context, onInk) {
  let drawing = false;
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
  };
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    context.beginPath();
    context.moveTo(...point(event));
    event.preventDefault();  // no scrolling or text selection while writing
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    context.lineTo(...point(event));
    context.stroke();
    onInk();
  });
  const stop = () => { drawing = false; };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
}
