// Phone page 消息: every notification received, so nothing pushed is lost if a toast was missed.

import { messagesView, unreadBadge } from "./messages_list.js";

export default {
  key: "messages",
  label: "消息",
  badge: unreadBadge,
  async show({ render }) {
    const view = await messagesView({ onOpen: (message) => {
      // Task links open inside the phone app; others (documents at the desk) as they are.
      location.href = message.link.startsWith("/#") ? message.link.slice(1) : message.link;
    } });
    render("消息", view.element);
  },
};
