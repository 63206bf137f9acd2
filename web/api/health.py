"""Health for load balancers and Kubernetes.

`GET /api/health/live` (liveness): the process and its event loop answer — nothing outside it is
asked, so a database outage never gets every replica restarted. `GET /api/health/ready` (readiness;
also `/api/health`): the database and the object store answer, so this replica can serve requests.
"""

from __future__ import annotations

import asyncio
import logging

from web.authz import public
from web.base import APIHandler

log = logging.getLogger("oa.health")
CHECK_TIMEOUT_S = 5.0


class LiveHandler(APIHandler):
    @public
    async def get(self) -> None:
        self.send_json({"status": "ok"})


class HealthHandler(APIHandler):
    @public
    async def get(self) -> None:
        services = self.services
        checks = {"mongodb": services.mongo.ping, "s3": services.blobs.ping}
        report: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
                report[name] = "ok"
            except Exception as exc:  # any failure means "down"; the reason goes to the log, not the caller
                log.warning("health check of %s failed: %s", name, exc)
                report[name] = "down"
        down = [name for name, state in report.items() if state != "ok"]
        if down:
            self.send_json({"status": "down", **report, "message": f"not answering: {', '.join(down)}"}, status=503)
        else:
            self.send_json({"status": "ok", **report})
