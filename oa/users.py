"""People: one identity (one login) holding several posts in several units.

A post is unit + title + roles. Ending a post or deactivating a person keeps the record
(with dates) so documents and audit trails that named them stay readable. Reads come from the
in-memory directory (logins excepted: the password hash stays in the database), which every
change here updates as soon as it commits.

A person without a password hash (imported without one) is not activated: their activation code
(oa/activation.py, held here as `activation`) is stored and consumed through this module, and
setting a password by any route drops a pending code.

Every new password passes the strength rules (oa/passwords.py) and may not be one of the person's last
few (oa/password_policy.py); setting it records when, for the expiry, and ends the person's sessions.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from oa.activation import Activation, ActivationThrottle
from oa.audit_chain import chain_of
from oa.audit_chain.chain import person_unit
from oa.clock import utcnow
from oa.directory import Directory
from oa.errors import Conflict, InvalidInput, NotFound, StaleVersion
from oa.password_policy import PasswordPolicy
from oa.passwords import check_strength, hash_password
from oa.sessions import DEACTIVATED, PASSWORD_CHANGED, end_user_sessions
from oa.user_fields import check_person, check_posts, check_username
from storage.mongo import (
    SCHEMA_VERSION,
    DuplicateKeyError,
    Mongo,
    Session,
    UpdateOne,
    find_in,
    find_one_and_update_after,
)

EDITABLE = ("display_name", "mobile", "office_phone", "password", "posts", "active")
# Not-activated people among more ids than this are found by one pass over the collection, not `$in` slices.
SCAN_ABOVE = 2000
ACTIVATION_BATCH = 1000


def new_user_id() -> str:
    return "p-" + secrets.token_hex(6)


def new_post_id() -> str:
    return "post-" + secrets.token_hex(5)


def build_posts(posts: list[dict[str, Any]], units: dict[str, dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Stored posts from validated input; exactly one is primary (the first, if none is marked)."""
    primary_index = next((i for i, post in enumerate(posts) if post.get("primary")), 0)
    return [
        {
            "id": post.get("id") or new_post_id(),
            "unit_id": post["unit"],
            # The unit's name as it was when the post began, for history views after a reorganisation.
            "unit_name": units[post["unit"]]["name"],
            "title": post["title"].strip(),
            "roles": sorted(set(post["roles"])),
            "primary": index == primary_index,
            "active": True,
            "started_at": post.get("started_at") or now,
            "ended_at": None,
        }
        for index, post in enumerate(posts)
    ]


def user_record(data: dict[str, Any], user_id: str, posts: list[dict[str, Any]], password_hash: str | None,
                now: datetime) -> dict[str, Any]:
    return {
        "_id": user_id,
        "username": data["username"],
        "display_name": data["display_name"].strip(),
        "mobile": data.get("mobile") or None,
        "office_phone": data.get("office_phone") or None,
        "password_hash": password_hash,
        "password_changed_at": now if password_hash else None,
        "active": True,
        "deactivated_at": None,
        "posts": posts,
        "version": 1,
        "schema_version": SCHEMA_VERSION,
        "created_at": now,
        "updated_at": now,
    }


