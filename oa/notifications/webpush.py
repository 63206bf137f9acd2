"""Web Push (RFC 8030/8291/8292): the VAPID key, each person's browser subscriptions, and sending.

The VAPID key pair is made once and kept in the database (collection `webpush_keys`), so every
replica signs with the same key and a phone's subscription stays valid across restarts; a key given
in OA_VAPID_PRIVATE_KEY is used instead. Subscriptions (collection `push_subscriptions`) are one per
browser endpoint; a push service that answers 404/410 has forgotten the endpoint, which is then
deleted. Browser push services are often unreachable from mainland China, so Web Push is never a
person's only channel: the notifier sends the others as well.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
from typing import Any
from urllib.parse import urlparse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from oa.clock import utcnow
from oa.errors import DeliveryFailed, InvalidInput
from oa.notifications.who_has import PeopleWithRecords
from storage.mongo import SCHEMA_VERSION, DuplicateKeyError, Mongo

TTL_S = 24 * 3600  # a phone that is off for a day still gets it when it is back
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_SUBSCRIPTIONS = 10  # per person: the newest ones are kept


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_private_key() -> str:
    """A fresh P-256 private key as base64url of its 32 raw bytes (the form OA_VAPID_PRIVATE_KEY takes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return _b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def public_key_of(private: str) -> str:
    """The application server key a browser subscribes with: base64url of the uncompressed public point."""
    key = ec.derive_private_key(int.from_bytes(_unb64url(private), "big"), ec.SECP256R1())
    return _b64url(key.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint))


def subscription_id(endpoint: str) -> str:
    return "ps-" + hashlib.sha256(endpoint.encode()).hexdigest()[:24]


def allowed_host(host: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(host, pattern) for pattern in patterns)


def checked_subscription(raw: dict[str, Any], hosts: list[str]) -> dict[str, Any]:
    """A browser's PushSubscription JSON ({endpoint, keys: {p256dh, auth}}), or InvalidInput naming what is wrong.

    The endpoint must be on a known push service (`hosts`), so that no one can make the service post to an
    address of their choosing; it must be HTTPS, except on this machine (a push service of one's own, named in
    `hosts`)."""
    endpoint = raw.get("endpoint")
    keys = raw.get("keys")
    if not isinstance(endpoint, str) or len(endpoint) > 2048:
        raise InvalidInput("subscription.endpoint must be the push service's URL", field="endpoint")
    url = urlparse(endpoint)
    host = (url.hostname or "").lower()
    if url.scheme not in ("https", "http") or not allowed_host(host, hosts) or (
            url.scheme == "http" and host not in LOOPBACK):
        raise InvalidInput("subscription.endpoint is not on a push service this server sends to (OA_WEBPUSH_HOSTS)",
                           field="endpoint")
    if not isinstance(keys, dict) or not isinstance(keys.get("p256dh"), str) or not isinstance(keys.get("auth"), str):
        raise InvalidInput("subscription.keys must hold p256dh and auth", field="keys")
    try:
        p256dh, auth = _unb64url(keys["p256dh"]), _unb64url(keys["auth"])
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        raise InvalidInput("subscription.keys.p256dh is not a P-256 public key", field="keys") from None
    if len(auth) != 16:
        raise InvalidInput("subscription.keys.auth must be 16 bytes", field="keys")
    return {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}


