// The /ws push: typed events with increasing ids, resumed from the last id seen after any drop.

export function connectPush({ onEvent, onState }) {
  const key = "oa.push.last_id";
  let socket = null;
  let delay = 1000;
  let stopped = false;

  function open() {
    const last = localStorage.getItem(key);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/ws${last ? `?last_id=${last}` : ""}`);
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "hello") {
        delay = 1000;
        onState(true);
        if (!last) localStorage.setItem(key, String(event.last_id));
        return;
      }
      localStorage.setItem(key, String(event.id));
      onEvent(event);
    };
    socket.onclose = () => {
      onState(false);
      if (stopped) return;
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  open();
  return {
    close() { stopped = true; if (socket) socket.close(); },
    reset() { localStorage.removeItem(key); },
  };
}
