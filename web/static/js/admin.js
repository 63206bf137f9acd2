// The admins' pages: the org tree (search among all units, create, move, dissolve), the people of a
// unit with their posts and roles, flow definitions (view, claim with this unit's deadlines), and
// a unit's exchange statistics. Often run by a county admin on behalf of a town with no IT staff.
// People imported without a password show as 未激活: the admin gives them a one-time activation code,
// one at a time or as a CSV of the whole unit (or subtree), to use at 首次登录激活 on the login page.
// An admin changes what lies in their own subtrees (the units under their 管理员 posts); everything
// else they may look at, read only.

import { ApiError, api, csrfToken, get, post } from "./api.js";
import { archiveSection } from "./admin_archive.js";
import { showCalendar } from "./admin_calendar.js";
import { sealSection } from "./admin_seals.js";
import { showAudit } from "./admin_audit.js";
import { lockSection, lockedTag } from "./admin_security.js";
import { errorText, h, loginForm, toast, when } from "./ui.js";

const app = document.getElementById("app");
const ROLES = ["主要领导", "分管领导", "办公室主任", "收发员", "科员", "档案员", "管理员", "审计员"];
const LEVELS = { city: "市级", county: "县级", town: "镇级" };
const TYPES = ["党委", "人大", "政府", "政协", "部门", "事业单位", "乡镇", "街道", "群团", "法院", "检察院", "其他"];
const state = { me: null, home: null, scope: [], listening: false };

function render(title, ...content) {
  const link = (hash, label) => h("a", { href: hash, class: location.hash.startsWith(hash) ? "active" : "" }, label);
  app.replaceChildren(
    h("header", { class: "bar" }, h("h1", {}, `公文流转 · 管理 · ${title}`),
      h("span", { class: "who" }, state.me ? state.me.display_name : ""),
      h("a", { href: "/desk" }, "办公桌面")),
    h("div", { class: "desk-layout" },
      // 三员分立: a 审计员 sees 审计 only; an administrator never sees it.
      h("nav", { class: "desk-nav", "aria-label": "管理功能" }, ...(state.auditor ? [link("#/audit", "审计")]
        : [link("#/units", "组织机构"), link("#/flows", "流程定义"), link("#/stats", "交换统计"), link("#/calendar", "工作日历")])),
      h("div", {}, ...content)));
}

function showLogin() {
  app.replaceChildren(loginForm("公文流转 · 管理", boot));  // the shared login form; then straight back here
}

// Is this unit (given by its path from the top) in the admin's own subtrees?
function administers(path) {
  const mine = state.me.administers;
  return mine === null || path.some((unitId) => mine.includes(unitId));
}

function scopeText() {
  return state.me.administers === null ? "全平台所有单位"
    : `${state.scope.map((unit) => unit.name).join("、") || "（无）"}及其下级单位`;
}

async function run(action, done) {
  try {
    const result = await action();
    toast(done, "ok");
    return result;
  } catch (failure) {
    toast(errorText(failure), "error");
    return null;
  }
}

// Units ----------------------------------------------------------------------------------------

function unitSearch(id, label, onPick) {
  const input = h("input", { id, type: "search", autocomplete: "off", placeholder: "输入单位名称或代字" });
  const results = h("ul", { class: "people", "aria-label": `${label}结果` });
  input.addEventListener("input", async () => {
    const text = input.value.trim();
    if (!text) { results.replaceChildren(); return; }
    const page = await get(`/api/units?q=${encodeURIComponent(text)}&limit=20`);
    results.replaceChildren(...page.items.map((unit) => h("li", {}, h("button", { class: "link", type: "button",
      onclick: () => onPick(unit) }, `${unit.name}（${LEVELS[unit.level]} · ${unit.type}）`))));
  });
  return h("div", {}, h("label", { for: id }, label), input, results);
}

async function showUnits() {
  render("组织机构", h("section", { class: "card" }, h("h2", {}, "查找单位"),
    h("p", { class: "muted" }, "全市 1,300 余个单位，输入名称的一部分即可查找。"),
    unitSearch("unit-search", "单位名称", (unit) => { location.hash = `#/units/${unit.id}`; })),
  state.home ? h("p", { class: "card" }, "本单位：", h("a", { href: `#/units/${state.home.id}` }, state.home.name)) : null,
  h("p", { class: "card", id: "scope" }, `您的管理范围：${scopeText()}。其他单位可以查看，不能修改。`));
}

