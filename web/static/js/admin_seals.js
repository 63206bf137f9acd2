// The admins' seal section of a unit's page (电子印章): its 公章 as the service keeps it, and the
// registration, replacement and revocation its admins (or an ancestor's) may do.

import { api, get, post } from "./api.js";
import { errorText, h, toast } from "./ui.js";

// Electronic seals (电子印章) --------------------------------------------------------------------------
// A unit's 公章 as the service keeps it: the image pressed on issued documents, the certificate its
// signature is made with, and who changed what. Its admins (or an ancestor's) register, replace and
// revoke it; the section loads on its own, so a refusal is said in the section, not by a blank page.
// Files go up as base64 inside JSON; the service says why one is refused in English for developers,
// and SEAL_REASONS puts each known reason into plain Chinese for a town clerk.

const SEAL_CHANGES = { created: "登记印章", image_replaced: "更换印章图片", key_replaced: "更换密钥和证书",
  revoked: "注销印章", used: "用印" };
const SEAL_CODES = { seal_exists: "本单位已有在用的公章；要重新登记，请先注销现有印章",
  unit_dissolved: "单位已撤销，不能登记印章", no_seal: "本单位目前没有在用的公章，请先登记",
  seal_revoked: "本单位的公章已注销，请登记新印章" };
const SEAL_REASONS = [
  [/is (\d+) KB; at most/, (m) => `图片文件太大（${m[1]} KB），最大 4 MB`],
  [/must be a PNG file/, () => "印章图片必须是 PNG 格式（.png 文件）。JPG 等其他格式请先用作图软件另存为透明背景的 PNG"],
  [/not a readable PNG/, () => "无法读取此图片：文件已损坏，或并不是真正的 PNG 图片"],
  [/is (\d+)×(\d+) px; each side/, (m) => `图片为 ${m[1]}×${m[2]} 像素；每边须在 200 至 2000 像素之间（42 毫米的印章按 300 dpi 约为 496 像素）`],
  [/is (\d+)×(\d+) px; a seal is about/, (m) => `图片为 ${m[1]}×${m[2]} 像素；印章图片应大致是正方形`],
  [/no transparency/, () => "图片没有透明背景：公文的文字要能透过印章显示，请保存为透明背景的 PNG"],
  [/mostly opaque/, () => "图片大部分不透明：印章以外的背景必须是透明的"],
  [/entirely transparent/, () => "图片几乎全是透明的，看不到印章"],
  [/only (\d+)% of the seal image/, (m) => `图片可见部分只有 ${m[1]}% 是红色；公章应为红色`],
  [/PKCS#12 file cannot be opened/, () => "证书文件打不开：密码不对，或不是 PKCS#12 证书文件（.p12 / .pfx）"],
  [/must hold a private key/, () => "证书文件里须同时有私钥和证书"],
  [/is not the private key's/, () => "证书文件里的证书与私钥不配套"],
  [/valid from (\S+) to (\S+), not today/, (m) => `证书有效期为 ${m[1]} 至 ${m[2]}，今天不在有效期内`],
  [/does not allow signing/, () => "此证书不允许用于签名"],
  [/RSA key has (\d+) bits/, (m) => `证书的 RSA 密钥只有 ${m[1]} 位，至少需要 2048 位`],
  [/elliptic curve|RSA or ECDSA/, () => "不支持此种密钥：请使用 RSA（2048 位以上）或 ECDSA（P-256 / P-384）密钥"],
  [/is too large/, () => "文件太大"],
  [/must be base64/, () => "文件读取出错，请重新选择文件"],
];

function sealError(failure) {
  if (failure && SEAL_CODES[failure.code]) return SEAL_CODES[failure.code];
  const message = (failure && failure.message) || "";
  for (const [pattern, text] of SEAL_REASONS) {
    const match = message.match(pattern);
    if (match) return text(match);
  }
  if (failure && failure.status === 400) return `文件不符合要求：${message}`;
  return errorText(failure);
}

const sealDay = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "long", day: "numeric" });
const sealMoment = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "numeric",
  day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
