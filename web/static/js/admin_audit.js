// 审计 (三员分立): the 审计员's page. It verifies every unit's audit hash chain against the latest anchor and
// says per unit 通过 or where it broke (第N条 of which record, edited, deleted, chain cut short); it shows a
// unit's latest audit lines and the anchors (when, digest, locked or not). Administrators never see it.

import { get, post } from "./api.js";
import { errorText, h, toast, when } from "./ui.js";

const KINDS = { flow: "流程", exchange: "公文交换", delivery: "分发", seal: "印章", unit: "单位变更", person: "人员变更",
  login: "登录", logout: "退出", import: "批量导入" };

function summaryOf(record) {
  if (!record) return "（记录缺失）";
  const who = record.by && typeof record.by === "object" ? record.by.name : (record.by || record.username || "");
  const what = record.action || record.change || record.kind || "";
  return [who, what, record.node_name || (record.snapshot && record.snapshot.name) || ""].filter(Boolean).join(" · ");
}

function recordsTable(items) {
  return h("table", { id: "audit-records" },
    h("thead", {}, h("tr", {}, ["序号", "时间", "类别", "内容"].map((label) => h("th", {}, label)))),
    h("tbody", {}, items.map((link) => h("tr", {}, h("td", {}, `第${link.seq}条`), h("td", {}, when(link.at)),
      h("td", {}, KINDS[link.kind] || link.kind),
      h("td", {}, link.covers.map((cover) => cover.count ? `${cover.count} 份收文（${cover.coll}）`
        : summaryOf(cover.record)).join("；"))))));
}

async function showRecords(box, unit) {
  const page = await get(`/api/audit/records?unit=${encodeURIComponent(unit.unit)}&limit=30`);
  box.replaceChildren(h("h2", {}, `${unit.unit_name} 最近的审计记录`),
    page.items.length ? recordsTable(page.items) : h("p", { class: "muted" }, "暂无记录"));
}

function anchorCard(anchors, onAnchor) {
  const latest = anchors[0];
  const button = h("button", { type: "button", onclick: async () => {
    button.disabled = true;
    try { await post("/api/audit/anchors"); toast("已锚定", "ok"); onAnchor(); }
    catch (failure) { button.disabled = false; toast(errorText(failure), "error"); }
  } }, "立即锚定");
  return h("section", { class: "card", id: "audit-anchor" }, h("h2", {}, "锚定"),
    latest ? h("p", {}, `最近一次锚定：${when(latest.at)}，${latest.units} 个单位，摘要 `, h("code", {}, latest.digest), "。",
      latest.locked ? "对象存储已锁定保留。" : "对象存储不支持对象锁定：此锚定未锁定，只能证明锚定桶的访问控制之内的事。",
      latest.timestamped ? `可信时间戳：${when(latest.timestamped)}。` : "")
      : h("p", { class: "muted" }, "尚未锚定（每天自动锚定一次）。"),
    h("div", { class: "buttons" }, button));
}

export async function showAudit({ render }) {
  render("审计", h("p", { class: "card" }, "正在校验审计链……"));
  const [report, anchors] = await Promise.all([get("/api/audit/verify"), get("/api/audit/anchors")]);
  const rows = report.units.filter((row) => row.links || !row.ok)
    .sort((a, b) => (a.ok - b.ok) || (b.links - a.links));
  const records = h("section", { class: "card", id: "audit-unit" }, h("p", { class: "muted" }, "点单位名称查看其审计记录。"));
  const verdict = report.ok ? "校验通过" : `发现 ${report.problems.length} 处问题`;
  render("审计",
    h("section", { class: "card", id: "audit-verify" }, h("h2", {}, "审计链校验"),
      h("p", { id: "audit-verdict", class: report.ok ? "ok" : "error" },
        `${verdict}（${report.units.length} 个单位，${report.links} 条链节，${when(report.checked_at)}）`),
      h("table", { id: "audit-units" },
        h("thead", {}, h("tr", {}, ["单位", "链节", "结果"].map((label) => h("th", {}, label)))),
        h("tbody", {}, rows.slice(0, 200).map((row) => h("tr", { class: row.ok ? "" : "broken" },
          h("td", {}, h("button", { class: "link", type: "button", onclick: () => showRecords(records, row)
            .catch((failure) => toast(errorText(failure), "error")) }, row.unit_name)),
          h("td", {}, String(row.links)), h("td", {}, row.ok ? "通过" : row.problem.message)))))),
    anchorCard(anchors.items, () => showAudit({ render })),
    records);
}
