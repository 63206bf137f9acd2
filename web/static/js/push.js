// The /ws push: typed events with increasing ids, resumed from the last id seen after any drop.
// A close with SESSION_ENDED (logout elsewhere, deactivation, password change, expiry) is not a
// drop: it calls `onSessionEnded(reason)` and stays closed until `restart()` after a new login;
// so does a connection refused because the session is gone (asked of /api/me, as browsers hide the 401).

import { get } from "./api.js";

export const SESSION_ENDED = 4401;

export function connectPush({ onEvent, onState, onSessionEnded = () => {} }) {
  const key = "oa.push.last_id";
  let socket = null;
  let delay = 1000;
  let stopped = false;
  let retry = null;

  function open() {
    const last = localStorage.getItem(key);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const current = socket = new WebSocket(`${scheme}//${location.host}/ws${last ? `?last_id=${last}` : ""}`);
    let greeted = false;
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "hello") {
        greeted = true;
        delay = 1000;
        onState(true);
        if (!last) localStorage.setItem(key, String(event.last_id));
        return;
      }
      localStorage.setItem(key, String(event.id));
      onEvent(event);
    };
    socket.onclose = (closed) => {
      if (socket !== current || stopped) return;  // replaced by restart(), or closed on purpose
      if (closed.code === SESSION_ENDED) { onSessionEnded(closed.reason); return; }  // not a network problem
      onState(false);
      const again = () => {
        if (socket !== current || stopped) return;
        retry = setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
      if (greeted) again();
      else get("/api/me").then(again, (failure) => {  // refused before the upgrade: was it the session?
        if (failure.status === 401 && socket === current && !stopped) onSessionEnded("refused");
        else again();
      });
    };
  }

  open();
  return {
    close() { stopped = true; if (socket) socket.close(); },
    restart() {  // after a login: a new socket with the new session
      clearTimeout(retry);
      const old = socket;
      socket = null;
      if (old) { old.onmessage = null; old.close(); }
      stopped = false;
      delay = 1000;
      open();
    },
    reset() { localStorage.removeItem(key); },
  };
}
