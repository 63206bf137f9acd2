"""`oa serve --demo` as a new user runs it: a child process with its own embedded servers."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from storage.local import free_port

START_LIMIT_S = 60  # the promise; generous on a loaded CI machine


def get_json(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def post_json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def start_serve(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "OA_DATA_DIR": str(data_dir), "OA_PORT": str(port)}
    env.pop("OA_MONGODB_URI", None)
    env.pop("OA_S3_ENDPOINT", None)
    # Output goes to a file, not a pipe nobody reads while waiting (a full pipe would block the service).
    log = open(data_dir.parent / f"serve-{port}.log", "a+")  # noqa: SIM115 - closed when read back
    process = subprocess.Popen([sys.executable, "-m", "web.cli", "serve", "--demo", "--password", "Try-it-2026"],
                               env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
                               cwd=Path(__file__).parent.parent)
    process.log = log  # type: ignore[attr-defined]
    return process


def output_of(process: subprocess.Popen[str]) -> str:
    process.log.seek(0)  # type: ignore[attr-defined]
    return str(process.log.read())  # type: ignore[attr-defined]


def wait_healthy(base: str, process: subprocess.Popen[str], limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        assert process.poll() is None, output_of(process)
        try:
            status, body = get_json(base + "/api/health")
            if status == 200 and body["status"] == "ok":
                return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
            pass
        time.sleep(0.5)
    process.kill()
    raise AssertionError(f"not healthy within {limit} s:\n{output_of(process)}")


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    output = output_of(process)
    process.log.close()  # type: ignore[attr-defined]
    assert process.returncode == 0, output
    return output


def test_serve_demo_from_nothing_then_restart(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "var", free_port()
    data_dir.mkdir()
    base = f"http://127.0.0.1:{port}"
    process = start_serve(data_dir, port)
    try:
        wait_healthy(base, process, START_LIMIT_S)
        status, login = post_json(base + "/api/login", {"username": "admin", "password": "Try-it-2026"})
        assert status == 200
        status, units = get_json(base + "/api/units?limit=1", login["token"])
        assert status == 200 and units["total"] >= 1300
    finally:
        output = stop(process) if process.poll() is None else ""
    assert "Logins to try" in output and "Try-it-2026" in output
    with open(data_dir / "demo-users.csv", encoding="utf-8-sig") as listing:
        rows = list(csv.DictReader(listing))
    assert len({row["username"] for row in rows}) >= 4 * 1300
    # The embedded servers went down with the service: their endpoints file is gone and the lock is free.
    assert not (data_dir / "run" / "endpoints.json").exists()

    process = start_serve(data_dir, port)
    try:
        wait_healthy(base, process, START_LIMIT_S)
        status, login = post_json(base + "/api/login", {"username": "admin", "password": "Try-it-2026"})
        status, units = get_json(base + "/api/units?limit=1", login["token"])
        assert units["total"] >= 1300
    finally:
        output = stop(process)
    assert "already present" in output