class WebPush:
    KEYS = "webpush_keys"
    SUBSCRIPTIONS = "push_subscriptions"

    def __init__(self, mongo: Mongo, subject: str, configured_key: str | None = None,
                 hosts: list[str] | None = None) -> None:
        self.hosts = hosts if hosts is not None else []
        self.keys = mongo["webpush_keys"]
        self.subscriptions = mongo["push_subscriptions"]
        self.subscribed = PeopleWithRecords(self.subscriptions, "user_id")  # who has a subscribed browser
        self.subject = subject
        self._private = configured_key
        self._public = public_key_of(configured_key) if configured_key else None

    async def public_key(self) -> str:
        await self._load()
        assert self._public is not None
        return self._public

    async def _load(self) -> str:
        if self._private is None:
            stored = await self.keys.find_one({"_id": "vapid"})
            if stored is None:
                try:
                    await self.keys.insert_one({"_id": "vapid", "schema_version": SCHEMA_VERSION,
                                                "private_key": new_private_key(), "created_at": utcnow()})
                except DuplicateKeyError:
                    pass  # another replica made it first: use theirs
                stored = await self.keys.find_one({"_id": "vapid"})
            assert stored is not None
            self._private, self._public = stored["private_key"], public_key_of(stored["private_key"])
        return self._private

    async def subscribe(self, user_id: str, raw: dict[str, Any], device: str = "") -> dict[str, Any]:
        subscription = checked_subscription(raw, self.hosts)
        sid = subscription_id(subscription["endpoint"])
        now = utcnow()
        # The same browser endpoint belongs to whoever subscribed last on that device.
        await self.subscriptions.update_one(
            {"_id": sid}, {"$set": {"user_id": user_id, **subscription, "device": device[:120], "updated_at": now},
                           "$setOnInsert": {"schema_version": SCHEMA_VERSION, "created_at": now}}, upsert=True)
        self.subscribed.noted(sid, user_id)
        older = await self.subscriptions.find({"user_id": user_id}).sort("updated_at", -1).skip(
            MAX_SUBSCRIPTIONS).to_list(None)
        if older:
            await self.subscriptions.delete_many({"_id": {"$in": [row["_id"] for row in older]}})
            for row in older:
                self.subscribed.dropped(row["_id"])
        return {"id": sid, "endpoint": subscription["endpoint"], "device": device[:120]}

    async def unsubscribe(self, user_id: str, endpoint: str) -> bool:
        result = await self.subscriptions.delete_one({"_id": subscription_id(endpoint), "user_id": user_id})
        if result.deleted_count == 1:
            self.subscribed.dropped(subscription_id(endpoint))
        return result.deleted_count == 1

    async def of(self, user_id: str) -> list[dict[str, Any]]:
        return await self.subscriptions.find({"user_id": user_id}).sort("updated_at", -1).to_list(None)

    async def has_any(self, user_id: str) -> bool:
        return await self.subscriptions.count_documents({"user_id": user_id}, limit=1) > 0

    async def with_any(self, user_ids: list[str]) -> set[str]:
        """Which of these people have a subscription (from memory)."""
        return await self.subscribed.among(user_ids)

    async def send(self, user_id: str, payload: dict[str, Any]) -> int:
        """Push to every subscription of the person; returns how many took it. Raises DeliveryFailed when none
        did and one may later (gone endpoints are deleted and count as neither)."""
        # pywebpush and aiohttp (about 22 MiB together) are loaded by the first push, not by every process at start.
        import aiohttp
        from py_vapid import Vapid02
        from pywebpush import WebPushException, webpush_async

        private = await self._load()
        rows = await self.of(user_id)
        if not rows:
            raise DeliveryFailed("Web Push: 此人没有订阅推送的设备", retryable=False)
        data = json.dumps(payload, ensure_ascii=False)
        sent, failures = 0, []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            for row in rows:
                origin = urlparse(row["endpoint"])
                claims: dict[str, str | int] = {"sub": self.subject, "aud": f"{origin.scheme}://{origin.netloc}"}
                try:
                    await webpush_async({"endpoint": row["endpoint"], "keys": row["keys"]}, data,
                                        vapid_private_key=Vapid02.from_raw(private.encode()), vapid_claims=claims,
                                        ttl=TTL_S, headers={"Urgency": "high"}, aiohttp_session=session)
                    sent += 1
                except WebPushException as failure:
                    status = getattr(failure.response, "status", None) or getattr(failure.response, "status_code", 0)
                    if status in (404, 410):
                        await self.subscriptions.delete_one({"_id": row["_id"]})
                        self.subscribed.dropped(row["_id"])
                    else:
                        failures.append(f"HTTP {status}")
                except (aiohttp.ClientError, TimeoutError) as failure:
                    failures.append(type(failure).__name__)
        if sent == 0 and failures:
            raise DeliveryFailed(f"Web Push: 推送服务未接收 ({', '.join(failures)})", retryable=True)
        if sent == 0:
            raise DeliveryFailed("Web Push: 此人的推送订阅均已失效", retryable=False)
        return sent
