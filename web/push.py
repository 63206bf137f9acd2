"""GET /ws: a user's events pushed over WebSocket, resumable by the last id the client saw.

Authentication is the session cookie (browsers; the Origin must then be this site) or an
`Authorization: Bearer` token (the mobile app); anything else is refused before the upgrade.
On open the handler subscribes to this process's EventHub first, then reads back what the
client missed since `last_id`, then streams; it never sends an id twice or out of order, and
fills a gap from the database. Each connection buffers at most MAX_BUFFERED events: a client
that stops reading is disconnected (code 4008) and resumes from its last id when it reconnects.

A socket belongs to the login session it was opened with: when that session ends it is closed
with code 4401 and the reason `session_ended: <why>` (logout, deactivated, password_changed,
expired, or ended when the cause is unknown), and the client should ask for a login instead of
reconnecting. A `session.ended` event (published by oa/sessions.py, carried to every process by
the change stream) closes it at once; the process's SessionWatch catches expiry within seconds.
`session.ended` events are never sent to clients.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import struct
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import tornado.iostream
import tornado.web
import tornado.websocket

from oa.clock import iso
from oa.sessions import SESSION_ENDED
from web import push_timing
from web.authz import RULE_ATTRIBUTE
from web.base import SESSION_COOKIE
from web.serialize import plain

if TYPE_CHECKING:
    from oa.sessions import Authenticated
    from web.services import Services
    from web.session_watch import SessionWatch

MAX_BUFFERED = 500
BUFFER_FULL = 4008
SESSION_ENDED_CODE = 4401
PING_INTERVAL_S = 30
PING_TIMEOUT_S = 30  # Tornado caps the timeout at the interval


def event_message(event: dict[str, Any]) -> str:
    return json.dumps({"id": event["seq"], "type": event["type"], "at": iso(event["at"]),
                       "data": plain(event["data"])}, ensure_ascii=False)


def frame_of(event: dict[str, Any]) -> str:
    """The event's frame text, made once and kept on the event for the person's other sockets."""
    frame = event.get("frame_text")
    if frame is None:
        frame = event["frame_text"] = event_message(event)
    return frame


TEXT_FRAME = 0x81  # FIN | text opcode


def _frame(data: bytes) -> bytes:
    """An unmasked (server to client) text frame of one fragment."""
    size = len(data)
    if size < 126:
        return struct.pack("!BB", TEXT_FRAME, size) + data
    if size <= 0xFFFF:
        return struct.pack("!BBH", TEXT_FRAME, 126, size) + data
    return struct.pack("!BBQ", TEXT_FRAME, 127, size) + data


def write_frame(handler: tornado.websocket.WebSocketHandler, text: str) -> asyncio.Future[None] | None:
    """One text frame handed to the socket: None when the kernel took all of it at once, else its flush.

    A dispatch writes thousands of frames in one go, each to an idle socket. Through Tornado, each frame
    costs a future and two loop callbacks besides the send (measured: 43 µs a frame against 20 µs for the
    send alone). When nothing of the socket's is waiting to be written, the frame is sent straight to
    the kernel (the same bytes Tornado would write); what the kernel does not take, or any frame while
    earlier bytes wait, goes through the stream as usual, so the order on the wire holds. Compressed or TLS
    sockets, or a protocol without these parts, use write_message.
    """
    protocol = handler.ws_connection
    stream = getattr(protocol, "stream", None)
    if protocol is None or type(stream) is not tornado.iostream.IOStream or \
            getattr(protocol, "_compressor", None) is not None or not hasattr(protocol, "_message_bytes_out"):
        return handler.write_message(text)
    if stream.closed():
        raise tornado.websocket.WebSocketClosedError()
    data = text.encode()
    protocol._message_bytes_out += len(data)
    frame = _frame(data)
    if not stream._write_buffer and not stream._connecting:
        try:
            sent = stream.socket.send(frame)
        except OSError:  # full (nothing sent), or failing: the stream's own write meets it and closes
            sent = 0
        protocol._wire_bytes_out += sent
        if sent == len(frame):
            return None
        frame = frame[sent:]
    protocol._wire_bytes_out += len(frame)
    try:
        return stream.write(frame)
    except tornado.iostream.StreamClosedError:
        raise tornado.websocket.WebSocketClosedError() from None


def _observed(flushed: asyncio.Future[None]) -> None:
    """A frame written at once: a socket that closed meanwhile is expected, not an unretrieved error."""
    if not flushed.cancelled():
        flushed.exception()


class PushHandler(tornado.websocket.WebSocketHandler):
    auth: Authenticated | None = None
    via: str | None = None
    max_buffered = MAX_BUFFERED

    @property
    def services(self) -> Services:
        return self.application.settings["services"]

    @property
    def session_watch(self) -> SessionWatch:
        return self.application.settings["session_watch"]

    async def get(self, *args: Any, **kwargs: Any) -> None:
        header = self.request.headers.get("Authorization", "")
        token, self.via = (header[7:].strip(), "bearer") if header.lower().startswith("bearer ") else (
            self.get_cookie(SESSION_COOKIE), "cookie")
        self.auth = await self.services.sessions.resolve(token) if token else None
        if self.auth is None:
            self.set_status(401)
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps({"code": "unauthenticated",
                                    "message": "log in first: send the session cookie or a Bearer token"}))
            return
        raw = self.get_query_argument("last_id", None)
        try:
            self.last_id = int(raw) if raw not in (None, "") else None
        except ValueError:
            self.last_id = -1
        if self.last_id is not None and self.last_id < 0:
            self.set_status(400)
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps({"code": "invalid_input", "message": "last_id must be a whole number ≥ 0"}))
            return
        await super().get(*args, **kwargs)

    # It authenticates by itself, before the upgrade (see get); declared for the rule check.
    setattr(get, RULE_ATTRIBUTE, "authenticated")

    def check_origin(self, origin: str) -> bool:
        if self.via == "bearer":
            return True  # a token is not sent by browsers on their own, so no cross-site risk
        return urlparse(origin).netloc == self.request.host

    async def open(self, *args: Any, **kwargs: Any) -> None:
        assert self.auth is not None
        self.user_id = str(self.auth.user["_id"])
        self.session_id = str(self.auth.session["_id"])
        # Events waiting for the send loop, which runs only while there are some: an idle socket (most of them,
        # most of the time) holds no task, and its frames go out from _on_event directly.
        self.queue: collections.deque[dict[str, Any]] = collections.deque()
        self.sender: asyncio.Task[None] | None = None
        self.flushing: asyncio.Future[None] | None = None
        self.ready = False  # the hello is out: events that come before it wait in the queue
        self.unsubscribe = self.services.events.subscribe(self.user_id, self._on_event)
        self.unwatch = self.session_watch.add(self.auth.session, self.end_session)
        self.auth = None  # the user and session documents are not needed past here
        current = await self.services.events.latest(self.user_id)
        self.sent = current if self.last_id is None else self.last_id
        await self.write_message(json.dumps({"type": "hello", "last_id": current}))
        self.ready = True
        if self.sent < current or self.queue:
            self._start_sending(catch_up=self.sent < current)  # what the client missed since last_id

    def _on_event(self, event: dict[str, Any]) -> None:
        reason = self._ends_this_session(event)
        if reason is not None:
            self.end_session(reason)  # at once, not after whatever is still queued
            return
        if self.idle and event["seq"] == self.sent + 1 and event["type"] != SESSION_ENDED:
            # The next frame of an idle socket goes out now, without a round through the send loop:
            # a dispatch hands thousands of frames over at once, and each hop is loop time.
            self._write_now(event)
            return
        if len(self.queue) >= self.max_buffered:
            self.unsubscribe()
            self.close(BUFFER_FULL, "too many unsent events; reconnect with last_id")
            return
        self.queue.append(event)
        if self.ready:
            self._start_sending()

    def _write_now(self, event: dict[str, Any]) -> None:
        try:
            flushing = write_frame(self, frame_of(event))
        except tornado.websocket.WebSocketClosedError:
            return
        push_timing.record(event)  # a no-op unless a benchmark asks for it
        self.application.settings["metrics"].observe_push(event)
        self.sent = event["seq"]
        self.flushing = flushing
        if flushing is not None:
            flushing.add_done_callback(_observed)

    @property
    def idle(self) -> bool:
        """No send loop running, nothing queued, and the last frame flushed to the socket."""
        return self.ready and self.sender is None and not self.queue and \
            (self.flushing is None or self.flushing.done())

    def _start_sending(self, catch_up: bool = False) -> None:
        if self.sender is None:
            self.sender = asyncio.create_task(self._send_loop(catch_up))

    async def _send_loop(self, catch_up: bool) -> None:
        """Reads back what was missed (on open, and on a gap), sends what is queued, in order, and ends when the
        queue is empty (the next queued event starts it again)."""
        with contextlib.suppress(tornado.websocket.WebSocketClosedError, asyncio.CancelledError):
            if catch_up:
                await self._catch_up()
            while self.queue:
                event = self.queue.popleft()
                if event["seq"] <= self.sent:
                    continue  # already sent by a catch-up or written at once
                if event["seq"] > self.sent + 1:
                    await self._catch_up()  # a gap: the stream dropped something; read it back
                    if event["seq"] <= self.sent:
                        continue
                await self._send(event)
        self.sender = None

    async def _catch_up(self) -> None:
        while True:
            missed = await self.services.events.after(self.user_id, self.sent, limit=self.max_buffered)
            for event in missed:
                await self._send(event)
            if len(missed) < self.max_buffered:
                return

    async def _send(self, event: dict[str, Any]) -> None:
        if event["type"] == SESSION_ENDED:  # for the server only: skipped, unless it ends this socket
            reason = self._ends_this_session(event)
            if reason is not None:
                self.end_session(reason)
                raise tornado.websocket.WebSocketClosedError()
            self.sent = event["seq"]
            return
        flushing = self.write_message(frame_of(event))  # handed to the socket here; the future is its flush
        push_timing.record(event)  # a no-op unless a benchmark asks for it
        self.application.settings["metrics"].observe_push(event)
        self.sent = event["seq"]
        self.flushing = flushing
        await flushing

    def _ends_this_session(self, event: dict[str, Any]) -> str | None:
        if event["type"] == SESSION_ENDED and self.session_id in event["data"].get("sessions", ()):
            return str(event["data"].get("reason") or "ended")
        return None

    def end_session(self, reason: str) -> None:
        """The login this socket was opened with has ended: send nothing more and close it."""
        self._stop()
        self.close(SESSION_ENDED_CODE, f"session_ended: {reason}")

    def _stop(self) -> None:
        if hasattr(self, "unsubscribe"):
            self.unsubscribe()
        if hasattr(self, "unwatch"):
            self.unwatch()
        if getattr(self, "sender", None) is not None:
            self.sender.cancel()

    def on_message(self, message: str | bytes) -> None:
        """Clients only listen; anything they send is ignored."""

    def on_close(self) -> None:
        self._stop()

    def get_compression_options(self) -> dict[str, Any] | None:
        """No permessage-deflate, though browsers ask for it: each compressed socket holds zlib state of about
        150 KiB (measured: 159 KiB per socket against 14 without), 750 MB for 5,000 phones, to save a few
        hundred bytes on frames of a few hundred bytes."""
        return None



