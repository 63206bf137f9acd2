// Service worker part: Web Push. A push (sent by the service when the app may be closed) shows a
// system notification — 特急 ones stay until touched; touching one opens its task in the app, in a
// window already open if there is one. The payload is the service's JSON: {id, title, body, url, urgent}.

self.addEventListener("push", (event) => {
  let message = { title: "公文流转", body: "您有新的消息", url: "/#/messages", urgent: false };
  try {
    if (event.data) message = { ...message, ...event.data.json() };
  } catch {
    if (event.data) message.body = event.data.text();
  }
  event.waitUntil(self.registration.showNotification(message.title, {
    body: message.body,
    tag: message.id || undefined,  // the same notification pushed twice shows once
    requireInteraction: Boolean(message.urgent),
    data: { url: message.url },
    lang: "zh-CN",
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const app = windows.find((client) => new URL(client.url).origin === self.location.origin);
    if (app) {
      await app.focus();
      return app.navigate(url);
    }
    return self.clients.openWindow(url);
  })());
});