async function showUnit(unitId) {
  const [unit, ancestors, children, people] = await Promise.all([get(`/api/units/${unitId}`),
    get(`/api/units/${unitId}/ancestors`), get(`/api/units/${unitId}/children?limit=200`),
    get(`/api/users?unit=${unitId}&limit=200&include_inactive=1`)]);
  const path = [...ancestors.items, unit];
  const mine = administers(path.map((item) => item.id));
  render(unit.name,
    h("section", { class: "card" }, h("p", { class: "muted" }, path.map((item, index) => [index ? " › " : "",
      h("a", { href: `#/units/${item.id}` }, item.name)])),
    h("h2", {}, unit.name, unit.status === "dissolved" ? "（已撤销）" : ""),
    h("p", { class: "muted" }, `${LEVELS[unit.level]} · ${unit.type} · 代字 ${unit.code || "—"} · 编号 ${unit.id}`),
    mine ? null : h("p", { class: "note readonly", id: "readonly" },
      `只读：此单位不在您的管理范围内。您的管理范围是${scopeText()}。`)),
    h("section", { class: "card" }, h("h2", {}, `下级单位（${children.total}）`),
      h("ul", {}, children.items.map((child) => h("li", {}, h("a", { href: `#/units/${child.id}` }, child.name))))),
    peopleSection(unit, people.items, mine),
    sealSection(unit, mine, scopeText),
    archiveSection(unit, mine),
    ...(mine ? [createUnitSection(unit), moveSection(unit), dissolveSection(unit)] : []));
}

function createUnitSection(parent) {
  const name = h("input", { id: "new-name", required: true });
  const code = h("input", { id: "new-code", placeholder: "如：韶教" });
  const type = h("select", { id: "new-type" }, TYPES.map((value) => h("option", { value }, value)));
  const level = h("select", { id: "new-level" }, Object.entries(LEVELS).map(([value, label]) => h("option", {
    value, selected: value === parent.level }, label)));
  return h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const created = await run(() => post("/api/units", { name: name.value.trim(), type: type.value, level: level.value,
      parent_id: parent.id, code: code.value.trim() || null }), "已新建单位");
    if (created) location.hash = `#/units/${created.id}`;
  } }, h("h2", {}, "新建下级单位"), h("label", { for: "new-name" }, "名称"), name,
  h("div", { class: "row" }, h("div", {}, h("label", { for: "new-type" }, "类型"), type),
    h("div", {}, h("label", { for: "new-level" }, "层级"), level),
    h("div", {}, h("label", { for: "new-code" }, "机关代字"), code)),
  h("div", { class: "buttons" }, h("button", { class: "primary", type: "submit" }, "新建")));
}

function moveSection(unit) {
  const chosen = h("p", { class: "muted" }, "尚未选择新的上级单位");
  let target = null;
  return h("section", { class: "card" }, h("h2", {}, "迁移（机构改革）"),
    unitSearch("move-target", "新的上级单位", (picked) => { target = picked; chosen.textContent = `迁移到：${picked.name}`; }),
    chosen, h("div", { class: "buttons" }, h("button", { class: "secondary", onclick: async () => {
      if (!target) { toast("请先选择新的上级单位", "warn"); return; }
      if (await run(() => post(`/api/units/${unit.id}/move`, { parent_id: target.id, version: unit.version }),
        `已迁移到${target.name}`)) showUnit(unit.id);
    } }, "迁移")));
}

function dissolveSection(unit) {
  if (unit.status !== "active") return null;
  const confirm = h("input", { id: "confirm-dissolve", placeholder: `输入“${unit.name}”确认` });
  return h("section", { class: "card" }, h("h2", {}, "撤销单位"),
    h("p", { class: "muted" }, "撤销后历史记录保留；有下级单位时须先迁移或撤销下级单位。"),
    h("label", { for: "confirm-dissolve" }, "确认"), confirm,
    h("div", { class: "buttons" }, h("button", { class: "danger", onclick: async () => {
      if (confirm.value.trim() !== unit.name) { toast("请输入单位全称以确认", "warn"); return; }
      if (await run(() => post(`/api/units/${unit.id}/dissolve`, { version: unit.version }), "已撤销")) showUnit(unit.id);
    } }, "撤销")));
}

