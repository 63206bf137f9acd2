// 委托 on the phone and at the desk: a leader chooses who acts for them from when to when (leave, a trip),
// sees the delegations in force and those given to them, and revokes one. While it is in force the delegate
// sees the leader's tasks in their own 待办 and acts on them in the leader's name; nothing moves, so when it
// ends or is revoked the tasks are simply the leader's again.

import { get, post } from "./api.js";
import { peoplePicker } from "./people_picker.js";
import { errorText, h, toast, when } from "./ui.js";

// A datetime-local input's value ("2026-11-30T08:00") read as Beijing time, and the other way round.
const beijing = (value) => `${value}:00+08:00`;
function localValue(date) {
  const shifted = new Date(date.getTime() + 8 * 3600 * 1000);
  return shifted.toISOString().slice(0, 16);
}

function whoLine(person) {
  const posts = (person.posts || []).map((item) => `${item.unit_name} · ${item.title}`).join("；");
  return posts ? `${person.name}（${posts}）` : person.name;
}

function stateOf(item) {
  if (item.revoked_at) return { key: "revoked", text: `已撤销 ${when(item.revoked_at)}` };
  const now = Date.now();
  if (new Date(item.ends_at).getTime() <= now) return { key: "ended", text: "已结束" };
  if (new Date(item.starts_at).getTime() > now) return { key: "pending", text: "未开始" };
  return { key: "active", text: "生效中" };
}

function row(item, me, reload) {
  const mine = item.from_user === me.id;
  const current = stateOf(item);
  const revoke = mine && ["active", "pending"].includes(current.key) ? h("button", { class: "danger", onclick: async () => {
    try {
      await post(`/api/delegations/${item.id}/revoke`);
      toast(`已撤销对${item.to.name}的委托`, "ok");
    } catch (failure) { toast(errorText(failure), "error"); }
    await reload();
  } }, "撤销") : null;
  return h("li", { class: `delegation delegation-${current.key}`, "data-delegation": item.id },
    h("div", {}, mine ? `委托 ${whoLine(item.to)} 代为办理` : `${whoLine(item.from)} 委托您代为办理`),
    h("div", { class: "muted" }, `${when(item.starts_at)} 至 ${when(item.ends_at)}`, item.reason ? ` · ${item.reason}` : ""),
    h("div", { class: "row" }, h("span", { class: `tag tag-${current.key}` }, current.text), revoke));
}

export const delegationsPage = {
  key: "delegations",
  label: "委托",
  async show({ render, me }) {
    const given = h("ul", { class: "delegations", id: "delegations-given" });
    const received = h("ul", { class: "delegations", id: "delegations-received" });
    const reload = async () => {
      const page = await get("/api/delegations");
      const mine = page.items.filter((item) => item.from_user === me.id);
      const theirs = page.items.filter((item) => item.to_user === me.id);
      given.replaceChildren(...(mine.length ? mine.map((item) => row(item, me, reload))
        : [h("li", { class: "muted" }, "还没有委托")]));
      received.replaceChildren(...(theirs.length ? theirs.map((item) => row(item, me, reload))
        : [h("li", { class: "muted" }, "没有人委托您")]));
    };

    const picker = peoplePicker({ id: "delegate", label: "受托人", exclude: [me.id] });
    const now = new Date();
    const starts = h("input", { type: "datetime-local", id: "delegation-starts", value: localValue(now) });
    const ends = h("input", { type: "datetime-local", id: "delegation-ends",
      value: localValue(new Date(now.getTime() + 7 * 24 * 3600 * 1000)) });
    const reason = h("input", { id: "delegation-reason", placeholder: "如：休假、出差、外出学习" });
    const problem = h("p", { class: "error", role: "alert", id: "delegation-problem" });
    const submit = h("button", { class: "primary", type: "submit" }, "设置委托");
    const form = h("form", { class: "card", id: "delegation-form", onsubmit: async (event) => {
      event.preventDefault();
      const [person] = picker.picked();
      problem.textContent = "";
      if (!person) { problem.textContent = "请选择受托人"; return; }
      if (!starts.value || !ends.value) { problem.textContent = "请填写委托的开始和结束时间"; return; }
      if (ends.value <= starts.value) { problem.textContent = "结束时间须晚于开始时间"; return; }
      submit.disabled = true;
      try {
        await post("/api/delegations", { to_user: person.id, starts_at: beijing(starts.value),
          ends_at: beijing(ends.value), reason: reason.value.trim() });
        toast(`已委托${person.display_name}代为办理`, "ok");
        picker.clear();
        reason.value = "";
        await reload();
      } catch (failure) {
        problem.textContent = errorText(failure);
      } finally {
        submit.disabled = false;
      }
    } },
    h("h2", {}, "设置委托"),
    h("p", { class: "muted" }, "委托期间，受托人在自己的待办中看到您的待办，并以您的名义代为办理，流转记录同时记下两人。"),
    picker.element,
    h("label", { for: "delegation-starts" }, "开始时间"), starts,
    h("label", { for: "delegation-ends" }, "结束时间"), ends,
    h("label", { for: "delegation-reason" }, "事由"), reason,
    problem, h("div", { class: "buttons" }, submit));

    await reload();
    render("委托", form,
      h("section", { class: "card" }, h("h2", {}, "我的委托"), given),
      h("section", { class: "card" }, h("h2", {}, "委托给我的"), received));
  },
};
