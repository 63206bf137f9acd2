"""What the end-to-end benchmarks share: a real `oa serve --demo` child process, a small JSON client for its
API, its memory, the demo's accounts, and the figures' percentiles.

Only the public surface is used — the HTTP API, `oa serve`, DATA_DIR/demo-users.csv and
DATA_DIR/run/endpoints.json — plus `load_demo`'s signature, to know whether `--scale` is there yet.
"""

from __future__ import annotations

import asyncio
import csv
import inspect
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the service code of this checkout, whatever the venv points at
    sys.path.insert(0, str(ROOT))

from tornado.httpclient import AsyncHTTPClient, HTTPRequest  # noqa: E402

PASSWORD = "Demo@2026"
CITY_CLERK = "sg-szf.sfy1"  # 韶关市人民政府's 收发员: the sender of every dispatch here
# Every level of the hierarchy: every active unit but the sender.
EVERYONE = [{"level": "city"}, {"level": "county"}, {"level": "town"}]


# Scale ----------------------------------------------------------------------------------------

def demo_scale(requested: int) -> tuple[int, list[str], str]:
    """(scale used, extra `oa serve` arguments, a note). Scale > 1 needs `load_demo(..., scale=)`."""
    from oa.demo_setup import load_demo

    supported = "scale" in inspect.signature(load_demo).parameters
    if requested == 1:
        return 1, [], "scale 1"
    if not supported:
        return 1, [], f"scale 1 (asked for {requested}, but load_demo has no scale parameter yet)"
    return requested, ["--scale", str(requested)], f"scale {requested}"


# The service process ----------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB, from /proc/PID/status."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


class OaServe:
    """`oa serve --demo` (this checkout's code) on a free port with its own data directory."""

    def __init__(self, data_dir: Path, serve_args: list[str], env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.serve_args = serve_args
        self.env = env or {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout_s: float = 900) -> float:
        """Start it; returns the seconds from launch to a healthy /api/health."""
        env = {**os.environ, "OA_DATA_DIR": str(self.data_dir), "OA_PORT": str(self.port), **self.env}
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "web.cli", "serve", "--demo", *self.serve_args],
                                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() - started > timeout_s:
                self.stop()
                raise SystemExit(f"oa serve did not become healthy; see {self.log_path}")
            time.sleep(0.1)
        return time.monotonic() - started

    def _healthy(self) -> bool:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.base + "/api/health", timeout=2) as response:
                return bool(json.loads(response.read())["status"] == "ok")
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            return False

    def memory(self) -> dict[str, int]:
        return memory_kib(self.pid)

    def stop(self) -> float:
        """SIGTERM and wait; returns the seconds it took to stop."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)
        return time.monotonic() - started

    def mongodb_uri(self) -> str:
        """The embedded database's address, as `oa serve` publishes it for other `oa` commands."""
        return str(json.loads((self.data_dir / "run" / "endpoints.json").read_text())["mongodb_uri"])


# The API ----------------------------------------------------------------------------------------

class ApiError(RuntimeError):
    pass


class Api:
    """JSON over HTTP with a Bearer token; `call` returns (status, body) and `ok` raises on an error status."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = AsyncHTTPClient()

    async def call(self, method: str, path: str, body: Any = None, token: str | None = None,
                   timeout_s: float = 900) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = HTTPRequest(self.base + path, method=method, body=payload, headers=headers,
                              request_timeout=timeout_s, connect_timeout=timeout_s)
        response = await self.http.fetch(request, raise_error=False)
        if response.code == 599:
            raise ApiError(f"{method} {path}: {response.error}")
        text = response.body.decode() if response.body else ""
        try:
            return response.code, json.loads(text) if text else None
        except json.JSONDecodeError:
            return response.code, text

    async def ok(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        status, answer = await self.call(method, path, body, token)
        if status not in (200, 201):
            raise ApiError(f"{method} {path}: {status} {answer}")
        return answer

    async def login(self, username: str) -> str:
        return str((await self.ok("POST", "/api/login", {"username": username, "password": PASSWORD}))["token"])


async def numbered_document(api: Api, token: str, title: str) -> str:
    """A new 通知 of 韶关市人民政府 (drafted by its 收发员) with its 发文字号: ready to dispatch."""
    created = await api.ok("POST", "/api/documents", {
        "doc_type": "通知", "title": title,
        "main_to": [{"external": True, "name": "各县（市、区）人民政府，市直各单位"}],
        "body": [{"level": 0, "text": "现将有关事项通知如下。"}]}, token)
    await api.ok("POST", f"/api/documents/{created['id']}/number", {"version": created["version"]}, token)
    return str(created["id"])


async def recipients_of_everyone(api: Api, token: str) -> tuple[int, int]:
    """(units the EVERYONE selectors reach, active units in all)."""
    reached = await api.ok("POST", "/api/recipients/resolve", {"selectors": EVERYONE, "unit_id": "sg-szf"}, token)
    units = await api.ok("GET", "/api/units?limit=1", token=token)
    return int(reached["total"]), int(units["total"])


async def dispatch_and_wait(api: Api, token: str, document_id: str) -> tuple[dict[str, Any], float, float]:
    """Dispatch to every unit; (dispatch, ms to the HTTP response, ms until GET says it is delivered)."""
    sent = time.perf_counter()
    dispatch = await api.ok("POST", f"/api/documents/{document_id}/dispatch", {"main": EVERYONE}, token)
    answered = time.perf_counter()
    while dispatch["status"] != "delivered":  # today the response comes after delivery; keep working if not
        await asyncio.sleep(0.05)
        dispatch = await api.ok("GET", f"/api/dispatches/{dispatch['id']}", token=token)
    return dispatch, (answered - sent) * 1000, (time.perf_counter() - sent) * 1000


# Demo accounts ------------------------------------------------------------------------------------

def demo_accounts(data_dir: Path) -> list[dict[str, str]]:
    """Rows of DATA_DIR/demo-users.csv: username, display_name, unit_id, unit, post, roles, primary."""
    with open(data_dir / "demo-users.csv", encoding="utf-8-sig", newline="") as source:
        return list(csv.DictReader(source))


# Figures ------------------------------------------------------------------------------------------

def percentile(samples: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(samples)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def median(samples: Iterable[float]) -> float:
    import statistics

    values = list(samples)
    return statistics.median(values) if values else math.nan