// People and their posts -------------------------------------------------------------------------------

// 三员分立: a platform-wide admin, and a 审计员, are appointed and changed only by a platform-wide admin, so a
// unit's 管理员 is neither offered the role nor the forms of such a person.
function platformOnly(person) {
  const auditor = (person.posts || []).some((item) => item.active !== false && (item.roles || []).includes("审计员"));
  return (Boolean(person.system_admin) || auditor) && state.me.administers !== null;
}

function roleBoxes(prefix, selected) {
  const offered = state.me.administers === null ? ROLES : ROLES.filter((role) => role !== "审计员");
  return h("fieldset", { class: "roles" }, h("legend", {}, "角色"), offered.map((role) => h("label", { class: "sound" },
    h("input", { type: "checkbox", name: prefix, value: role, checked: selected.includes(role) }), role)));
}

function checkedRoles(box) {
  return [...box.querySelectorAll("input:checked")].map((input) => input.value);
}

function notActivated(person) {
  return person.active && person.activated === false;
}

// A fresh code for one person, shown once in `box` to be passed on.
async function issueCode(person, box) {
  const issued = await run(() => post(`/api/users/${person.id}/activation-code`), "已生成激活码");
  if (!issued) return;
  box.replaceChildren(h("div", { class: "note" },
    h("p", {}, `${issued.display_name}（${issued.username}）的激活码：`, h("span", { class: "activation-code" }, issued.code)),
    h("p", { class: "muted" }, `有效期至 ${when(issued.expires_at)}，只能使用一次。请当面或通过可靠渠道告知本人：`
      + "在登录页点“首次登录激活”，输入用户名和激活码并设置密码。再次生成会使此激活码失效。")));
}