def national_mobile(text: str) -> str:
    """A mobile number as stored (11 digits), from how a platform or a person may write it: +86 138-0013-8000."""
    digits = "".join(char for char in text if char.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def active_posts(user: dict[str, Any]) -> list[dict[str, Any]]:
    return [post for post in user.get("posts", []) if post.get("active")]


class UserService:
    def __init__(self, mongo: Mongo, directory: Directory, policy: PasswordPolicy | None = None) -> None:
        self.mongo = mongo
        self.directory = directory
        self.users = mongo["users"]
        self.policy = policy or PasswordPolicy()
        self.activation = Activation(self, ActivationThrottle(mongo))

    async def get(self, user_id: str) -> dict[str, Any]:
        user = self.directory.user(user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist", user_id=user_id)
        return user

    async def find_by_username(self, username: str) -> dict[str, Any] | None:
        """The stored record with its password hash (for logging in)."""
        user = await self.users.find_one({"username": username})
        return user if user is not None and self.directory.is_visible(user) else None

    async def find_for_sign_in(self, field: str, value: str) -> dict[str, Any] | None:
        """The one active person whose `field` (username or mobile) is `value`, as stored; None if there is
        none, or several share a mobile (a login must never pick one of them by chance)."""
        if field == "username":
            user = await self.find_by_username(value.strip().lower())
        elif field == "mobile":
            found = [person for person in self.directory.with_mobile(national_mobile(value)) if person.active]
            user = await self.users.find_one({"_id": found[0].id}) if len(found) == 1 else None
        else:
            raise ValueError(f"people are not found by {field}")
        return user if user is not None and user.get("active") and self.directory.is_visible(user) else None

    async def needs_activation(self, username: str) -> bool:
        """Is this an active person who has never had a password (imported without one)?"""
        user = await self.find_by_username(username)
        return user is not None and bool(user.get("active")) and not user.get("password_hash")

    async def not_activated(self, user_ids: list[str]) -> dict[str, datetime | None]:
        """Those of these people who have no password yet, each with the expiry of their current
        activation code (None if none was issued)."""
        query, projection = {"password_hash": None}, {"_id": 1, "activation.expires_at": 1}
        if len(user_ids) > SCAN_ABOVE:
            wanted = set(user_ids)
            rows = [row async for row in self.users.find(query, projection) if row["_id"] in wanted]
        else:
            rows = await find_in(self.users, "_id", list(user_ids), query, projection)
        return {row["_id"]: (row.get("activation") or {}).get("expires_at") for row in rows}

    async def store_activation_codes(self, entries: dict[str, dict[str, Any]]) -> set[str]:
        """Give each person their new activation code (`code_hash`, `expires_at`, `issued_at`,
        `issued_by`), replacing any earlier one, if they are active and still have no password.
        Returns the ids it was stored for."""
        stored: set[str] = set()
        items = list(entries.items())
        for start in range(0, len(items), ACTIVATION_BATCH):
            batch = items[start:start + ACTIVATION_BATCH]
            result = await self.users.bulk_write(
                [UpdateOne({"_id": user_id, "password_hash": None, "active": True}, {"$set": {"activation": entry}})
                 for user_id, entry in batch], ordered=False)
            if result.matched_count == len(batch):
                stored.update(user_id for user_id, _ in batch)
                continue
            # Someone was activated or deactivated meanwhile: keep only the codes that were stored.
            rows = await find_in(self.users, "_id", [user_id for user_id, _ in batch], {"password_hash": None},
                                 {"activation.code_hash": 1})
            stored.update(row["_id"] for row in rows
                          if (row.get("activation") or {}).get("code_hash") == entries[row["_id"]]["code_hash"])
        return stored

    async def complete_activation(self, user_id: str, entry: dict[str, Any], password_hash: str,
                                  now: datetime) -> dict[str, Any] | None:
        """Compare-and-set: the first password, only if the person is active, still has none and `entry`
        is their current, unexpired activation code, which is consumed. The updated record, or None."""
        updated = await find_one_and_update_after(
            self.users,
            {"_id": user_id, "active": True, "password_hash": None, "activation.code_hash": entry["code_hash"],
             "activation.expires_at": {"$gt": now}},
            {"$set": {"password_hash": password_hash, "password_changed_at": now, "activation": None,
                      "updated_at": now,
                      "activated": {"at": now, "code_hash": entry["code_hash"], "code_issued_at": entry["issued_at"],
                                    "code_issued_by": entry["issued_by"]}},
             "$inc": {"version": 1}})
        if updated is not None:
            self.directory.put_person(updated)
        return updated

    async def list(self, unit_id: str | None = None, text: str | None = None, include_inactive: bool = False,
                   offset: int = 0, limit: int = 50) -> tuple[list[dict[str, Any]], int]:
        """People by username, name or pinyin initials (李华伟 ← lhw), in username order."""
        found, total = self.directory.search_people(text, unit_id, include_inactive, offset, limit)
        return [person.as_user() for person in found], total

    async def _units_for(self, posts: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
        unit_ids = sorted({post["unit"] for post in posts})
        units = self.directory.units(unit_ids)
        problems = [f"post unit {unit_id} does not exist" for unit_id in unit_ids if unit_id not in units]
        problems += [f"post unit {unit_id} ({units[unit_id]['name']}) is dissolved"
                     for unit_id in unit_ids if unit_id in units and units[unit_id]["status"] != "active"]
        return units, problems

    async def create(self, data: dict[str, Any], by: str | None = None) -> dict[str, Any]:
        problems = check_username(data.get("username")) + check_person(data) + check_posts(data.get("posts"))
        if data.get("password") is not None:
            problems += check_strength(data["password"], data.get("username"))
        units: dict[str, dict[str, Any]] = {}
        if not problems:
            units, unit_problems = await self._units_for(data["posts"])
            problems += unit_problems
        if problems:
            raise InvalidInput("; ".join(problems), problems=problems)
        now = utcnow()
        password_hash = await hash_password(data["password"]) if data.get("password") else None
        user = user_record(data, new_user_id(), build_posts(data["posts"], units, now), password_hash, now)

        async def write(session: Session) -> None:
            await self.users.insert_one(user, session=session)
            await audit_person(self.mongo, session, user, "create", by, sorted(set(data) - {"password"}))

        try:
            await self.mongo.run_transaction(write)
        except DuplicateKeyError:
            raise Conflict(f"the username {data['username']} is taken", username=data["username"]) from None
        self.directory.put_person(user)
        return user

    async def update(self, user_id: str, changes: dict[str, Any], version: int,
                     by: str | None = None) -> dict[str, Any]:
        """Change a person's details, password, posts or active flag, if `version` is still current.

        `posts` is the complete list of the posts the person should hold: a post given with
        its `id` is kept (title/roles/primary updated), one without is new, and an active post
        left out is ended, not deleted.
        """
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InvalidInput(f"these fields cannot be changed: {', '.join(sorted(unknown))}")
        user = await self.get(user_id)
        problems = check_person(changes, partial=True)
        if "password" in changes:
            problems += check_strength(changes["password"], user["username"])
        if "active" in changes and not isinstance(changes["active"], bool):
            problems.append("active must be true or false")
        if "posts" in changes:
            problems += check_posts(changes["posts"])
        if problems:
            raise InvalidInput("; ".join(problems), problems=problems)
        now = utcnow()
        update: dict[str, Any] = {"updated_at": now}
        if "display_name" in changes:
            update["display_name"] = changes["display_name"].strip()
        if "mobile" in changes:
            update["mobile"] = changes["mobile"] or None
        if "office_phone" in changes:
            update["office_phone"] = changes["office_phone"] or None
        if "password" in changes:
            update.update(await self._new_password(user_id, changes["password"], now))
        if "posts" in changes:
            # From the record, not the directory: it keeps when each post began and ended.
            stored = await self.users.find_one({"_id": user_id}, {"posts": 1}) or {"posts": []}
            update["posts"] = await self._merge_posts(stored, changes["posts"], now)
        if "active" in changes and changes["active"] != user["active"]:
            update["active"] = changes["active"]
            update["deactivated_at"] = None if changes["active"] else now

        async def write(session: Session) -> dict[str, Any] | None:
            updated = await self.mongo.compare_and_set("users", user_id, version, update, session=session)
            if updated is not None:
                await audit_person(self.mongo, session, updated, "update", by, sorted(changes))
            if updated is not None and (updated.get("active") is False or "password" in changes):
                # A deactivated person or a changed password ends every open session (and its sockets) at once.
                await end_user_sessions(self.mongo, session, user_id,
                                        DEACTIVATED if updated.get("active") is False else PASSWORD_CHANGED)
            return updated

        updated = await self.mongo.run_transaction(write)
        if updated is None:
            current = await self.get(user_id)
            raise StaleVersion(f"user {user_id} was changed by someone else (your version {version}, "
                               f"current {current['version']})", current_version=current["version"])
        self.directory.put_person(updated)
        return updated

    async def _new_password(self, user_id: str, password: str, now: datetime) -> dict[str, Any]:
        """The fields that set `password` (checked against the person's recent ones) and drop a pending code."""
        stored = await self.users.find_one({"_id": user_id}) or {}
        await self.policy.refuse_reuse(stored, password)
        return {**self.policy.new_password_fields(stored, await hash_password(password), now), "activation": None}

    async def change_own_password(self, user: dict[str, Any], password: str) -> dict[str, Any]:
        """A person's own new password (they proved the current one): strength, history, then every session ends."""
        problems = check_strength(password, user["username"])
        if problems:
            raise InvalidInput("; ".join(problems), problems=problems, field="password")
        return await self.update(user["_id"], {"password": password}, int(user["version"]))

    async def _merge_posts(self, user: dict[str, Any], wanted: list[dict[str, Any]],
                           now: datetime) -> list[dict[str, Any]]:
        wanted = [dict(post) for post in wanted]
        existing = {post["id"]: post for post in user["posts"]}
        unknown = [post["id"] for post in wanted if post.get("id") and post["id"] not in existing]
        if unknown:
            raise InvalidInput(f"unknown post ids: {', '.join(unknown)}")
        units, problems = await self._units_for([post for post in wanted if not post.get("id")])
        if problems:
            raise InvalidInput("; ".join(problems), problems=problems)
        for post in wanted:
            if post.get("id"):
                old = existing[post["id"]]
                if post["unit"] != old["unit_id"]:
                    raise InvalidInput(f"post {post['id']} belongs to unit {old['unit_id']}; end it and add a new one")
                units[old["unit_id"]] = {"name": old["unit_name"]}
                post["started_at"] = old["started_at"]
        kept_ids = {post["id"] for post in wanted if post.get("id")}
        ended = [{**post, "active": False, "primary": False, "ended_at": post["ended_at"] or now}
                 for post in user["posts"] if post["id"] not in kept_ids]
        return build_posts(wanted, units, now) + ended


async def create_system_admin(service: UserService, username: str, display_name: str, password: str) -> dict[str, Any]:
    """A platform-wide administrator: may hold no post (e.g. on a fresh install before any unit exists)."""
    problems = (check_username(username) + check_person({"display_name": display_name})
                + check_strength(password, username))
    if problems:
        raise InvalidInput("; ".join(problems), problems=problems)
    now = utcnow()
    user = user_record({"username": username, "display_name": display_name}, new_user_id(), [],
                       await hash_password(password), now)
    user["system_admin"] = True

    async def write(session: Session) -> None:
        await service.users.insert_one(user, session=session)
        await audit_person(service.mongo, session, user, "create", None, ["username", "display_name", "system_admin"])

    try:
        await service.mongo.run_transaction(write)
    except DuplicateKeyError:
        raise Conflict(f"the username {username} is taken", username=username) from None
    service.directory.put_person(user)
    return user


async def audit_person(mongo: Mongo, session: Session, user: dict[str, Any], action: str, by: str | None,
                       fields: list[str]) -> None:
    """The audit line of a change of a person (which fields, never their values: a password stays secret),
    with the roles they then hold, chained in their unit."""
    roles = [{"unit_id": post["unit_id"], "roles": post["roles"]} for post in user.get("posts", ())
             if post.get("active", True)]
    await chain_of(mongo).record(session, person_unit(user), "person", {
        "action": action, "user_id": user["_id"], "username": user["username"], "by": by, "fields": fields,
        "roles": roles, "active": user.get("active"), "system_admin": bool(user.get("system_admin"))})
