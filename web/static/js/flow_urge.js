// 催办 of a running flow at the desk: whoever takes part in it (the drafter, the office) urges everyone who
// holds one of its open tasks now, with an optional word; each holder's phone shows the 催办 at once. The
// service refuses a second urge of the same task within its interval and says when it may be urged again.

import { post } from "./api.js";
import { errorText, h, toast, when } from "./ui.js";

export function urgeControl(instanceId) {
  const message = h("input", { id: "urge-message", placeholder: "催办留言（可不填），如：请今天内办理",
    "aria-label": "催办留言" });
  const status = h("span", { class: "muted", id: "urge-status", role: "status" });
  const button = h("button", { class: "secondary", id: "urge", onclick: async () => {
    button.disabled = true;
    try {
      const result = await post(`/api/instances/${instanceId}/urge`, { message: message.value.trim() });
      status.textContent = `已催办 ${result.urged.length} 项待办${result.skipped_recently_urged
        ? `（另有 ${result.skipped_recently_urged} 项刚催办过）` : ""}`;
      toast("已催办当前办理人", "ok");
      message.value = "";
    } catch (failure) {
      status.textContent = failure.code === "urged_recently" ? `刚刚催办过，${when(failure.body.allowed_at)} 后可再次催办`
        : failure.code === "nothing_to_urge" ? "没有需要催办的办理人" : errorText(failure);
    } finally {
      button.disabled = false;
    }
  } }, "催办");
  return h("div", { class: "urge row" }, message, button, status);
}