// Codes for every not-activated person of the unit (or its subtree) the admin may edit, as a CSV file.
async function exportCodes(unit, subtree) {
  try {
    const response = await fetch(`/api/units/${unit.id}/activation-codes${subtree ? "?subtree=1" : ""}`, {
      method: "POST", headers: { "X-CSRF-Token": csrfToken(), "X-OA-Channel": "web" }, credentials: "same-origin" });
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch { /* not JSON */ }
      throw new ApiError(response.status, body);
    }
    const count = Number(response.headers.get("X-Activation-Codes") || 0);
    if (!count) { toast("没有需要激活的人员", "warn"); return; }
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = decodeURIComponent(disposition.split("UTF-8''")[1] || "激活码.csv");
    const link = h("a", { href: URL.createObjectURL(await response.blob()), download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    toast(`已导出 ${count} 个激活码`, "ok");
  } catch (failure) {
    toast(errorText(failure), "error");
  }
}

function personRow(unit, person, editable, codeBox) {
  const post = person.posts.find((item) => item.unit_id === unit.id && item.active !== false);
  if (!post) return null;
  const who = h("td", {}, h("a", { href: `#/people/${person.id}` }, person.display_name),
    person.active ? null : h("span", { class: "tag" }, "已停用"), notActivated(person) ? h("span", { class: "tag" }, "未激活") : null,
    lockedTag(person),
    h("div", { class: "muted" }, person.username));
  const where = h("td", {}, post.title, person.posts.length > 1 ? h("div", { class: "muted" }, `共 ${person.posts.length} 个岗位`) : null);
  if (!editable || platformOnly(person)) {
    return h("tr", { "data-user": person.username }, who, where, h("td", {}, post.roles.join("、") || "—"), h("td", {}));
  }
  if (notActivated(person)) {  // the code is handed out beside the name, where 未激活 is shown
    who.append(h("button", { class: "link", type: "button", "aria-label": `为${person.display_name}生成激活码`,
      onclick: () => issueCode(person, codeBox) }, "生成激活码"));
  }
  const boxes = roleBoxes(`roles-${person.id}`, post.roles);
  const save = async () => {
    const posts = person.posts.map((item) => ({ id: item.id, unit: item.unit_id, title: item.title,
      roles: item.id === post.id ? checkedRoles(boxes) : item.roles, primary: Boolean(item.primary) }));
    if (await run(() => api("PATCH", `/api/users/${person.id}`, { version: person.version, posts }), "已保存")) {
      showUnit(unit.id);
    }
  };
  return h("tr", { "data-user": person.username }, who, where,
    h("td", {}, boxes), h("td", {}, h("div", { class: "row" }, h("button", { class: "secondary", onclick: save }, "保存角色"),
      h("a", { href: `#/people/${person.id}`, "aria-label": `编辑${person.display_name}` }, "编辑"))));
}

function activationSection(unit, people, codeBox) {
  const waiting = people.filter((person) => notActivated(person)
    && person.posts.some((item) => item.unit_id === unit.id && item.active !== false)).length;
  const subtree = h("input", { type: "checkbox", id: "codes-subtree" });
  return h("div", { id: "activation" }, h("h2", {}, "首次登录激活码"),
    h("p", { class: "muted" }, `本单位未激活人员 ${waiting} 人（导入时没有设置密码，还不能登录）。导出会为您可管理的每个未激活人员`
      + "生成新的激活码（7 天内有效，只能用一次），之前发出的激活码随即失效。"),
    codeBox,
    h("div", { class: "export" }, h("label", { class: "sound", for: "codes-subtree" }, subtree, "包括下级单位"),
      h("button", { class: "secondary", onclick: () => exportCodes(unit, subtree.checked) }, "导出激活码")));
}

function peopleSection(unit, people, editable) {
  const username = h("input", { id: "person-username", autocomplete: "off" });
  const name = h("input", { id: "person-name" });
  const title = h("input", { id: "person-title", placeholder: "如：收发员" });
  const password = h("input", { id: "person-password", type: "password", autocomplete: "new-password" });
  const boxes = roleBoxes("new-roles", []);
  const codeBox = h("div", { id: "activation-code", "aria-live": "polite" });
  const table = h("table", { id: "people" }, h("thead", {}, h("tr", {}, h("th", {}, "姓名"), h("th", {}, "岗位"), h("th", {}, "角色"),
    h("th", {}, ""))), h("tbody", {}, people.map((person) => personRow(unit, person, editable, codeBox))));
  if (!editable) return h("section", { class: "card" }, h("h2", {}, `人员与岗位（${people.length}）`), table);
  return h("section", { class: "card" }, h("h2", {}, `人员与岗位（${people.length}）`), table,
    activationSection(unit, people, codeBox),
    h("form", { onsubmit: async (event) => {
      event.preventDefault();
      const created = await run(() => post("/api/users", { username: username.value.trim(), display_name: name.value.trim(),
        password: password.value, posts: [{ unit: unit.id, title: title.value.trim(), roles: checkedRoles(boxes),
          primary: true }] }), "已添加人员");
      if (created) showUnit(unit.id);
    } }, h("h2", {}, "添加人员"),
    h("div", { class: "row" }, h("div", {}, h("label", { for: "person-username" }, "用户名"), username),
      h("div", {}, h("label", { for: "person-name" }, "姓名"), name),
      h("div", {}, h("label", { for: "person-title" }, "岗位名称"), title),
      h("div", {}, h("label", { for: "person-password" }, "初始密码"), password)),
    boxes, h("div", { class: "buttons" }, h("button", { class: "primary", type: "submit" }, "添加"))));
}

// One person: details, posts and roles, password reset, deactivation — by the admin of every unit
// where they hold a post (the service refuses anyone else); others see the person read only.

async function showPerson(userId) {
  const person = await get(`/api/users/${userId}`);
  const posts = person.posts.filter((item) => item.active !== false);
  const units = await Promise.all(posts.map((item) => get(`/api/units/${item.unit_id}`)));
  const editable = !platformOnly(person) && units.every((unit) => administers(unit.path.map((item) => item.id)));
  const patch = async (changes, done) => {
    if (await run(() => api("PATCH", `/api/users/${person.id}`, { version: person.version, ...changes }), done)) {
      showPerson(person.id);
    }
  };
  const head = h("section", { class: "card" },
    h("p", { class: "muted" }, units.map((unit, index) => [index ? "；" : "", h("a", { href: `#/units/${unit.id}` }, unit.name)])),
    h("h2", {}, person.display_name, person.active ? "" : "（已停用）", notActivated(person) ? "（未激活）" : ""),
    h("p", { class: "muted" }, `用户名 ${person.username}${person.mobile ? ` · 手机 ${person.mobile}` : ""}`
      + `${person.office_phone ? ` · 办公电话 ${person.office_phone}` : ""}`),
    editable ? null : h("p", { class: "note readonly", id: "readonly" }, platformOnly(person)
      ? (person.system_admin ? "只读：平台管理员只能由平台管理员修改。" : "只读：审计员只能由平台管理员任命和修改（三员分立）。")
      : `只读：此人有岗位不在您的管理范围内。您的管理范围是${scopeText()}。`),
    editable ? null : h("ul", {}, posts.map((item, index) => h("li", {},
      `${units[index].name} · ${item.title} · ${item.roles.join("、") || "无角色"}${item.primary ? "（主岗）" : ""}`))));
  if (!editable) { render(person.display_name, head); return; }

  const name = h("input", { id: "edit-name", value: person.display_name, required: true });
  const mobile = h("input", { id: "edit-mobile", value: person.mobile || "", inputmode: "tel", autocomplete: "off" });
  const officePhone = h("input", { id: "edit-office-phone", value: person.office_phone || "", inputmode: "tel",
    autocomplete: "off", placeholder: "如 0751-88861234" });
  const rows = posts.map((item, index) => {
    const unit = units[index];
    const title = h("input", { value: item.title, "aria-label": `${unit.name}岗位名称` });
    const roles = roleBoxes(`post-roles-${item.id}`, item.roles);
    const primary = h("input", { type: "radio", name: "primary-post", checked: Boolean(item.primary),
      "aria-label": `${unit.name}为主岗` });
    const ended = h("input", { type: "checkbox", "aria-label": `结束${unit.name}岗位` });
    return { item, unit, title, roles, primary, ended, row: h("tr", { "data-post": item.id }, h("td", {}, unit.name),
      h("td", {}, title), h("td", {}, roles), h("td", {}, h("label", { class: "sound" }, primary, "主岗")),
      h("td", {}, h("label", { class: "sound" }, ended, "结束岗位"))) };
  });
  const details = h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const kept = rows.filter((row) => !row.ended.checked);
    if (!kept.length) { toast("至少保留一个岗位；要停用账号请用下方的“停用账号”", "warn"); return; }
    await patch({ display_name: name.value.trim(), mobile: mobile.value.trim() || null,
      office_phone: officePhone.value.trim() || null,
      posts: kept.map((row) => ({ id: row.item.id, unit: row.item.unit_id, title: row.title.value.trim(),
        roles: checkedRoles(row.roles), primary: row.primary.checked })) }, "已保存");
  } }, h("h2", {}, "基本信息与岗位"),
  h("div", { class: "row" }, h("div", {}, h("label", { for: "edit-name" }, "姓名"), name),
    h("div", {}, h("label", { for: "edit-mobile" }, "手机号"), mobile),
    h("div", {}, h("label", { for: "edit-office-phone" }, "办公电话"), officePhone)),
  h("table", { id: "posts" }, h("thead", {}, h("tr", {}, h("th", {}, "单位"), h("th", {}, "岗位名称"), h("th", {}, "角色"),
    h("th", {}, ""), h("th", {}, ""))), h("tbody", {}, rows.map((row) => row.row))),
  h("div", { class: "buttons" }, h("button", { class: "primary", type: "submit" }, "保存")));

  const password = h("input", { id: "reset-password", type: "password", autocomplete: "new-password" });
  const reset = h("section", { class: "card" }, h("h2", {}, "重置密码"),
    h("p", { class: "muted" }, "重置后此人在所有设备上的登录立即失效，须用新密码重新登录。"),
    h("label", { for: "reset-password" }, "新密码"), password,
    h("div", { class: "buttons" }, h("button", { class: "secondary", onclick: () => {
      if (!password.value) { toast("请输入新密码", "warn"); password.focus(); return; }
      patch({ password: password.value }, "已重置密码");
    } }, "重置密码")));

  let armed = false;
  const deactivate = h("button", { class: "danger", onclick: () => {
    if (!armed) {  // a second, explicit click: the person is logged out everywhere at once
      armed = true;
      deactivate.textContent = "确认停用";
      return;
    }
    patch({ active: false }, "已停用");
  } }, "停用账号");
  const status = h("section", { class: "card" }, h("h2", {}, "账号状态"), person.active
    ? [h("p", { class: "muted" }, "停用后此人不能登录，已登录的设备立即退出；历史记录保留，可重新启用。"),
      h("div", { class: "buttons" }, deactivate)]
    : [h("p", {}, "此账号已停用。"), h("div", { class: "buttons" }, h("button", { class: "secondary",
      onclick: () => patch({ active: true }, "已重新启用") }, "重新启用"))]);
  const codeBox = h("div", { id: "activation-code", "aria-live": "polite" });
  const activation = notActivated(person) ? h("section", { class: "card" }, h("h2", {}, "首次登录激活"),
    h("p", {}, "未激活：此人导入时没有设置密码，还不能登录。生成激活码交给本人，或在上方直接重置密码。"),
    person.activation_expires_at ? h("p", { class: "muted" },
      `已生成过激活码，有效期至 ${when(person.activation_expires_at)}；再次生成会使其失效。`) : null,
    codeBox, h("div", { class: "buttons" }, h("button", { class: "secondary", onclick: () => issueCode(person, codeBox) },
      "生成激活码"))) : null;
  render(person.display_name, head, lockSection(person, () => showPerson(person.id)), details, reset, activation, status);
}

