"""A bounded, reproducible fuzz of the whole JSON API: no request may get a 5xx, every 4xx is JSON with a code.

The routes come from web.app.ROUTES and the request shapes from GET /api/openapi.json (the contract
integrators read). Each route is called with real ids of a small org built here and with junk ids that
still match its regex; every operation gets malformed bodies (wrong types in each declared field,
lone surrogates, integers beyond 64 bits, deep nesting, dates at the limits, huge strings, arrays and
scalars instead of objects, non-JSON, empty) and malformed query strings; methods a route does not
have are called too. The random choices come from one seeded generator (OA_FUZZ_SEED to vary it).
The test fails if an /api route of the table was never reached.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from oa.users import create_system_admin
from tests.client import ApiClient, Response
from tests.exchange_org import build_exchange, dispatch, numbered
from tests.factories import PASSWORD
from web.app import ROUTES
from web.services import Services

SEED = int(os.environ.get("OA_FUZZ_SEED", "1949"))
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def nested(depth: int) -> Any:
    value: Any = "底"
    for _ in range(depth):
        value = [value]
    return value


SURROGATES = ["\ud800", "a\udfffb", "标题\udbff"]
# Values of each JSON type meant to hurt: every one is refused or handled, none may crash.
NASTY: dict[str, list[Any]] = {
    "string": ["", " ", "关于做好冬季森林防火工作的通知", *SURROGATES, "\x00", "x" * 70_000, "0001-01-01",
               "9999-12-31", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00", "1949-10-01", "$where",
               "../../etc/passwd", "<script>alert(1)</script>", "null", "🎉", "doc-0000000000000000", "a.b"],
    "integer": [0, -1, 2**31, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 2**64, 10**30, 10**400],
    "number": [0.5, -0.0, 1e308, float("nan"), float("inf")],
    "boolean": [True, False],
    "null": [None],
    "array": [[], [None], [[]], nested(3), [{}], [{"a": 1}], ["中文"], [SURROGATES[0]], [2**64], [{"unit": {"a": 1}}],
              [{"unit": "town"}], nested(40), [1] * 3000, [{"level": "town"}, {"group": ["x"]}]],
    "object": [{}, {"a": 1}, {"": None}, {"a.b": 1}, {"$set": {"x": 1}}, {"\x00": 1}, {"unit": ["x"]}, {"x": 2**64},
               {"a": {"b": {"c": [SURROGATES[0]]}}}, {"中文键": "中文值"}, {"key": nested(40)}],
}
PLAUSIBLE = {"string": "测试", "integer": 1, "number": 1.5, "boolean": False, "null": None, "array": [], "object": {}}
RAW_BODIES = [b"", b"[]", b"[{}]", b'"text"', b"17", b"null", b"true", b"{", b'{"a": }', b"\xff\xfe\xfd",
              "中文不是JSON".encode(), b"NaN", b"[" * 60 + b"]" * 60, b'{"a": 1, "a": 2}', b"{}"]
# Query values, already URL-encoded: bad UTF-8, NUL, numbers past 64 bits, dates at the limits.
QUERY_VALUES = ["", "-1", "0", "1", "99999999999999999999", "-99999999999999999999", "1e3", "0001-01-01",
                "9999-12-31", "1948-12-31", "2026-02-30", "20260101", "%ED%A0%80", "%FF", "%00", quote("中文"),
                "true", "maybe", "%5B%5D", "%7B%7D", "x" * 3000, "town", "csv", "todo"]


def types_of(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type", "string")
    return kind if isinstance(kind, list) else [kind]


def wrong_value(rng: random.Random, schema: dict[str, Any]) -> Any:
    allowed = set(types_of(schema))
    if "number" in allowed:
        allowed.add("integer")
    others = [kind for kind in NASTY if kind not in allowed]
    return rng.choice(NASTY[rng.choice(others)])


def nasty_value(rng: random.Random, schema: dict[str, Any]) -> Any:
    return rng.choice(NASTY[rng.choice(types_of(schema))])


def plausible(name: str, schema: dict[str, Any], known: dict[str, Any]) -> Any:
    """A value that passes the shape check (a real id where the field names one), so the domain sees the rest."""
    if name in known and types_of(schema)[0] == "string":
        return known[name]
    return PLAUSIBLE[types_of(schema)[0]]


def encode(body: Any) -> bytes:
    return json.dumps(body).encode()  # ASCII: lone surrogates travel as \\ud800 escapes, as JSON allows


def body_cases(rng: random.Random, schema: dict[str, Any] | None, known: dict[str, Any]) -> list[tuple[bytes, str]]:
    """(raw body, content type) pairs for one operation's declared JSON body."""
    cases: list[tuple[bytes, str]] = []
    json_type = "application/json"
    properties = (schema or {}).get("properties", {})
    required = (schema or {}).get("required", [])
    full = {name: plausible(name, prop, known) for name, prop in properties.items()}
    for name, prop in properties.items():
        cases.append((encode({**full, name: wrong_value(rng, prop)}), json_type))
        cases.append((encode({**full, name: nasty_value(rng, prop)}), json_type))
    if required:
        missing = rng.choice(required)
        cases.append((encode({key: value for key, value in full.items() if key != missing}), json_type))
    cases.append((encode({**full, "未知字段": 1}), json_type))
    cases.append((encode([full]), json_type))
    cases += [(raw, json_type) for raw in rng.sample(RAW_BODIES, 4)]
    cases.append((encode(full), rng.choice(["text/plain", "application/x-www-form-urlencoded", ""])))
    return cases


