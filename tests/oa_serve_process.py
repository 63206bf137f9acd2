"""A real `oa serve` child process on its own data directory, for the crash tests: start it, call its
API, read its embedded database directly, SIGKILL it and restart it on the same directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database

from oa.demo_setup import DEFAULT_DEMO_PASSWORD
from storage.local import free_port

ROOT = Path(__file__).resolve().parent.parent
START_LIMIT_S = 600  # the first start loads the demo: ~15 s alone, minutes on a machine loaded by other jobs


def _state(pid: int) -> str | None:
    """The process's state letter from /proc (Z: a zombie, as good as dead); None if there is none."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    return _state(pid) not in (None, "Z")


class OaServe:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.base = ""
        self.starts = 0
        self._client: MongoClient | None = None

    # The process ---------------------------------------------------------------------------------

    def start(self, *, demo: bool = False, env: dict[str, str] | None = None) -> float:
        """Start `oa serve` (with --demo to load the demo first); returns the seconds until healthy."""
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        environment = {**os.environ, "OA_DATA_DIR": str(self.data_dir), "OA_PORT": str(port), **(env or {})}
        for name in ("OA_MONGODB_URI", "OA_S3_ENDPOINT"):  # the embedded default, always
            environment.pop(name, None)
        self.starts += 1
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child holds it; closed here right after
        with log:
            self.process = subprocess.Popen([sys.executable, "-m", "web.cli", "serve", *(["--demo"] if demo else [])],
                                            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        started = time.monotonic()
        while time.monotonic() - started < START_LIMIT_S:
            if self.process.poll() is not None:
                raise AssertionError(f"oa serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if self.call("GET", "/api/health")[1].get("status") == "ok":
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.2)
        self.process.kill()
        raise AssertionError(f"oa serve not healthy within {START_LIMIT_S} s:\n{self.log_tail()}")

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"serve-{self.starts}.log"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def children(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(child) for child in text.split()]

    def kill(self) -> list[int]:
        """SIGKILL `oa serve` (never its children); returns its children's pids."""
        assert self.process is not None
        children = self.children()
        self.close_db()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        return children

    def stop(self) -> None:
        self.close_db()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)

    # The API -------------------------------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             timeout: float = 120) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def ok(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        status, answer = self.call(method, path, body, token)
        assert status in (200, 201), f"{method} {path}: {status} {answer}"
        return answer

    def login(self, username: str) -> str:
        return str(self.ok("POST", "/api/login", {"username": username, "password": DEFAULT_DEMO_PASSWORD})["token"])

    # The database, read directly -------------------------------------------------------------------

    @property
    def db(self) -> Database:
        if self._client is None:
            uri = json.loads((self.data_dir / "run" / "endpoints.json").read_text())["mongodb_uri"]
            self._client = MongoClient(uri)
        return self._client["oa"]

    def close_db(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def wait_for(self, what: str, check: Any, limit_s: float = 300, every_s: float = 0.1) -> Any:
        """Poll `check()` until it returns something true; fail naming `what` after `limit_s` (generous: a
        machine loaded by other jobs is slow; only a failure waits that long)."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if found := check():
                return found
            time.sleep(every_s)
        raise AssertionError(f"{what}: not within {limit_s} s\n{self.log_tail()}")