// Flow definitions ---------------------------------------------------------------------------------

async function showFlows() {
  const flows = await get("/api/flows");
  render("流程定义", h("section", { class: "card" }, h("h2", {}, "流程定义"), h("ul", {}, flows.items.map((flow) =>
    h("li", {}, h("a", { href: `#/flows/${flow.key}` }, `${flow.name}（第 ${flow.version} 版）`), ` · ${flow.description || ""}`)))));
}

function deadlineText(deadline) {
  if (!deadline) return "—";
  return deadline.hours ? `${deadline.hours} 个工作小时` : `${deadline.days} 个工作日`;
}

async function showFlow(key) {
  const unitId = state.home ? state.home.id : null;
  const flow = await get(`/api/flows/${key}${unitId ? `?unit=${unitId}` : ""}`);
  const overrides = (flow.effective && flow.effective.overrides) || {};
  const inputs = {};
  const rows = flow.nodes.filter((node) => node.deadline).map((node) => {
    const adjustable = (node.overridable || []).includes("deadline");
    const current = (overrides[node.id] && overrides[node.id].deadline) || node.deadline;
    const amount = h("input", { type: "number", min: 1, step: 1, value: current.hours || current.days,
      "aria-label": `${node.name}时限`, disabled: !adjustable });
    const unit = h("select", { "aria-label": `${node.name}时限单位`, disabled: !adjustable },
      h("option", { value: "hours", selected: Boolean(current.hours) }, "工作小时"),
      h("option", { value: "days", selected: Boolean(current.days) }, "工作日"));
    if (adjustable) inputs[node.id] = { amount, unit, original: node.deadline };
    return h("tr", {}, h("td", {}, node.name), h("td", {}, deadlineText(node.deadline)),
      h("td", {}, h("div", { class: "row" }, amount, unit)), h("td", {}, adjustable ? "可调整" : "不可调整"));
  });
  const claim = async () => {
    const changes = {};
    for (const [nodeId, input] of Object.entries(inputs)) {
      const value = Number(input.amount.value);
      const deadline = { [input.unit.value]: value };
      if (JSON.stringify(deadline) !== JSON.stringify(input.original)) changes[nodeId] = { deadline };
    }
    if (await run(() => post(`/api/flows/${key}/claim`, { unit_id: unitId, overrides: changes }), "已认领并保存本单位时限")) {
      showFlow(key);
    }
  };
  render(flow.name, h("section", { class: "card" }, h("h2", {}, `${flow.name}（第 ${flow.version} 版）`),
    h("p", { class: "muted" }, flow.effective && flow.effective.claimed_from
      ? `本单位使用 ${flow.effective.claimed_from} 认领的设置` : "本单位尚未认领，使用全市统一设置"),
    h("ol", {}, flow.nodes.map((node) => h("li", {}, node.name)))),
  h("section", { class: "card" }, h("h2", {}, "时限"), h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "环节"), h("th", {}, "统一时限"), h("th", {}, "本单位时限"), h("th", {}, ""))),
    h("tbody", {}, rows)),
  unitId ? h("div", { class: "buttons" }, h("button", { class: "primary", onclick: claim }, `为${state.home.name}认领`)) : null));
}