def query_cases(rng: random.Random, parameters: list[dict[str, Any]]) -> list[str]:
    names = [param["name"] for param in parameters if param["in"] == "query"]
    cases = [f"{name}={rng.choice(QUERY_VALUES)}" for name in names]
    cases.append("&".join(f"{name}={rng.choice(QUERY_VALUES)}" for name in [*names, "unknown"]))
    cases.append(f"{quote('参数')}={rng.choice(QUERY_VALUES)}&offset=%ED%A0%80")
    return cases


@dataclass
class World:
    """Real ids of the org built for the run, and who may act on what."""

    ids: dict[str, list[str]]
    tokens: dict[str, str]
    # Body fields that name something, with a real value.
    known: dict[str, Any]
    # Route prefix -> who calls it (the owner of the thing, so calls get past the permission check).
    callers: list[tuple[str, str]] = field(default_factory=list)

    def token_for(self, path: str) -> str:
        for prefix, who in self.callers:
            if path.startswith(prefix):
                return self.tokens[who]
        return self.tokens["sysadmin"]


# Junk that matches each path parameter's regex but names nothing (checked against the regex below).
JUNK = {
    "unit_id": ["zz-nowhere", "0_"], "user_id": ["u-nobody", "A" * 64], "doc_id": ["doc-0000000000000000"],
    "attachment_id": ["att-ffffffffffff"], "task_id": ["task-0123456789abcdef"],
    "instance_id": ["fi-ffffffffffffffff"], "dispatch_id": ["dp-0000000000000000"],
    "receipt_id": ["dp-0000000000000000.town", "paper.doc-0000000000000000", "paper..."],
    "group_id": ["grp-none", "-"], "key": ["no-such-flow"], "version": ["999999999", "1"],
    "sha256": ["0" * 64], "number": ["9999"], "delegation_id": ["dg-0000000000000000"], "day": ["2099-12-31"],
    "phrase_id": ["ph-000000000000"], "archive_id": ["ar-0000000000000000"],
}


