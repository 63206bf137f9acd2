"""Consecutive dispatches to every unit, with the embedded database sampled while they run, to find
what a stalled dispatch waits on.

Starts `oa serve --demo` (bench/oa_process.py), then dispatches fresh documents to every unit one
after another. A thread samples the SecantusDB server process with `py-spy dump` about twice a
second (pip install py-spy; it reads the process, it does not stop it for long). For each dispatch
it prints the time; for the dispatches over 1.5× the median, the functions seen most often in the
server's busy threads during them, against the same count during the normal dispatches.

It also watches the database's WiredTiger checkpoints (a checkpoint rewrites `WiredTiger.turtle`;
SecantusDB runs one every SECANTUS_CHECKPOINT_SECONDS, 60 by default) and marks each dispatch during
which one ran, with the stall ratio of dispatches with and without one. `--checkpoint-seconds N`
sets that interval for the server (0 turns the periodic checkpoint off) to compare.

    python bench/dispatch_stalls.py [--dispatches 24] [--checkpoint-seconds N] [--no-sampling] [--scale 2] [--keep]
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

from oa_process import (  # bench/ on sys.path
    CITY_CLERK,
    Api,
    OaServe,
    demo_scale,
    dispatch_and_wait,
    median,
    numbered_document,
)

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


class CheckpointWatch(threading.Thread):
    """The times WiredTiger's turtle file changed: one per checkpoint (polled every 50 ms)."""

    def __init__(self, turtle: Path) -> None:
        super().__init__(daemon=True)
        self.turtle = turtle
        self.times: list[float] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        last = None
        while not self.stopped.is_set():
            try:
                stamp = self.turtle.stat().st_mtime_ns
            except FileNotFoundError:
                stamp = None
            if last is not None and stamp is not None and stamp != last:
                self.times.append(time.monotonic())
            last = stamp if stamp is not None else last
            self.stopped.wait(0.05)

    def during(self, start: float, end: float) -> bool:
        return any(start <= at <= end + 0.05 for at in self.times)


async def run(dispatches: int, data_dir: Path, checkpoint_seconds: int | None, sampling: bool,
              serve_args: list[str]) -> None:
    env = {} if checkpoint_seconds is None else {"SECANTUS_CHECKPOINT_SECONDS": str(checkpoint_seconds)}
    server = OaServe(data_dir, serve_args, env)
    print(f"oa serve --demo healthy after {server.start():.1f} s; WiredTiger checkpoint every "
          f"{'60 (default)' if checkpoint_seconds is None else checkpoint_seconds or 'never (off)'} s")
    sampler = Sampler(server_pid(server.pid))
    checkpoints = CheckpointWatch(data_dir / "mongodb" / "WiredTiger.turtle")
    checkpoints.start()
    try:
        api = Api(server.base)
        token = await api.login(CITY_CLERK)
        windows = []
        if sampling:
            sampler.start()
        for number in range(dispatches):
            document_id = await numbered_document(api, token, f"关于做好冬季森林防火工作的通知（第{number + 1}次）")
            began = time.monotonic()
            _, _, took = await dispatch_and_wait(api, token, document_id)
            windows.append((began, time.monotonic(), took))
            marked = "  checkpoint during it" if checkpoints.during(began, time.monotonic()) else ""
            print(f"  dispatch {number + 1:>2}: {took:8.0f} ms{marked}")
        sampler.stopped.set()
        if sampling:
            sampler.join()
        middle = median([took for _, _, took in windows])
        slow = [(start, end) for start, end, took in windows if took > 1.5 * middle]
        print(f"median {middle:.0f} ms, worst {max(took for _, _, took in windows):.0f} ms "
              f"({max(took for _, _, took in windows) / middle:.2f}× the median), "
              f"{len(slow)} over 1.5× the median; {len(sampler.samples)} samples of the database server")
        with_checkpoint = [took for start, end, took in windows if checkpoints.during(start, end)]
        without = [took for start, end, took in windows if not checkpoints.during(start, end)]
        print(f"checkpoints seen: {len(checkpoints.times)}; dispatches with one during them: {len(with_checkpoint)}"
              + (f", median {median(with_checkpoint):.0f} ms" if with_checkpoint else "")
              + f"; without: {len(without)}" + (f", median {median(without):.0f} ms, worst "
                                                f"{max(without):.0f} ms ({max(without) / median(without):.2f}× "
                                                "their median)" if without else ""))
        if not sampling:
            return

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
        checkpoints.stopped.set()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dispatches", type=int, default=24)
    parser.add_argument("--checkpoint-seconds", type=int, default=None,
                        help="SecantusDB's checkpoint interval for the server (default: its own, 60; 0 = off)")
    parser.add_argument("--no-sampling", action="store_true", help="do not sample the server with py-spy")
    parser.add_argument("--scale", type=int, default=1, help="demo scale (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and the service log")
    args = parser.parse_args()
    if not args.no_sampling and shutil.which("py-spy") is None:
        raise SystemExit("needs py-spy (pip install py-spy), or --no-sampling")
    _, serve_args, _ = demo_scale(args.scale)
    tmp = tempfile.mkdtemp(prefix="dispatch-stalls-")
    try:
        asyncio.run(run(args.dispatches, Path(tmp) / "var", args.checkpoint_seconds, not args.no_sampling, serve_args))
    finally:
        if args.keep:
            print(f"kept {tmp} (service log: serve.log)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
