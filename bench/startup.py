"""How long `oa serve --demo` takes from nothing to a healthy service with 1,300+ units, and on restart.

Run by hand:  python bench/startup.py [--data-dir DIR]   (results go into BENCHMARKS.md)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from storage.local import free_port


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/api/health", timeout=2) as response:
            return json.loads(response.read())["status"] == "ok"
    except (urllib.error.URLError, ConnectionError, OSError, ValueError):
        return False


def units_total(base: str) -> int:
    login = urllib.request.Request(base + "/api/login", method="POST", headers={"Content-Type": "application/json"},
                                   data=json.dumps({"username": "admin", "password": "Demo@2026"}).encode())
    with urllib.request.urlopen(login, timeout=30) as response:
        token = json.loads(response.read())["token"]
    request = urllib.request.Request(base + "/api/units?limit=1", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.loads(response.read())["total"])


def one_start(data_dir: Path, demo: bool = True) -> tuple[float, int, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OA_DATA_DIR": str(data_dir), "OA_PORT": str(port)}
    started = time.monotonic()
    with open(data_dir.parent / "serve.log", "a") as log:
        process = subprocess.Popen([sys.executable, "-m", "web.cli", "serve", *(["--demo"] if demo else [])], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            while not healthy(base):
                if process.poll() is not None or time.monotonic() - started > 300:
                    raise SystemExit(f"service did not become healthy; see {data_dir.parent / 'serve.log'}")
                time.sleep(0.1)
            to_health = time.monotonic() - started
            total = units_total(base)
        finally:
            stop_started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            process.wait(60)
            to_stop = time.monotonic() - stop_started
    return to_health, total, to_stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="restart `oa serve` (no --demo) on this existing data directory "
                        "three times, e.g. one loaded with `oa demo --scale 2`")
    args = parser.parse_args()
    if args.data_dir:
        for label in ("restart", "restart again", "restart a third time"):
            to_health, total, to_stop = one_start(args.data_dir, demo=False)
            print(f"{label:<26} healthy after {to_health:5.1f} s   units total {total}   clean stop {to_stop:4.1f} s")
        return
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "var"
        for label in ("first start (load demo)", "restart (data kept)", "restart again"):
            to_health, total, to_stop = one_start(data_dir)
            print(f"{label:<26} healthy after {to_health:5.1f} s   units total {total}   clean stop {to_stop:4.1f} s")


if __name__ == "__main__":
    main()
