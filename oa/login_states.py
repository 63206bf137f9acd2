"""Short-lived, single-use records of a login under way with another party (the province's unified
identity platform): what the browser was sent off with (`nonce`, PKCE verifier, where to return).

Only the SHA-256 of the state value is stored, so a database dump cannot finish anyone's login. A state
is consumed atomically: of two callbacks with the same state at most one gets its record, and a state
older than its lifetime gets nothing (expired records are also swept by a TTL index).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from oa.clock import utcnow
from storage.mongo import SCHEMA_VERSION, Mongo

LIFETIME = timedelta(minutes=10)


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class LoginStates:
    def __init__(self, mongo: Mongo, lifetime: timedelta = LIFETIME) -> None:
        self.states = mongo["login_states"]
        self.lifetime = lifetime

    async def begin(self, kind: str, data: dict[str, Any]) -> str:
        """A new state value (to send with the browser) standing for `data`."""
        state, now = secrets.token_urlsafe(32), utcnow()
        await self.states.insert_one({"_id": _hash(state), "kind": kind, "data": data, "created_at": now,
                                      "expires_at": now + self.lifetime, "schema_version": SCHEMA_VERSION})
        return state

    async def finish(self, kind: str, state: str) -> dict[str, Any] | None:
        """The data the state stands for, once: None if unknown, of another kind, used or expired."""
        record = await self.states.find_one_and_delete({"_id": _hash(state), "kind": kind})
        if record is None or record["expires_at"] <= utcnow():
            return None
        return dict(record["data"])