const dayText = (iso) => (iso ? sealDay.format(new Date(iso)) : "—");
const momentText = (iso) => (iso ? sealMoment.format(new Date(iso)) : "—");
const byText = (by, at) => (by ? `${by.name}，${momentText(at)}` : "—");
const commonName = (name) => ((name || "").match(/CN=((?:\\,|[^,])+)/) || [null, name || "—"])[1].replace(/\\/g, "");
const shortHex = (hex) => (hex || "").toUpperCase().slice(0, 16).replace(/(.{4})(?=.)/g, "$1 ") + ((hex || "").length > 16 ? " …" : "");

// A chosen file as base64 (without the data: prefix), for the JSON body.
function fileBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",")[1] || "");
    reader.onerror = () => reject(new Error("文件读取出错，请重新选择文件"));
    reader.readAsDataURL(file);
  });
}

export function sealSection(unit, mine, scopeText) {
  const body = h("div", {}, h("p", { class: "muted" }, "正在读取印章…"));
  const section = h("section", { class: "card", id: "seals" }, h("h2", {}, "电子印章"), body,
    h("p", { class: "muted seal-ca" }, h("a", { href: "/api/seals/ca.pem", download: "oa-seal-ca.pem" }, "下载本平台根证书（CA）"),
      "：在电脑的 PDF 阅读器（如 Adobe Reader、福昕阅读器）里把它添加为受信任的证书，打开本平台印发的公文时，印章签名才会显示为有效。"));
  const refresh = async () => {
    let listed;
    try {
      listed = await get(`/api/units/${unit.id}/seals`);
    } catch (failure) {
      body.replaceChildren(h("p", { class: "note readonly", role: "alert" }, failure.status === 403 || failure.status === 404
        ? `您无权查看或管理${unit.name}的电子印章：只有本单位或上级单位的管理员可以管理。您的管理范围是${scopeText()}。`
        : `电子印章暂时无法显示：${errorText(failure)}`));
      return;
    }
    body.replaceChildren(...sealBody(unit, mine && unit.status === "active", listed, refresh));
  };
  refresh();
  return section;
}

function sealBody(unit, editable, listed, refresh) {
  const active = listed.items.find((seal) => seal.status === "active");
  const revoked = listed.items.filter((seal) => seal.status !== "active");
  const shown = active || revoked[0];
  const earlier = listed.items.filter((seal) => seal !== shown);
  const parts = [];
  if (shown) parts.push(sealFacts(unit, shown));
  if (!active && shown) {
    parts.push(h("p", { class: "note", id: "seal-revoked" }, "本单位的公章已注销，系统不会自动补发；"
      + "登记新印章之前，本单位的公文不能用印。"));
  } else if (!shown) {
    parts.push(h("p", { class: "note", id: "no-seal" }, "尚未登记印章：首次用印时将由系统按单位名称自动生成"
      + "（圆形红色公章图片，证书由本平台签发）。也可以现在登记，再换成本单位实际的印章图片。"));
  }
  if (editable) parts.push(active ? sealActions(unit, active, refresh) : sealCreate(unit, revoked.length > 0, refresh));
  else if (unit.status !== "active") parts.push(h("p", { class: "muted" }, "单位已撤销，不能登记或更换印章。"));
  if (earlier.length) {
    parts.push(h("h3", {}, `以前的印章（${earlier.length}）`), h("ul", { class: "seal-old" }, earlier.map((seal) => h("li", {},
      `${seal.name} · 登记于 ${momentText(seal.created_at)}（${seal.created_by ? seal.created_by.name : "—"}）`
      + ` · ${momentText(seal.revoked_at)} 由${seal.revoked_by ? seal.revoked_by.name : "—"}注销，原因：${seal.revoke_reason || "—"}`))));
  }
  const history = [...(listed.history || [])].reverse();
  if (history.length) {
    parts.push(h("details", { class: "seal-history" }, h("summary", {}, `印章变更与用印记录（${history.length} 条）`),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "时间"), h("th", {}, "事项"), h("th", {}, "经办人"), h("th", {}, "说明"))),
        h("tbody", {}, history.slice(0, 50).map((entry) => h("tr", {}, h("td", {}, momentText(entry.at)),
          h("td", {}, SEAL_CHANGES[entry.change] || entry.change), h("td", {}, entry.by ? entry.by.name : "—"),
          h("td", {}, historyNote(entry, listed.items)))))),
      history.length > 50 ? h("p", { class: "muted" }, `只显示最近 50 条，共 ${history.length} 条。`) : null));
  }
  return parts;
}

