// Account locks on the admin's person page: someone who failed to log in too often is locked for a while
// (then unlocked by itself); an admin who may edit the person lifts the lock at once. A platform-wide admin
// is unlocked only by another platform-wide admin, and in any case by time, so nobody is locked out for good.

import { post } from "./api.js";
import { errorText, h, toast, when } from "./ui.js";

export function lockedTag(person) {
  return person.locked_until ? h("span", { class: "tag locked" }, "已锁定") : null;
}

export function lockSection(person, onChange) {
  if (!person.locked_until) return null;
  const button = h("button", { class: "primary", type: "button", onclick: async () => {
    button.disabled = true;
    try {
      await post(`/api/users/${person.id}/unlock`);
      toast("已解锁", "ok");
      onChange();
    } catch (failure) {
      button.disabled = false;
      toast(errorText(failure), "error");
    }
  } }, "解锁账号");
  return h("section", { class: "card", id: "account-lock" }, h("h2", {}, "账号已锁定"),
    h("p", {}, `${person.display_name}连续登录失败次数过多，账号已锁定，将于 ${when(person.locked_until)} 自动解锁。`),
    h("p", { class: "muted" }, "确认是本人后可立即解锁；解锁后此人可以马上用密码登录。"),
    h("div", { class: "buttons" }, button));
}
