// Desk page 消息: every notification received, unread first; each opens its task or document.

import { messagesView, unreadBadge } from "./messages_list.js";

export default {
  key: "messages",
  label: "消息",
  badge: unreadBadge,
  async show({ render }) {
    const view = await messagesView();
    render("消息", view.element);
  },
};
