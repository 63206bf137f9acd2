// A task's screen beyond the decision: 退回 to a chosen earlier step (each named with who did it),
// 转办 and 加签 with the shared people picker, 撤回 of one's own action while the next person has not acted,
// and whether the task was urged (催办). task_view.js places these; the app's `act` sends an action once.

import { get, post } from "./api.js";
import { peoplePicker } from "./people_picker.js";
import { errorText, h, toast, when } from "./ui.js";

// Who did an earlier step on its last pass: "赵主任（县政府办主任）、…", or the member it was for.
function doers(choice) {
  const names = choice.done_by.map((who) => (who.name ? `${who.name}${who.post ? `（${who.post}）` : ""}`
    : who.member_label)).filter(Boolean);
  return names.length ? names.join("、") : "";
}

function returnBox(task, { act, actionButton }) {
  const reason = h("textarea", { id: "return-reason", rows: 2, placeholder: "退回理由（必填）", "aria-label": "退回理由" });
  const to = h("select", { id: "return-to", "aria-label": "退回到" }, h("option", { value: "previous" }, "退回上一步"));
  const steps = h("p", { class: "muted", id: "return-steps" }, "正在读取已办环节…");
  get(`/api/tasks/${task.id}/return-targets`).then((answer) => {
    const choices = answer.items;
    if (!choices.length) { steps.textContent = "没有可退回的环节"; return; }
    // Latest first: the step just before is the usual choice.
    to.replaceChildren(...choices.slice().reverse().map((choice, index) => h("option", { value: choice.node,
      selected: index === 0 }, `${choice.name}${doers(choice) ? ` · ${doers(choice)}` : ""}`)));
    steps.textContent = `可退回到已经办理过的 ${choices.length} 个环节，退回后由该环节的办理人重新办理`;
  }, (failure) => { steps.textContent = `无法读取已办环节：${errorText(failure)}`; });
  const box = h("div", { class: "more", hidden: true, id: "return-box" }, h("strong", {}, "退回"),
    h("label", { for: "return-to" }, "退回到"), to, steps, reason,
    actionButton({ class: "danger", id: "confirm-return", onclick: () => {
      if (!reason.value.trim()) { toast("请填写退回理由", "warn"); reason.focus(); return; }
      const name = to.selectedOptions[0] ? to.selectedOptions[0].textContent.split(" · ")[0] : "";
      act(task, "return", { reason: reason.value.trim(), to: to.value }, `已退回${name}`);
    } }, "确认退回"));
  return { label: "退回", box, focus: to };
}

function transferBox(task, { me, act, actionButton }) {
  const picker = peoplePicker({ id: "transfer-to", label: "转办给", exclude: [me.id] });
  const reason = h("input", { id: "transfer-reason", placeholder: "转办说明（可不填）", "aria-label": "转办说明" });
  const box = h("div", { class: "more", hidden: true, id: "transfer-box" }, h("strong", {}, "转办"), picker.element, reason,
    actionButton({ class: "primary", id: "confirm-transfer", onclick: () => {
      const [person] = picker.picked();
      if (!person) { toast("请先选择转办给谁", "warn"); return; }
      act(task, "transfer", { to_user: person.id, reason: reason.value.trim() }, `已转办给${person.display_name}`);
    } }, "确认转办"));
  return { label: "转办", box, focus: box.querySelector("input") };
}

function addSignersBox(task, { me, act, actionButton }) {
  const picker = peoplePicker({ id: "signers", label: "加签人", multiple: true, exclude: [me.id] });
  const position = (value, text, checked) => h("label", { class: "choice" },
    h("input", { type: "radio", name: "signer-position", value, checked }), text);
  const box = h("div", { class: "more", hidden: true, id: "signers-box" }, h("strong", {}, "加签"), picker.element,
    h("fieldset", { class: "positions" }, h("legend", {}, "加签人办理的顺序"),
      position("before", "在我之前：加签人先办，我再办", true),
      position("after", "在我之后：我办完后再由加签人办")),
    actionButton({ class: "primary", id: "confirm-signers", onclick: () => {
      const people = picker.picked();
      if (!people.length) { toast("请先选择加签人", "warn"); return; }
      const where = box.querySelector("input[name=signer-position]:checked").value;
      act(task, "add-signers", { users: people.map((person) => person.id), position: where },
        `已加签${people.map((person) => person.display_name).join("、")}`);
    } }, "确认加签"));
  return { label: "加签", box, focus: box.querySelector("input") };
}

// The further actions of an open task, each a box its button opens: [{ label, box, focus }]. The service says
// which the task offers (`actions`): none on the drafter's own step, no 退回 on a reading (传阅, 已阅), where
// 转办 and 加签 read 转阅 and 加阅.
export function moreActions(task, helpers) {
  const offered = task.actions || (task.kind === "start" ? [] : ["return", "transfer", "add_signers"]);
  const reading = (task.outcomes || [])[0] === "read";
  const boxes = { return: returnBox, transfer: transferBox, add_signers: addSignersBox };
  return offered.filter((key) => boxes[key]).map((key) => {
    const action = boxes[key](task, helpers);
    if (reading) action.label = { transfer: "转阅", add_signers: "加阅" }[key] || action.label;
    return action;
  });
}

// A task one has done: 撤回 while whoever it went to has not acted yet (the service says if it is too late).
// `home`: where the app goes when the withdrawn task has no new one to open.
export function withdrawCard(task, me, home) {
  if (task.status !== "done" || !task.done_by || task.done_by.user_id !== me.id || task.outcome === "returned") {
    return null;
  }
  const button = h("button", { class: "secondary", id: "withdraw", onclick: async () => {
    button.disabled = true;
    try {
      const result = await post(`/api/tasks/${task.id}/withdraw`);
      toast("已撤回，请重新办理", "ok");
      location.hash = result.replaced_by ? `#/task/${result.replaced_by}` : home;
    } catch (failure) {
      toast(errorText(failure), "error");
      button.disabled = false;
    }
  } }, "撤回");
  return h("section", { class: "card", id: "withdraw-card" }, h("h2", {}, "撤回"),
    h("p", { class: "muted" }, "下一环节办理之前，可以撤回您的办理，重新办理。"), button);
}

// "已催办 N 次" on a task someone urged.
export function urgeLine(task) {
  if (!task.urge_count) return null;
  return h("p", { class: "urged", id: "urged" }, `已被催办 ${task.urge_count} 次（最近 ${when(task.urged_at)}），请尽快办理`);
}
