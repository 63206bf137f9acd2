"""GET /metrics for operators, in Prometheus's text format, and the access log line of every request.

What a scrape shows, per `oa serve` process (Prometheus sums over the replicas):
- `oa_http_request_duration_seconds{handler, method, code}`: latency by route (its handler),
- `oa_websockets_open`: push sockets open now; `oa_push_latency_seconds`: commit of a change → its
  /ws frame written to the socket,
- `oa_flow_actions_total{action}`, `oa_exchange_actions_total{action}` (分发 is `dispatch`; 签收, 退文,
  登记, 转发, 催办, 追回… by name): actions people took through the API that succeeded,
- `oa_scheduler_lag_seconds` and `oa_scheduler_round_seconds`: how late the deadline round began and
  how long it took,
- `oa_mongodb_failed_commands_total{command}`, `oa_s3_errors_total{operation}`,
- `oa_search_index_documents` and `oa_search_index_ready`.
Each app has its own registry, so several apps in one process (tests) never share counters. With
OA_METRICS_TOKEN set, a scrape must bring it as a bearer token.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import tornado.web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from storage import failures

if TYPE_CHECKING:
    from web.services import Services

access_log = logging.getLogger("oa.access")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PUSH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
# The action a successful POST took, from its path: /api/tasks/{id}/approve → flow "approve".
_FLOW_ACTION = re.compile(r"^/api/(?:tasks|instances)/[^/]+/([a-z-]+)$")
_EXCHANGE_ACTION = re.compile(r"^/api/(?:receipts|dispatches|documents)/[^/]+/"
                              r"(dispatch|receive-paper|sign|return|register|forward|urge|recall|acknowledge-recall|"
                              r"opinion|reply)$")
_FLOW_START = re.compile(r"^/api/instances$")


class _StoreFailures(Collector):
    def collect(self) -> Any:
        mongo = CounterMetricFamily("oa_mongodb_failed_commands", "MongoDB commands that failed, by command",
                                    labels=["command"])
        for command, count in sorted(failures.mongo_failures().items()):
            mongo.add_metric([command], count)
        s3 = CounterMetricFamily("oa_s3_errors", "Object store calls that failed, by operation", labels=["operation"])
        for operation, count in sorted(failures.s3_failures().items()):
            s3.add_metric([operation], count)
        return [mongo, s3]


class Metrics:
    def __init__(self, services: Services) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = Histogram("oa_http_request_duration_seconds", "HTTP request latency by handler",
                                  ["handler", "method", "code"], buckets=LATENCY_BUCKETS, registry=registry)
        self.push_latency = Histogram("oa_push_latency_seconds", "From a change's commit to its /ws frame",
                                      buckets=PUSH_BUCKETS, registry=registry)
        self.flow_actions = Counter("oa_flow_actions", "Flow actions taken through the API", ["action"],
                                    registry=registry)
        self.exchange_actions = Counter("oa_exchange_actions", "公文交换 actions taken through the API", ["action"],
                                        registry=registry)
        Gauge("oa_websockets_open", "Push sockets open", registry=registry).set_function(
            services.events.subscriber_count)
        deadlines = services.deadlines
        Gauge("oa_scheduler_lag_seconds", "How late the last deadline round began", registry=registry).set_function(
            lambda: deadlines.lag_s)
        Gauge("oa_scheduler_round_seconds", "How long the last deadline round took", registry=registry).set_function(
            lambda: deadlines.round_s)
        search = services.search
        Gauge("oa_search_index_documents", "Documents in this process's search index",
              registry=registry).set_function(search.index.count)
        Gauge("oa_search_index_ready", "1 once the search index is built", registry=registry).set_function(
            lambda: 1.0 if search.indexer.ready else 0.0)
        registry.register(_StoreFailures())

    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """Tornado's log_function: count the request and write its access log line."""
        request = handler.request
        status = handler.get_status()
        seconds = request.request_time()
        self.requests.labels(type(handler).__name__, request.method or "", str(status)).observe(seconds)
        if request.method == "POST" and 200 <= status < 300:
            self._count_action(request.path)
        level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
        access_log.log(level, "%d %s %s %.1fms", status, request.method, request.path, seconds * 1000,
                       extra={"request_id": getattr(handler, "request_id", None), "status": status,
                              "method": request.method, "path": request.path, "ms": round(seconds * 1000, 1)})

    def _count_action(self, path: str) -> None:
        if match := _FLOW_ACTION.match(path):
            self.flow_actions.labels(match.group(1)).inc()
        elif _FLOW_START.match(path):
            self.flow_actions.labels("start").inc()
        elif match := _EXCHANGE_ACTION.match(path):
            self.exchange_actions.labels(match.group(1)).inc()

    def observe_push(self, event: dict[str, Any]) -> None:
        committed = event.get("committed_at")
        if isinstance(committed, datetime):
            self.push_latency.observe(max(0.0, time.time() - committed.timestamp()))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsHandler(tornado.web.RequestHandler):
    """GET /metrics (outside /api: Prometheus scrapes it; no session, optionally a bearer token)."""

    def get(self) -> None:
        token = self.application.settings["services"].settings.metrics_token
        if token:
            given = self.request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                self.set_status(401)
                self.set_header("WWW-Authenticate", "Bearer")
                self.finish({"code": "unauthorized", "message": "this /metrics needs its bearer token"})
                return
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.set_header("Cache-Control", "no-store")
        self.finish(self.application.settings["metrics"].exposition())
