"""/metrics, health and request ids as an operator sees them: counts and latencies after real actions,
open sockets, push latency, liveness apart from readiness, and JSON log lines."""

from __future__ import annotations

import json
import logging
import re

from prometheus_client.parser import text_string_to_metric_families

from tests.client import ApiClient
from tests.flow_org import build_office
from tests.ws_client import Push
from web.logs import JsonFormatter
from web.services import Services


async def scrape(api: ApiClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await api.get("/metrics")
    assert response.status == 200, response
    assert response.headers["Content-Type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.body) for sample in family.samples}


async def test_metrics_count_actions_sockets_and_pushes(services: Services, api: ApiClient) -> None:
    office = await build_office(services, api)
    before = await scrape(api)
    assert before[("oa_websockets_open", ())] == 0
    assert before[("oa_search_index_ready", ())] in (0.0, 1.0)
    push = await Push.connect(api.base_url, office.tokens["office"])
    document = await office.draft()
    await office.start(document["id"])
    created = await push.next_of("task.created")  # the office's review task, pushed to its open socket
    await office.act("office", created["data"]["task_id"])
    after = await scrape(api)
    assert after[("oa_websockets_open", ())] == 1
    assert after[("oa_flow_actions_total", (("action", "start"),))] == 1
    assert after[("oa_flow_actions_total", (("action", "approve"),))] == 1
    assert after[("oa_push_latency_seconds_count", ())] >= 1
    started = ("oa_http_request_duration_seconds_count",
               (("code", "201"), ("handler", "InstancesHandler"), ("method", "POST")))
    assert after[started] == 1
    push.close()


async def test_refused_actions_are_not_counted_as_actions(services: Services, api: ApiClient) -> None:
    office = await build_office(services, api)
    await api.post("/api/tasks/task-0000000000000000/approve", {}, token=office.tokens["office"])
    counted = await scrape(api)
    assert not [key for key in counted if key[0] == "oa_flow_actions_total"]
    assert counted[("oa_http_request_duration_seconds_count",
                    (("code", "404"), ("handler", "ApproveHandler"), ("method", "POST")))] == 1


async def test_liveness_asks_only_the_process_and_readiness_the_stores(api: ApiClient) -> None:
    live, ready = await api.get("/api/health/live"), await api.get("/api/health/ready")
    assert live.status == 200 and live.body == {"status": "ok"}
    assert ready.status == 200 and ready.body["mongodb"] == "ok" and ready.body["s3"] == "ok"


async def test_every_answer_carries_a_request_id(api: ApiClient) -> None:
    mine = await api.get("/api/health/live", headers={"X-Request-Id": "lb-1234.abc"})
    assert mine.headers["X-Request-Id"] == "lb-1234.abc"
    made = await api.get("/api/health/live", headers={"X-Request-Id": "bad id <script>"})
    assert re.fullmatch(r"[0-9a-f]{16}", made.headers["X-Request-Id"])


def test_json_log_lines_carry_the_request_fields() -> None:
    record = logging.LogRecord("oa.access", logging.INFO, __file__, 1, "%d %s", (200, "GET"), None)
    record.request_id, record.status, record.path = "abc", 200, "/api/me"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "200 GET" and line["request_id"] == "abc" and line["path"] == "/api/me"
    assert line["level"] == "INFO" and line["logger"] == "oa.access"