// What one line of the seal's history says beyond its kind: the document it sealed, the new certificate, why revoked.
function historyNote(entry, seals) {
  const snapshot = entry.snapshot || {};
  if (entry.change === "used" && entry.detail) return `公文 ${entry.detail.document_id}（第 ${entry.detail.document_version} 稿）`;
  if (entry.change === "key_replaced") return snapshot.certificate_source === "pkcs12" ? "导入的证书" : "本平台 CA 签发的新证书";
  if (entry.change === "revoked") {
    const seal = seals.find((item) => item.id === entry.seal_id);
    return seal && seal.revoke_reason ? `原因：${seal.revoke_reason}` : "";
  }
  return snapshot.name ? `印章“${snapshot.name}”` : "";
}

function sealFacts(unit, seal) {
  const certificate = seal.certificate || {};
  const image = seal.image || {};
  const inUse = seal.status === "active";
  return h("div", { class: "seal-current" },
    inUse ? h("img", { class: "seal-image", src: `/api/units/${unit.id}/seal/image?v=${image.sha256 || seal.version}`,
      alt: `${seal.name}的印章图片`, width: 160, height: 160 }) : h("div", { class: "seal-image seal-void" }, "已注销"),
    h("dl", {},
      h("dt", {}, "印章"), h("dd", { class: "seal-name" }, `${seal.kind || "公章"} · ${seal.name} `,
        h("span", { class: inUse ? "tag tag-ok" : "tag", id: "seal-status" }, inUse ? "在用" : "已注销")),
      inUse ? null : [h("dt", {}, "注销"), h("dd", {}, `${byText(seal.revoked_by, seal.revoked_at)}；原因：${seal.revoke_reason || "—"}`)],
      h("dt", {}, "印章图片"), h("dd", {}, `${image.source === "uploaded" ? "已上传" : "系统按单位名称绘制"} · ${image.width}×${image.height} 像素`),
      h("dt", {}, "证书持有者"), h("dd", {}, certificate.organization || certificate.common_name || "—",
        h("div", { class: "muted mono", id: "seal-subject" }, certificate.subject || "")),
      h("dt", {}, "签发"), h("dd", {}, certificate.source === "pkcs12" ? `导入的证书，由“${commonName(certificate.issuer)}”签发`
        : "本平台 CA 签发"),
      h("dt", {}, "序列号"), h("dd", { class: "mono" }, shortHex(certificate.serial)),
      h("dt", {}, "指纹（SHA-256）"), h("dd", { class: "mono", title: certificate.sha256 || "" }, shortHex(certificate.sha256)),
      h("dt", {}, "有效期至"), h("dd", {}, dayText(certificate.not_after)),
      h("dt", {}, "登记"), h("dd", {}, byText(seal.created_by, seal.created_at)),
      h("dt", {}, "最近修改"), h("dd", {}, byText(seal.updated_by, seal.updated_at))));
}

