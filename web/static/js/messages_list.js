// The 消息 centre's list, shared by the phone page and the desk page: every notification the person
// received, unread first, each opening its task or document (and so marked read); 全部标为已读.

import { get, post } from "./api.js";
import { errorText, h, toast, when } from "./ui.js";

// The count shown next to 消息 in the menus.
export async function unreadBadge() {
  const { unread } = await get("/api/notifications/unread");
  return unread ? String(unread) : "";
}

// `linkOf(message)`: where a message leads in this app (the desk opens a task in the desk, not on the phone).
export async function messagesView({ onOpen, linkOf = (message) => message.link } = {}) {
  const box = h("section", { class: "messages", "aria-label": "消息" });

  async function draw() {
    const page = await get("/api/notifications?limit=100");
    // The menus' count follows what this list shows.
    for (const count of document.querySelectorAll('a[href="#/messages"] .count')) {
      if (page.unread) count.textContent = String(page.unread); else count.remove();
    }
    const markAll = h("button", { class: "secondary", disabled: page.unread === 0, onclick: async () => {
      try {
        await post("/api/notifications/read", { all: true });
        await draw();
      } catch (failure) { toast(errorText(failure), "error"); }
    } }, "全部标为已读");
    const item = (message) => h("li", { class: `message ${message.read ? "read" : "unread"} ${message.urgent ? "urgent" : ""}` },
      h("a", { href: linkOf(message), class: "message-link", onclick: async (event) => {
        event.preventDefault();
        if (!message.read) {
          try { await post("/api/notifications/read", { ids: [message.id] }); } catch { /* opened anyway */ }
        }
        if (onOpen) onOpen(message); else location.href = linkOf(message);
      } },
      h("div", { class: "message-head" }, message.read ? null : h("span", { class: "dot", "aria-label": "未读" }),
        h("span", { class: `badge ${message.urgent ? "badge-red" : "badge-grey"}` }, message.label),
        h("span", { class: "message-time" }, when(message.at))),
      h("div", { class: "message-title" }, message.title),
      h("div", { class: "message-body" }, message.body)));
    box.replaceChildren(
      h("div", { class: "messages-bar" }, h("span", { class: "unread-count", id: "unread-count" },
        page.unread ? `未读 ${page.unread} 条` : "没有未读消息"), ` · 共 ${page.total} 条`, markAll),
      page.items.length ? h("ul", { class: "message-list" }, page.items.map(item))
        : h("p", { class: "empty" }, "还没有消息"));
  }

  await draw();
  return { element: box, refresh: draw };
}