// Statistics -------------------------------------------------------------------------------------------

async function showStats(unitId) {
  const target = unitId || (state.home && state.home.id);
  if (!target) { render("交换统计", h("p", { class: "card" }, "请先在组织机构中选择单位")); return; }
  const stats = await get(`/api/exchange/stats?unit_id=${target}&children=1`);
  const columns = [["unit_name", "单位"], ["sent", "发文"], ["received", "收文"], ["signed_in_time", "按时签收"],
    ["signed_late", "超时签收"], ["overdue_unsigned", "逾期未签收"], ["returned", "退文"], ["avg_sign_minutes", "平均签收（分钟）"]];
  render("交换统计", h("section", { class: "card" }, h("h2", {}, `交换统计 ${stats.from} 至 ${stats.to}`),
    unitSearch("stats-unit", "查看其他单位", (unit) => { location.hash = `#/stats/${unit.id}`; }),
    h("p", {}, h("a", { href: `/api/exchange/stats?unit_id=${target}&children=1&format=csv` }, "导出 CSV")),
    h("table", { id: "stats" }, h("thead", {}, h("tr", {}, columns.map(([, label]) => h("th", {}, label)))),
      h("tbody", {}, stats.items.map((row) => h("tr", {}, columns.map(([key]) => h("td", {}, row[key] ?? "—"))))))));
}