// One action box: its fields, an error line beside them, a button; success says so and reloads the section.
function sealAction(title, note, fields, label, kind, act, done, refresh) {
  const error = h("p", { class: "error", role: "alert" });
  const button = h("button", { type: "button", class: kind, onclick: async () => {
    error.textContent = "";
    button.disabled = true;
    try {
      const result = await act(error, button);
      if (result === false) return;  // stopped before the call (a missing field, or waiting for confirmation)
      toast(done, "ok");
      await refresh();
    } catch (failure) {
      error.textContent = sealError(failure);  // beside the field it is about (role=alert reads it out)
    } finally {
      button.disabled = false;
    }
  } }, label);
  return h("div", { class: "seal-action" }, h("h3", {}, title), note ? h("p", { class: "muted" }, note) : null, ...fields, error,
    h("div", { class: "buttons" }, button));
}

function sealActions(unit, seal, refresh) {
  const base = `/api/units/${unit.id}`;
  const image = h("input", { id: "seal-image-file", type: "file", accept: ".png,image/png" });
  const p12 = h("input", { id: "seal-p12-file", type: "file", accept: ".p12,.pfx,application/x-pkcs12" });
  const password = h("input", { id: "seal-p12-password", type: "password", autocomplete: "off" });
  const reason = h("input", { id: "seal-revoke-reason", placeholder: "如：机构改革更名、印章损坏重新刻制" });
  let armed = false;
  return h("div", { class: "seal-actions" },
    sealAction("上传印章图片", "PNG 格式、透明背景、红色印文，约 496×496 像素（42 毫米，300 dpi）。",
      [h("label", { for: "seal-image-file" }, "选择印章图片（.png）"), image], "上传印章图片", "secondary", async (error) => {
        const file = image.files[0];
        if (!file) { error.textContent = "请先选择印章图片文件"; return false; }
        return api("PUT", `${base}/seal/image`, { image_png_base64: await fileBase64(file) });
      }, "已更换印章图片", refresh),
    sealAction("导入证书（PKCS#12）", "已有 CA 颁发的单位证书（.p12 / .pfx 文件）时使用；导入后新用印的公文用此证书签名。",
      [h("label", { for: "seal-p12-file" }, "证书文件"), p12, h("label", { for: "seal-p12-password" }, "证书密码"), password],
      "导入证书", "secondary", async (error) => {
        const file = p12.files[0];
        if (!file) { error.textContent = "请先选择证书文件（.p12 或 .pfx）"; return false; }
        return api("PUT", `${base}/seal/key`, { p12_base64: await fileBase64(file), password: password.value });
      }, "已导入证书", refresh),
    sealAction("由系统生成密钥和证书", "由本平台 CA 重新签发一张证书，替换现有证书；此前用印的公文仍可验证。", [],
      "由系统生成密钥和证书", "secondary", () => api("PUT", `${base}/seal/key`), "已生成新的密钥和证书", refresh),
    sealAction("注销印章", "注销后本单位的公文不能再用此印章，系统也不会自动补发；须重新登记新印章。",
      [h("label", { for: "seal-revoke-reason" }, "注销原因"), reason], "注销印章", "danger", async (error, button) => {
        if (!reason.value.trim()) { error.textContent = "请填写注销原因"; reason.focus(); return false; }
        if (!armed) {  // a second, explicit click, as for deactivating an account
          armed = true;
          button.textContent = "确认注销";
          error.textContent = `确定注销“${seal.name}”吗？请再点一次“确认注销”。`;
          return false;
        }
        return post(`${base}/seal/revoke`, { reason: reason.value.trim() });
      }, "已注销印章", refresh));
}

function sealCreate(unit, again, refresh) {
  const name = h("input", { id: "seal-name", value: unit.name });
  return h("div", { class: "seal-actions" }, sealAction(again ? "登记新印章" : "现在登记印章",
    "系统按印章名称绘制圆形红色公章图片，并由本平台 CA 签发证书；登记后可以上传本单位实际的印章图片，或导入已有证书。",
    [h("label", { for: "seal-name" }, "印章名称（印文）"), name], again ? "登记新印章" : "现在登记印章", "primary",
    () => post(`/api/units/${unit.id}/seals`, name.value.trim() ? { name: name.value.trim() } : {}), "已登记印章", refresh));
}
