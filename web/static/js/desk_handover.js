// 批量移交 at the desk: the office head or admin of a unit (or the person themself) chooses whose open tasks
// to hand over, sees them, chooses who takes them and hands them all over in one action; the answer says,
// task by task, what moved and why anything did not. The new holder has them in 待办 at once.

import { get, post } from "./api.js";
import { peoplePicker } from "./people_picker.js";
import { errorText, h, toast, urgencyBadge, when } from "./ui.js";

// Why a task stayed with its holder, in words (by the service's stable code).
const KEPT = { task_waiting: "正在等待加签人办理，恢复后再移交", cannot_transfer: "拟稿人自己的环节不能移交",
  target_outside_flow: "接收人不在该流程可涉及的单位中", task_not_active: "该事项刚刚已被办理" };

function taskRow(task) {
  return h("li", { "data-task": task.id },
    h("div", {}, urgencyBadge(task.urgency), h("strong", {}, task.title)),
    h("div", { class: "muted" }, `${task.flow_name} · ${task.node_name}${task.status === "waiting" ? "（等待加签人）" : ""}`,
      task.due_at ? ` · 截止 ${when(task.due_at)}` : ""));
}

export const deskHandoverPage = {
  key: "handover",
  label: "批量移交",
  async show({ render }) {
    const tasks = h("div", { id: "handover-tasks" }, h("p", { class: "muted" }, "请先选择移交谁的待办"));
    const result = h("div", { id: "handover-result", role: "status" });
    const reason = h("input", { id: "handover-reason", placeholder: "如：调离、长期外出学习" });
    let holder = null;
    const drawTasks = async () => {
      const page = await get(`/api/users/${holder.id}/open-tasks`);
      tasks.replaceChildren(h("p", { id: "handover-count" }, `${holder.display_name} 现有待办 ${page.total} 项`));
      if (page.items.length) tasks.append(h("ul", { class: "handover-list" }, page.items.map(taskRow)));
    };
    const showTasks = async () => {
      result.replaceChildren();
      if (!holder) { tasks.replaceChildren(h("p", { class: "muted" }, "请先选择移交谁的待办")); return; }
      try {
        await drawTasks();
      } catch (failure) {
        tasks.replaceChildren(h("p", { class: "error" }, failure.status === 403
          ? `您无权移交${holder.display_name}的待办：只有本人、其所在单位的办公室主任或管理员可以移交` : errorText(failure)));
      }
    };
    const from = peoplePicker({ id: "handover-from", label: "移交谁的待办", onChange: (picked) => {
      holder = picked[0] || null;
      showTasks();
    } });
    const to = peoplePicker({ id: "handover-to", label: "移交给" });
    const submit = h("button", { class: "primary", id: "handover-submit", onclick: async () => {
      const [person] = to.picked();
      if (!holder) { toast("请选择移交谁的待办", "warn"); return; }
      if (!person) { toast("请选择移交给谁", "warn"); return; }
      if (person.id === holder.id) { toast("接收人不能是原办理人", "warn"); return; }
      submit.disabled = true;
      try {
        const answer = await post(`/api/users/${holder.id}/hand-over`, { to_user: person.id, reason: reason.value.trim() });
        const moved = answer.handed_over;
        const kept = answer.not_handed_over;
        toast(`已将 ${moved.length} 项待办移交给${answer.to.name}`, "ok");
        // replaceChildren would print an absent list (null) as the text "null": leave it out.
        result.replaceChildren(...[
          h("p", { class: "ok", id: "handover-done" }, `已将${answer.from.name}的 ${moved.length} 项待办移交给${answer.to.name}`
            + (kept.length ? `，${kept.length} 项未移交` : "")),
          moved.length ? h("ul", { class: "handover-moved" }, moved.map((item) => h("li", {}, `✔ ${item.title} · ${item.node_name}`))) : null,
          kept.length ? h("ul", { class: "handover-kept" }, kept.map((item) => h("li", { class: "bad" },
            `✘ ${item.title} · ${item.node_name}：${KEPT[item.code] || errorText(item)}`))) : null].filter(Boolean));
        await drawTasks();  // what is left with the former holder (tasks that could not move yet)
      } catch (failure) {
        result.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(failure)));
      } finally {
        submit.disabled = false;
      }
    } }, "全部移交");
    render("批量移交", h("section", { class: "card", id: "handover" }, h("h2", {}, "批量移交待办"),
      h("p", { class: "muted" }, "领导调离或长期外出时，把其全部待办一次移交给他人。可由本人、其所在单位的办公室主任或管理员办理（办公室主任、管理员移交其本单位的待办）；每项移交都记入流转记录。"),
      from.element, tasks, to.element,
      h("label", { for: "handover-reason" }, "移交原因"), reason,
      h("div", { class: "buttons" }, submit), result));
  },
};
