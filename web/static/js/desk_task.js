// One task at the desk (#/task/{id}, opened from 待办): the same screen as on the phone (task_view.js) in the
// desk's frame, so a clerk's 用印 or an official's 审核 at the computer stays on the desk and comes back to its
// 待办. The decision is sent at once with an idempotency key and retried on a dropped connection, never done
// twice. A task taken away while it is open (撤回 by the one before, 转办 by an admin) says so at once.

import { ApiError, once, post } from "./api.js";
import { newKey } from "./offline_queue.js";
import { withdrawCard } from "./task_more.js";
import { actionPanel, loadTask, taskCards } from "./task_view.js";
import { errorText, h, toast } from "./ui.js";

const CANCELLED = { withdrawn: "上一环节已撤回", "handed over": "已由他人接手办理" };

async function show({ id, render, me }) {
  let loaded;
  try {
    loaded = await loadTask(id);
  } catch (failure) {
    if (!(failure instanceof ApiError) || failure.status !== 404) throw failure;
    toast("该事项不存在或已不属于您", "error");
    location.hash = "#/todo";
    return;
  }
  const { task } = loaded;
  if (task.kind === "start" && task.status === "active") {  // a draft sent back: fixed and sent again on its page
    location.replace(`#/documents/${task.document_id}`);
    return;
  }
  const buttons = [];
  let busy = false;  // a decision on its way
  let closed = false;  // decided, or taken away: the buttons stay off for good
  const setBusy = (value) => {
    busy = value;
    for (const button of buttons) button.disabled = busy || closed;
  };
  const actionButton = (attrs, label) => {
    const button = h("button", attrs, label);
    buttons.push(button);
    return button;
  };
  const act = async (current, path, body, doneText) => {
    if (busy) return;  // one action at a time: a second click cannot send it twice
    setBusy(true);
    const key = newKey();
    // A retry after a lost answer finds the task done: done by this person, that is success.
    const alreadyDone = async (error) => {
      if (error.code !== "task_not_active") return false;
      const again = await loadTask(current.id);
      return Boolean(again.task.done_by && again.task.done_by.user_id === me.id);
    };
    try {
      await once(() => post(`/api/tasks/${current.id}/${path}`, body, { "Idempotency-Key": key }), alreadyDone);
    } catch (failure) {
      toast(errorText(failure), "error");
      setBusy(false);
      return;
    }
    closed = true;  // until the 待办 is drawn, this page must not offer the decision again
    setBusy(false);
    toast(doneText, "ok");
    location.hash = "#/todo";
  };
  const actions = task.status === "active" ? actionPanel(task, { me, act, actionButton }) : null;
  const gone = h("div", { class: "alert", role: "alert", id: "task-gone", hidden: true });
  render(task.node_name,
    h("p", {}, h("a", { href: "#/todo" }, "‹ 返回待办")),
    gone,
    ...taskCards(loaded, me),
    actions ? actions.panel : h("p", { class: "card", id: "task-closed" },
      `此事项已${task.status === "done" ? "办理" : "不在您的待办中"}`),
    actions ? null : withdrawCard(task, me, "#/todo/done"),
    actions ? actions.bar : null);

  if (!actions) return;
  const onPush = (event) => {
    const { type, data = {} } = event.detail || {};
    if (type !== "task.cancelled" || data.task_id !== task.id) return;
    window.removeEventListener("oa:push", onPush);
    gone.textContent = `此事项已不在您的待办中：${CANCELLED[data.reason] || "流程已变更"}`;
    gone.hidden = false;
    toast(gone.textContent, "warn");  // seen wherever the page is scrolled, e.g. down at the opinion
    closed = true;
    setBusy(busy);
  };
  window.addEventListener("oa:push", onPush);
  // The listener goes with the page: the next route draws another one.
  window.addEventListener("hashchange", () => window.removeEventListener("oa:push", onPush), { once: true });
}

export default { key: "task", label: "办理", nav: false, show };
