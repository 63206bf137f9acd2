// Desk page 消息: every notification received, unread first; each opens its task or document in the desk
// (a task's link is the phone's, /#/task/…: here it opens the desk's own task page).

import { messagesView, unreadBadge } from "./messages_list.js";

function deskLink(message) {
  const link = message.link || "";
  if (link.startsWith("/#/task/")) return link.slice(1);
  if (link.startsWith("/desk#/")) return link.slice("/desk".length);
  return link;
}

export default {
  key: "messages",
  label: "消息",
  badge: unreadBadge,
  async show({ render }) {
    const view = await messagesView({ linkOf: deskLink });
    render("消息", view.element);
  },
};
