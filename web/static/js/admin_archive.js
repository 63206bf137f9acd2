// The admins' 归档 section of a unit's page: the unit's 全宗号 and its 保管期限 per 文种 (永久、30年、10年). Each
// 文种 starts from the platform's default; a unit's admin (or an ancestor's) sets its own, and 恢复默认 drops it.
// The unit's 档案员 archive with these as the default 保管期限 (they may still choose another for one document).

import { api, get } from "./api.js";
import { errorText, h, toast } from "./ui.js";

const CODES = { invalid_fonds_code: "全宗号只能由 1–12 位字母或数字组成", stale_version: "保管期限表已被他人修改，请刷新后重试" };

export function archiveSection(unit, mine) {
  const body = h("div", {}, h("p", { class: "muted" }, "正在读取保管期限表…"));
  const section = h("section", { class: "card", id: "archive-settings" }, h("h2", {}, "归档：全宗号与保管期限"), body);
  const refresh = async () => {
    let table;
    try {
      table = await get(`/api/archives/settings?unit=${encodeURIComponent(unit.id)}`);
    } catch (failure) {
      body.replaceChildren(h("p", { class: "note readonly" }, errorText(failure)));
      return;
    }
    const fonds = h("input", { id: "fonds-code", value: table.fonds_code, disabled: !mine, "aria-label": "全宗号" });
    const choices = new Map();
    const rows = Object.entries(table.by_type).map(([docType, retention]) => {
      const select = h("select", { "aria-label": `保管期限：${docType}`, disabled: !mine },
        table.retentions.map((name) => h("option", { value: name, selected: name === retention }, name)));
      choices.set(docType, select);
      const own = table.own.includes(docType);
      const reset = own && mine ? h("button", { type: "button", onclick: () => save({ [docType]: null }) }, "恢复默认") : null;
      return h("tr", {}, h("td", {}, docType), h("td", {}, select), h("td", {}, own ? "本单位设定" : "平台默认", " ", reset));
    });
    const save = async (byType) => {
      try {
        await api("PUT", `/api/archives/settings?unit=${encodeURIComponent(unit.id)}`, { version: table.version,
          by_type: byType, fonds_code: fonds.value.trim() });
        toast("已保存保管期限表", "ok");
        await refresh();
      } catch (failure) { toast(CODES[failure.code] || errorText(failure), "error"); }
    };
    const changed = () => Object.fromEntries([...choices].filter(([docType, select]) => select.value !== table.by_type[docType])
      .map(([docType, select]) => [docType, select.value]));
    body.replaceChildren(
      h("p", { class: "muted" }, `档号 = 全宗号-年度-保管期限-问题（发文 FW、收文 SW）-件号。未列出的文种保管 ${table.fallback}。`),
      h("p", {}, h("label", { for: "fonds-code" }, "全宗号 "), fonds, table.fonds_code_set ? "" : "（尚未设定，暂用单位编号）"),
      h("table", { class: "archive-retention" }, h("thead", {}, h("tr", {}, h("th", {}, "文种"), h("th", {}, "保管期限"), h("th", {}, ""))),
        h("tbody", {}, rows)),
      mine ? h("div", { class: "buttons" }, h("button", { class: "primary", id: "save-retention",
        onclick: () => save(changed()) }, "保存")) : h("p", { class: "muted" }, "只读：此单位不在您的管理范围内。"));
  };
  refresh();
  return section;
}