async def build_world(services: Services, api: ApiClient) -> World:
    office = await build_exchange(services, api)
    await create_system_admin(services.users, "sysadmin", "平台管理员", PASSWORD)
    tokens = dict(office.tokens)
    tokens["sysadmin"] = await api.login("sysadmin", PASSWORD)
    tokens["leaving"] = await api.login("town2-head", PASSWORD)  # for /api/logout, which ends its session

    draft = await office.draft("drafter")
    attached = await api.request("POST", f"/api/documents/{draft['id']}/attachments?name={quote('附件.png')}",
                                 raw=PNG, token=tokens["drafter"], headers={"Content-Type": "image/png"})
    assert attached.status == 201, attached
    flowing = await office.draft("drafter", title="关于报送年度工作总结的通知")
    instance = await office.start(flowing["id"], countersign_units=["dept-edu"])
    task = (await office.todo("office"))[0]
    sent = await numbered(office)
    dispatched = await dispatch(office, sent["id"], main=[{"unit": "town"}, {"unit": "town2"}])
    group = await api.post("/api/recipient-groups", {"name": "各镇", "selectors": [{"subtree": "county",
                           "level": "town"}], "unit_id": "county"}, token=tokens["admin"])
    assert group.status == 201, group
    delegation = await api.post("/api/delegations", {"to_user": office.ids["head"],
                                                     "starts_at": "2026-01-01T00:00:00+08:00",
                                                     "ends_at": "2026-12-31T00:00:00+08:00"}, token=tokens["deputy"])
    assert delegation.status == 201, delegation
    ids = {
        "unit_id": ["town2", "county"], "user_id": [office.ids["edu-clerk"]],
        "doc_id": [draft["id"], sent["id"]], "attachment_id": [attached.body["attachment"]["id"]],
        "task_id": [task["id"]], "instance_id": [instance["id"]], "dispatch_id": [dispatched["id"]],
        "receipt_id": [f"{dispatched['id']}.town", f"{dispatched['id']}.town2"], "group_id": [group.body["id"]],
        "key": ["fawen", "shouwen"], "version": ["1", "2"], "sha256": ["f" * 64], "number": ["1"],
        "delegation_id": [delegation.body["id"]], "day": ["2026-10-01"], "phrase_id": ["ph-000000000000"],
        "archive_id": ["ar-ffffffffffffffff"],  # the small org archives nothing: its archive answers 404
    }
    callers = [("/api/logout", "leaving"), ("/api/documents/", "drafter"), ("/api/tasks/", "office"),
               ("/api/instances", "drafter"), ("/api/dispatches/", "registrar"), ("/api/receipts/", "town-clerk"),
               ("/api/exchange/", "registrar"), ("/api/delegations/", "deputy")]
    known = {"unit_id": "town2", "parent_id": "county", "into": "town", "document_id": flowing["id"],
             "to_user": office.ids["head"], "flow": "fawen", "key": "fawen", "username": "fuzz.person",
             "position": "after", "to": "previous", "direction": "下行", "category": "发文"}
    return World(ids, tokens, known, callers)


def route_of(path: str) -> str:
    """The ROUTES pattern Tornado dispatches `path` to (first match, anchored as Tornado anchors it)."""
    for route in ROUTES:
        if re.match(route[0] + "$", path):
            return route[0]
    return ""


@dataclass
class Run:
    api: ApiClient
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    routes_hit: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    async def send(self, method: str, path: str, query: str, raw: bytes | None, content_type: str,
                   token: str | None) -> Response:
        headers = {"Content-Type": content_type} if content_type else {}
        if raw is None and method in ("POST", "PATCH", "PUT"):
            raw = b""
        url = f"{path}?{query}" if query else path
        response = await self.api.request(method, url, token=token, headers=headers, raw=raw)
        self.requests += 1
        self.statuses[response.status] += 1
        self.routes_hit.add(route_of(path))
        problem = None
        if response.status >= 500:
            problem = "server error"
        elif response.status >= 400 and not (
                response.headers.get("Content-Type", "").startswith("application/json")
                and isinstance(response.body, dict) and isinstance(response.body.get("code"), str)
                and isinstance(response.body.get("message"), str)):
            problem = "4xx that is not JSON {code, message}"
        if problem:
            shown = (raw or b"")[:200]
            self.failures.append(f"{problem}: {method} {url[:200]} body={shown!r} -> {response.status} "
                                 f"{str(response.body)[:300]}")
        return response


