// 归档: the archivist's page. Finished documents of the unit not yet archived (its 发文 once issued, its 收文 once
// 办结), each with its 保管期限 to choose and a button 归档; the result names the 档号 and the 四性检测 (真实性、
// 完整性、可用性、安全性), or the checks that failed and why, in which case nothing was archived. A 来文 that came on
// paper is archived from its scans (收文（纸质）). Below: the unit's
// archive with each package to download or check again, and 移交导出 of a year (the packages and 归档文件目录).

import { get, post } from "./api.js";
import { errorText, h, toast, when } from "./ui.js";

const ARCHIVISTS = ["档案员"];

function archiveUnits(me) {
  const units = new Map();
  for (const item of me.posts || []) {
    if (item.active === false || !item.roles.some((role) => ARCHIVISTS.includes(role))) continue;
    units.set(item.unit_id, { id: item.unit_id, name: item.unit ? item.unit.name : item.unit_id });
  }
  return [...units.values()];
}

function checkList(check) {
  return h("ul", { class: "archive-check", "aria-label": "四性检测结果" }, check.checks.map((item) => h("li",
    { class: item.passed ? "ok" : "error" }, `${item.name}：${item.passed ? "通过" : "未通过"}`,
    item.passed ? null : h("span", {}, `（${item.items.filter((part) => !part.passed)
      .map((part) => `${part.name}：${part.detail}`).join("；")}）`))));
}

async function show({ render, me }) {
  const units = archiveUnits(me);
  if (!units.length) {
    render("归档", h("p", { class: "card" }, "归档由各单位档案员办理，您的岗位不是档案员。"));
    return;
  }
  const unitSelect = h("select", { id: "archive-unit", "aria-label": "归档单位" },
    units.map((unit) => h("option", { value: unit.id }, unit.name)));
  const pending = h("div", { id: "archive-pending" });
  const outcome = h("div", { id: "archive-outcome", role: "status" });
  const archived = h("div", { id: "archive-list" });
  const thisYear = Number(new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" }).slice(0, 4));
  const year = h("select", { id: "export-year", "aria-label": "移交年度" },
    [0, 1, 2, 3, 4].map((back) => h("option", { value: thisYear - back }, `${thisYear - back}年度`)));
  const exportLink = h("a", { id: "archive-export", class: "button", download: "" }, "移交导出");
  const setExport = () => exportLink.setAttribute("href",
    `/api/archives/export?year=${year.value}&unit=${encodeURIComponent(unitSelect.value)}`);

  const archive = async (row, retention, button) => {
    button.disabled = true;
    try {
      const record = await post(`/api/documents/${row.document_id}/archive`, { retention, unit_id: unitSelect.value });
      outcome.replaceChildren(h("section", { class: "card", id: "archive-result" },
        h("h3", {}, `已归档：${record.title}`), h("p", {}, "档号 ", h("strong", { id: "archive-code" }, record.archival_code),
          `，保管期限 ${record.retention}，${record.pages} 页`),
        h("p", {}, "四性检测：", h("strong", {}, record.check.passed ? "全部通过" : "未通过")), checkList(record.check),
        h("a", { href: `/api/archives/${record.id}/package.zip`, download: "", class: "button" }, "下载归档信息包")));
      toast(`已归档，档号 ${record.archival_code}`, "ok");
      await load();
    } catch (failure) {
      const check = failure.body && failure.body.check;
      outcome.replaceChildren(h("section", { class: "card", id: "archive-result" },
        h("h3", { class: "error" }, `未能归档：${row.title}`), h("p", { class: "error" }, errorText(failure)),
        check ? checkList(check) : null));
      toast("未能归档", "error");
      button.disabled = false;
    }
  };

  const pendingRow = (row, retentions) => {
    const retention = h("select", { "aria-label": `保管期限：${row.title}` },
      retentions.map((name) => h("option", { value: name, selected: name === row.retention }, name)));
    const button = h("button", { class: "primary", "aria-label": `归档：${row.title}` }, "归档");
    button.addEventListener("click", () => archive(row, retention.value, button));
    return h("tr", { "data-document": row.document_id }, h("td", {}, row.paper ? `${row.kind}（纸质）` : row.kind), h("td", {}, row.doc_number || "—"),
      h("td", {}, row.title), h("td", {}, row.date || ""), h("td", {}, retention), h("td", {}, button));
  };

  const recheck = async (record, cell) => {
    try {
      const result = await post(`/api/archives/${record.id}/check`);
      cell.textContent = result.passed ? "复检通过" : `复检未通过：${result.failed.join("、")}`;
    } catch (failure) { toast(errorText(failure), "error"); }
  };

  const load = async () => {
    const unit = encodeURIComponent(unitSelect.value);
    try {
      const [candidates, list] = await Promise.all([get(`/api/archives/candidates?unit=${unit}`),
        get(`/api/archives?unit=${unit}&limit=50`)]);
      pending.replaceChildren(candidates.items.length ? h("table", { class: "archive-pending" },
        h("thead", {}, h("tr", {}, ["类别", "文号", "题名", "成文日期", "保管期限", ""].map((name) => h("th", {}, name)))),
        h("tbody", {}, candidates.items.map((row) => pendingRow(row, candidates.retentions))))
        : h("p", { class: "muted" }, "没有待归档的公文。"));
      archived.replaceChildren(list.items.length ? h("table", { class: "archive-done" },
        h("thead", {}, h("tr", {}, ["档号", "题名", "保管期限", "归档时间", "四性检测", ""].map((name) => h("th", {}, name)))),
        h("tbody", {}, list.items.map((record) => {
          const cell = h("td", {}, record.passed ? "通过" : "未通过");
          return h("tr", { "data-archive": record.id }, h("td", {}, record.archival_code), h("td", {}, record.title),
            h("td", {}, record.retention), h("td", {}, when(record.at)), cell,
            h("td", {}, h("a", { href: `/api/archives/${record.id}/package.zip`, download: "" }, "下载"), " ",
              h("button", { onclick: () => recheck(record, cell) }, "复检")));
        }))) : h("p", { class: "muted" }, "本单位尚无归档文件。"));
    } catch (failure) { pending.replaceChildren(h("p", { class: "error" }, errorText(failure))); }
    setExport();
  };

  unitSelect.addEventListener("change", load);
  year.addEventListener("change", setExport);
  render("归档",
    h("section", { class: "card" }, h("h2", {}, "待归档"), units.length > 1 ? unitSelect : null,
      h("p", { class: "muted" }, "已分发的发文、已办结的收文（纸质来文以登记时的扫描件归档）可归档；归档前自动进行四性检测（真实性、完整性、可用性、安全性），"
        + "未通过的不予归档。归档后公文不能再修改。"), pending),
    outcome,
    h("section", { class: "card" }, h("h2", {}, "已归档"), archived),
    h("section", { class: "card" }, h("h2", {}, "移交导出"),
      h("p", { class: "muted" }, "导出所选年度的全部归档信息包及归档文件目录（Excel 可打开的 CSV）。"),
      h("div", { class: "row" }, year, exportLink)));
  await load();
}

// In the menu only for an archivist: everyone else would find the page saying it is not for them.
export default { key: "archive", label: "归档", show, visible: (me) => archiveUnits(me).length > 0 };
