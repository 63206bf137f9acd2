"""Wiring: the storage clients and domain services of one process, built once inside the event loop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from oa.orgs import OrgService
from oa.sessions import SessionService
from oa.throttle import LoginThrottle
from oa.users import UserService
from permissions.authorizer import Authorizer
from storage.blobs import MinioBlobStore
from storage.indexes import apply_indexes
from storage.mongo import Mongo
from web.config import Settings


@dataclass(frozen=True)
class Endpoints:
    """Where the database and object store are: the embedded ones or the configured ones."""

    mongodb_uri: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_secure: bool


@dataclass
class Services:
    settings: Settings
    mongo: Mongo
    blobs: MinioBlobStore
    orgs: OrgService
    users: UserService
    sessions: SessionService
    authorizer: Authorizer

    @classmethod
    async def open(cls, settings: Settings, endpoints: Endpoints) -> Services:
        mongo = await Mongo.connect(endpoints.mongodb_uri, settings.mongodb_db,
                                    timeout_ms=settings.startup_timeout * 1000)
        await mongo.ping()
        await apply_indexes(mongo)
        blobs = MinioBlobStore(endpoints.s3_endpoint, endpoints.s3_access_key, endpoints.s3_secret_key,
                               settings.s3_bucket, secure=endpoints.s3_secure)
        await blobs.ensure_bucket()
        users = UserService(mongo)
        throttle = LoginThrottle(mongo, settings.login_max_failures, settings.login_max_failures_per_address,
                                 timedelta(minutes=settings.login_window_minutes))
        sessions = SessionService(mongo, users, throttle, timedelta(hours=settings.session_hours))
        return cls(settings, mongo, blobs, OrgService(mongo), users, sessions, await Authorizer.create(mongo))

    async def close(self) -> None:
        await self.mongo.close()