def concrete_paths(template: str, parameters: list[dict[str, Any]], world: World) -> list[str]:
    """The template with real ids, then with junk ids that still match each parameter's regex."""
    path_params = [param for param in parameters if param["in"] == "path"]
    variants: list[str] = []
    for source in (world.ids, JUNK):
        for index in range(2):
            path = template
            for param in path_params:
                values = source[param["name"]]
                value = values[index % len(values)]
                assert re.fullmatch(param["schema"]["pattern"], value), (param, value)
                path = path.replace("{" + param["name"] + "}", quote(value, safe=""))
            if path not in variants:
                variants.append(path)
    return variants


async def test_no_request_gets_a_server_error(services: Services, api: ApiClient) -> None:
    started = time.monotonic()
    world = await build_world(services, api)
    described = await api.get("/api/openapi.json")
    assert described.status == 200 and described.body["openapi"].startswith("3."), described
    spec = described.body
    rng = random.Random(SEED)
    run = Run(api)
    described_routes = {entry["x-route"] for entry in spec["paths"].values()}
    api_routes = [route[0] for route in ROUTES if route[0].startswith("/api/")]
    assert set(api_routes) - described_routes == {r"/api/.*"}, "routes missing from /api/openapi.json"

    for template, entry in spec["paths"].items():
        operations = {name.upper(): op for name, op in entry.items() if name in ("get", "post", "patch", "put",
                                                                                  "delete")}
        any_op = next(iter(operations.values()))
        paths = concrete_paths(template, any_op["parameters"], world)
        token = world.token_for(paths[0])
        for method in METHODS:
            op = operations.get(method)
            if op is None:  # not a method of this route: 405, in JSON
                raw = b"{}" if method in ("POST", "PATCH", "PUT") else None
                await run.send(method, rng.choice(paths), "", raw, "application/json", token)
                continue
            await run.send(method, paths[-1], "", None, "application/json", None)  # no session
            for number, query in enumerate(query_cases(rng, op["parameters"])):
                await run.send(method, paths[number % len(paths)], query, None, "application/json", token)
            content = op.get("requestBody", {}).get("content", {})
            if "application/octet-stream" in content:  # a raw upload: names and bytes are the input
                for number, query in enumerate(query_cases(rng, op["parameters"])):
                    raw = rng.choice([b"", PNG, b"MZ\x90\x00", "中文".encode(), b"\x00" * 1000])
                    await run.send(method, paths[number % len(paths)], query, raw, rng.choice(["", "image/png"]),
                                   token)
            elif method in ("POST", "PATCH", "PUT"):
                schema = content.get("application/json", {}).get("schema")
                for number, (raw, content_type) in enumerate(body_cases(rng, schema, world.known)):
                    await run.send(method, paths[number % len(paths)], "", raw, content_type, token)
    # Paths no route takes reach the catch-all.
    for junk in ("/api/nothing", "/api/units/%ED%A0%80", "/api/documents/doc-XYZ", f"/api/{quote('中文')}"):
        await run.send(rng.choice(["GET", "POST"]), junk, "", None, "application/json", world.tokens["sysadmin"])

    elapsed = time.monotonic() - started
    statuses = dict(sorted(run.statuses.items()))
    print(f"\nfuzz: {run.requests} requests in {elapsed:.1f} s (seed {SEED}); statuses {statuses}")
    assert not run.failures, f"{len(run.failures)} bad answers (seed {SEED}):\n" + "\n".join(run.failures[:30])
    missed = sorted(set(api_routes) - run.routes_hit)
    assert not missed, f"routes never exercised: {missed}"
    # The run reached the handlers: the caller stayed logged in and most answers came from the checks.
    assert (await api.get("/api/me", token=world.tokens["sysadmin"])).status == 200
    assert run.statuses[400] > run.requests // 3, run.statuses