// Start ------------------------------------------------------------------------------------------------

async function route() {
  const [, page, id] = location.hash.split("/");
  try {
    if (state.auditor) await showAudit({ render });
    else if (page === "units" && id) await showUnit(id);
    else if (page === "people" && id) await showPerson(id);
    else if (page === "flows" && id) await showFlow(id);
    else if (page === "flows") await showFlows();
    else if (page === "stats") await showStats(id);
    else if (page === "calendar") {
      await showCalendar({ render, me: state.me, unitSearch, administers }, id || (state.me.administers === null
        ? "" : state.home && state.home.id), location.hash.split("/")[3]);
    }
    else await showUnits();
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) showLogin();
    else if (failure instanceof ApiError && failure.status === 404) render("无权查看", h("p", { class: "card" }, "没有找到，或您无权管理该单位。"));
    else toast(errorText(failure), "error");
  }
}

async function boot() {
  try {
    state.me = await get("/api/me");
  } catch (failure) {
    if (failure.status === 401) { showLogin(); return; }
    throw failure;
  }
  const administered = state.me.posts.find((item) => item.roles.includes("管理员")) || state.me.posts[0];
  state.home = administered ? administered.unit : null;
  state.scope = await Promise.all((state.me.administers || []).map((unitId) => get(`/api/units/${unitId}`)
    .catch(() => ({ id: unitId, name: unitId }))));
  if (!state.listening) {
    state.listening = true;
    window.addEventListener("hashchange", route);
  }
  state.auditor = state.me.posts.some((item) => item.active !== false && item.roles.includes("审计员"));
  if (state.auditor) location.hash = "#/audit";
  if (!state.auditor && state.me.administers !== null && !state.me.administers.length) {
    render("无权管理", h("p", { class: "card" }, "您没有管理员岗位，不能使用管理功能。", h("a", { href: "/desk" }, "前往办公桌面")));
    return;
  }
  route();
}

boot();
