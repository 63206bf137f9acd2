"""Consecutive dispatches to every unit, with the embedded database sampled while they run, to find
what a stalled dispatch waits on.

Starts `oa serve --demo` (bench/oa_process.py), then dispatches fresh documents to every unit one
after another. A thread samples the SecantusDB server process with `py-spy dump` about twice a
second (pip install py-spy; it reads the process, it does not stop it for long). For each dispatch
it prints the time; for the dispatches over 1.5× the median, the functions seen most often in the
server's busy threads during them, against the same count during the normal dispatches.

    python bench/dispatch_stalls.py [--dispatches 24]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from oa_process import CITY_CLERK, Api, OaServe, dispatch_and_wait, median, numbered_document  # bench/ on sys.path

IDLE = re.compile(r"\b(wait|select|poll|_recv_exactly|read_message|accept|sleep|_wait_for_tstate_lock)\b")


def server_pid(parent: int) -> int:
    found = subprocess.run(["pgrep", "-P", str(parent), "-f", "secantusd"], capture_output=True, text=True).stdout
    return int(found.split()[0])


class Sampler(threading.Thread):
    """`py-spy dump` of the database server in a loop: (time, busy functions) per sample."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, list[str]]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            at = time.monotonic()
            text = subprocess.run(["py-spy", "dump", "--nonblocking", "--pid", str(self.pid)],
                                  capture_output=True, text=True).stdout
            busy: list[str] = []
            for thread in text.split("\nThread ")[1:]:
                frames = [line.strip().split(" (")[0] for line in thread.splitlines()[1:] if line.startswith("    ")]
                if frames and not IDLE.search(frames[0]):
                    busy += frames
            self.samples.append((at, busy))
            self.stopped.wait(0.5)


async def run(dispatches: int, data_dir: Path) -> None:
    server = OaServe(data_dir, [])
    print(f"oa serve --demo healthy after {server.start():.1f} s")
    sampler = Sampler(server_pid(server.pid))
    try:
        api = Api(server.base)
        token = await api.login(CITY_CLERK)
        windows = []
        sampler.start()
        for number in range(dispatches):
            document_id = await numbered_document(api, token, f"关于做好冬季森林防火工作的通知（第{number + 1}次）")
            began = time.monotonic()
            _, _, took = await dispatch_and_wait(api, token, document_id)
            windows.append((began, time.monotonic(), took))
            print(f"  dispatch {number + 1:>2}: {took:8.0f} ms")
        sampler.stopped.set()
        sampler.join()
        middle = median([took for _, _, took in windows])
        slow = [(start, end) for start, end, took in windows if took > 1.5 * middle]
        print(f"median {middle:.0f} ms, worst {max(took for _, _, took in windows):.0f} ms, "
              f"{len(slow)} over 1.5× the median; {len(sampler.samples)} samples of the database server")

        def tally(spans: list[tuple[float, float]]) -> tuple[collections.Counter[str], int]:
            counted: collections.Counter[str] = collections.Counter()
            taken = 0
            for at, busy in sampler.samples:
                if any(start <= at <= end for start, end in spans):
                    taken += 1
                    counted.update(set(busy))
            return counted, taken

        stalled, stalled_n = tally(slow)
        normal, normal_n = tally([(start, end) for start, end, took in windows if took <= 1.5 * middle])
        print(f"functions on the server's busy stacks: share of samples during slow dispatches (n={stalled_n}) "
              f"vs normal ones (n={normal_n})")
        for name, count in stalled.most_common(25):
            print(f"  {count / max(stalled_n, 1):6.0%}  {normal[name] / max(normal_n, 1):6.0%}  {name}")
        print("the functions seen more often during slow dispatches than during normal ones:")
        gain = {name: count / max(stalled_n, 1) - normal[name] / max(normal_n, 1) for name, count in stalled.items()}
        for name in sorted(gain, key=gain.__getitem__, reverse=True)[:20]:
            print(f"  {stalled[name] / max(stalled_n, 1):6.0%}  {normal[name] / max(normal_n, 1):6.0%}  {name}")
    finally:
        sampler.stopped.set()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dispatches", type=int, default=24)
    args = parser.parse_args()
    if shutil.which("py-spy") is None:
        raise SystemExit("needs py-spy: pip install py-spy")
    with tempfile.TemporaryDirectory(prefix="dispatch-stalls-") as tmp:
        asyncio.run(run(args.dispatches, Path(tmp) / "var"))


if __name__ == "__main__":
    main()
