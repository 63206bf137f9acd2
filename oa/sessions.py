"""Login sessions: opaque bearer tokens stored only as hashes, with an expiry and a CSRF token.

The same token works as the HttpOnly cookie of the web UI and as `Authorization: Bearer`
for mobile clients. A stolen database dump yields no usable tokens.

A session is opened by a password login here, or by another way of proving who one is (the
province's unified identity platform, an SMS code) through `open_session`. A right password that
has expired opens no session: 403 `password_expired`, and `change_password` (the current password
again, and a new one) is the way on.

Ending sessions (logout, deactivation, a password change) publishes a `session.ended` event for
the person, naming the ended sessions and why, in the same transaction as the delete: each
process's push handler closes the sockets opened with those sessions (see web/push.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from oa.audit_chain.chain import chain_of, person_unit
from oa.clock import utcnow
from oa.errors import Unauthenticated
from oa.password_policy import EXPIRED_MESSAGE, PasswordExpired
from oa.passwords import verify_password
from oa.throttle import LoginThrottle
from storage.events import publish
from storage.mongo import SCHEMA_VERSION, Mongo, Session

if TYPE_CHECKING:
    from oa.users import UserService  # which imports end_user_sessions from here

WRONG_CREDENTIALS = "wrong username or password"

# The event that ends sessions, with data {"reason": one of the reasons below, "sessions": [session ids]}.
SESSION_ENDED = "session.ended"
LOGOUT, DEACTIVATED, PASSWORD_CHANGED, EXPIRED = "logout", "deactivated", "password_changed", "expired"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    token: str
    csrf_token: str
    user: dict[str, Any]
    expires_in: int


@dataclass(frozen=True)
class Authenticated:
    user: dict[str, Any]
    session: dict[str, Any]


async def end_user_sessions(mongo: Mongo, session: Session, user_id: str, reason: str) -> None:
    """Inside the caller's transaction: end every session of `user_id` and tell their open sockets why."""
    ended = [row["_id"] for row in await mongo["sessions"].find(
        {"user_id": user_id}, {"_id": 1}, session=session).to_list(None)]
    if ended:
        await mongo["sessions"].delete_many({"_id": {"$in": ended}}, session=session)
        await publish(mongo, session, user_id, SESSION_ENDED,
                      {"reason": reason, "sessions": [str(session_id) for session_id in ended]})


class SessionService:
    def __init__(self, mongo: Mongo, users: UserService, throttle: LoginThrottle,
                 lifetime: timedelta = timedelta(hours=12)) -> None:
        self.mongo = mongo
        self.sessions = mongo["sessions"]
        self.users = users
        self.throttle = throttle
        self.lifetime = lifetime

    async def login(self, username: str, password: str, client: str, channel: str = "web") -> LoginResult:
        """Check the password; wrong username and wrong password are the same 401."""
        user = await self._proven(username, password, client)
        if self.users.policy.expired(user, utcnow()):
            raise PasswordExpired(EXPIRED_MESSAGE)
        return await self.open_session(user, client, channel)

    async def change_password(self, username: str, password: str, new_password: str, client: str) -> dict[str, Any]:
        """A person's own new password, proved by the current one (expired or not), throttled like a login.
        Every session of theirs ends; the updated record."""
        user = await self._proven(username, password, client)
        return await self.users.change_own_password(user, new_password)

    async def _proven(self, username: str, password: str, client: str) -> dict[str, Any]:
        """The active person whose password this is, throttled; wrong username and wrong password are one 401."""
        await self.throttle.reserve(username, client)
        user = await self.users.find_by_username(username)
        ok = await verify_password(user.get("password_hash") if user else None, password)
        if not ok or user is None or not user.get("active"):
            raise Unauthenticated(WRONG_CREDENTIALS)
        await self.throttle.succeeded(username, client)
        return user

    async def open_session(self, user: dict[str, Any], client: str, channel: str = "web") -> LoginResult:
        """A new session for a person whose identity was just proved."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = utcnow()
        record = {"token_hash": token_hash(token), "csrf_token": csrf, "user_id": user["_id"], "channel": channel,
                  "client": client, "created_at": now, "expires_at": now + self.lifetime,
                  "schema_version": SCHEMA_VERSION}

        async def write(session: Session) -> None:
            await self.sessions.insert_one(dict(record), session=session)
            await chain_of(self.mongo).record(session, person_unit(user), "login", {
                "user_id": user["_id"], "username": user.get("username"), "channel": channel, "client": client}, now)

        await self.mongo.run_transaction(write)
        return LoginResult(token, csrf, user, int(self.lifetime.total_seconds()))

    async def resolve(self, token: str) -> Authenticated | None:
        """The active user behind a token, or None if it is unknown, expired or the user is inactive."""
        session = await self.sessions.find_one({"token_hash": token_hash(token)})
        if session is None:
            return None
        expires_at, now = session["expires_at"], utcnow()
        if expires_at <= now:
            await self.sessions.delete_one({"_id": session["_id"]})
            return None
        if expires_at - now < self.lifetime / 2:
            # Idle expiry, not absolute: someone who uses the phone every day stays logged in.
            await self.sessions.update_one({"_id": session["_id"]}, {"$set": {"expires_at": now + self.lifetime}})
        user = self.users.directory.user(session["user_id"])
        if user is None or not user["active"]:
            return None
        return Authenticated(user, session)

    async def logout(self, token: str) -> None:
        async def end(session: Session) -> None:
            ended = await self.sessions.find_one_and_delete({"token_hash": token_hash(token)}, {"user_id": 1},
                                                            session=session)
            if ended is not None:
                await publish(self.mongo, session, ended["user_id"], SESSION_ENDED,
                              {"reason": LOGOUT, "sessions": [str(ended["_id"])]})
                person = self.users.directory.user(ended["user_id"]) or {}
                await chain_of(self.mongo).record(session, person_unit(person), "logout", {
                    "user_id": ended["user_id"], "username": person.get("username")})

        await self.mongo.run_transaction(end)

    async def expiries(self, session_ids: list[Any]) -> dict[Any, datetime]:
        """When each of these sessions expires, in one query; an ended session is missing."""
        cursor = self.sessions.find({"_id": {"$in": session_ids}}, {"expires_at": 1})
        return {row["_id"]: row["expires_at"] async for row in cursor}
