"""Starting and stopping what the service needs outside itself: the embedded servers, or nothing.

With OA_MONGODB_URI / OA_S3_ENDPOINT set it starts nothing; otherwise it starts the embedded
MongoDB-compatible server and S3 gateway under the data directory. Either way it hands back
the same `Endpoints`, so the rest of the service has one code path.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict

from storage.local import DataDirLock, EmbeddedMongo, EmbeddedS3, EmbeddedServerError
from web.config import Settings
from web.services import Endpoints

log = logging.getLogger("oa.runtime")


class Runtime:
    """Start (or find) the servers. `attach=True` lets a command-line tool use the embedded servers
    of an `oa serve` already running on the same data directory instead of failing."""

    def __init__(self, settings: Settings, attach: bool = False) -> None:
        self.settings = settings
        self.attach = attach
        self.endpoints_file = settings.data_dir / "run" / "endpoints.json"
        self.mongo: EmbeddedMongo | None = None
        self.s3: EmbeddedS3 | None = None
        self.lock: DataDirLock | None = None

    def start(self) -> Endpoints:
        settings = self.settings
        try:
            if settings.embedded_mongodb or settings.embedded_s3:
                self.lock = DataDirLock(settings.data_dir)
                try:
                    self.lock.acquire()
                except EmbeddedServerError:
                    self.lock = None
                    if self.attach and self.endpoints_file.exists():
                        log.info("using the embedded servers of the running service (%s)", self.endpoints_file)
                        return Endpoints(**json.loads(self.endpoints_file.read_text()))
                    raise
            # Both launched first, then waited for: they start side by side (a few seconds each).
            if settings.embedded_mongodb:
                self.mongo = EmbeddedMongo(settings.data_dir)
                log.info("starting the embedded MongoDB-compatible server (data in %s)", settings.data_dir / "mongodb")
                self.mongo.launch()
            if settings.embedded_s3:
                self.s3 = EmbeddedS3(settings.data_dir)
                log.info("starting the embedded S3 gateway (data in %s)", settings.data_dir / "s3")
                self.s3.launch()
            if self.mongo is not None:
                self.mongo.wait(settings.startup_timeout)
            if self.s3 is not None:
                self.s3.wait(settings.startup_timeout)
        except BaseException:
            self.stop()
            raise
        if self.s3 is not None:
            creds = self.s3.credentials
            s3 = (self.s3.endpoint, creds.access_key, creds.secret_key, False)
        else:
            s3 = (settings.s3_endpoint or "", settings.s3_access_key or "", settings.s3_secret_key or "",
                  settings.s3_secure)
        mongodb_uri = self.mongo.uri if self.mongo else settings.mongodb_uri or ""
        endpoints = Endpoints(mongodb_uri, *s3)
        if self.lock is not None:
            self._publish(endpoints)
        return endpoints

    def _publish(self, endpoints: Endpoints) -> None:
        """Tell other `oa` commands on this data directory where the embedded servers listen."""
        self.endpoints_file.parent.mkdir(parents=True, exist_ok=True)
        self.endpoints_file.unlink(missing_ok=True)
        fd = os.open(self.endpoints_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(endpoints), out)

    def stop(self) -> None:
        for server in (self.s3, self.mongo):
            if server is not None:
                server.stop()
        if self.lock is not None:
            self.endpoints_file.unlink(missing_ok=True)
            self.lock.release()
            self.lock = None
