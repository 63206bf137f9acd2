"""This process's open push sockets by the login session they were opened with, checked every few seconds.

A `session.ended` event closes a socket at once (see web/push.py); this watch is for what no event
announces — a session that expired without use, or was removed by the database's expiry index —
and a safety net for an event the socket missed. Each round asks about the sessions past their
known expiry and the next 100 of the others in turn, in one query; it runs only while a socket is open.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oa.clock import utcnow
from oa.sessions import EXPIRED

if TYPE_CHECKING:
    from oa.sessions import SessionService

log = logging.getLogger("oa.push")

CHECK_INTERVAL_S = 2.0
SLICE = 100  # sessions asked about per round besides those past their known expiry
ENDED = "ended"  # the session is gone and no event said why (the event was missed)

OnEnded = Callable[[str], None]


class SessionWatch:
    interval_s = CHECK_INTERVAL_S
    slice_size = SLICE

    def __init__(self, sessions: SessionService) -> None:
        self.sessions = sessions
        self._sockets: dict[Any, set[OnEnded]] = {}
        self._expires: dict[Any, datetime] = {}
        self._task: asyncio.Task[None] | None = None
        self._turn = 0  # where the next round's slice of the sessions starts

    def add(self, session: dict[str, Any], on_ended: OnEnded) -> Callable[[], None]:
        """Call `on_ended(reason)` once when `session` has ended; returns the function that stops watching."""
        session_id = session["_id"]
        self._sockets.setdefault(session_id, set()).add(on_ended)
        self._expires[session_id] = session["expires_at"]
        if self._task is None or self._task.done() or self._task.cancelling():
            self._task = asyncio.create_task(self._run())

        def remove() -> None:
            callbacks = self._sockets.get(session_id)
            if callbacks is not None:
                callbacks.discard(on_ended)
                if not callbacks:
                    del self._sockets[session_id]
                    self._expires.pop(session_id, None)
            if not self._sockets and self._task is not None:
                self._task.cancel()  # nothing left to watch; the next socket starts it again

        return remove

    def socket_count(self) -> int:
        return sum(len(callbacks) for callbacks in self._sockets.values())

    async def _run(self) -> None:
        while self._sockets:
            await asyncio.sleep(self.interval_s)
            try:
                await self.check()
            except Exception:  # a database hiccup must not end the watch; the next round retries
                log.exception("checking the push sockets' sessions failed")

    async def check(self) -> None:
        """One round: the sessions whose last known expiry has passed (HTTP use may have extended them),
        plus the next slice of the others in turn, so a round costs one small query however many
        sockets are open (5,000 sockets: a full sweep every ~30 s, never 1,300 ids every 2 s)."""
        now = utcnow()
        every = list(self._sockets)
        if not every:
            return
        due = [session_id for session_id in every if self._expires.get(session_id, now) <= now]
        start = self._turn % len(every)
        turn = (every[start:] + every[:start])[:self.slice_size]
        self._turn = start + len(turn)
        watched = list(dict.fromkeys(due + turn))
        expiries = await self.sessions.expiries(watched)
        for session_id in watched:
            expires_at = expiries.get(session_id)
            if expires_at is not None:
                self._expires[session_id] = expires_at  # kept current by use of the session over HTTP
                if expires_at > now:
                    continue
            last_known = self._expires.get(session_id)
            reason = EXPIRED if last_known is not None and last_known <= now else ENDED
            for on_ended in list(self._sockets.pop(session_id, ())):
                try:
                    on_ended(reason)
                except Exception:  # one broken connection must not keep the others open
                    log.exception("closing a push socket failed")
            self._expires.pop(session_id, None)
