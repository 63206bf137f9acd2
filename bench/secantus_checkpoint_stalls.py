"""Minimal reproduction: SecantusDB's periodic WiredTiger checkpoint stalls concurrent write transactions.

SecantusDB 0.7.0b3 checkpoints its WiredTiger store every SECANTUS_CHECKPOINT_SECONDS (60 by
default). While a checkpoint runs, transactions of inserts take several times longer; a dispatch to
every unit (a few such transactions of 400 receipts and 400 events) that overlaps one is 2–3.5× the
median of the others. Checkpoints are seen from outside: each one rewrites `WiredTiger.turtle`.

This script starts a bare secantusd-py, writes transactions shaped like a dispatch chunk (400
receipts + 400 events, one transaction) for `--seconds`, marks each transaction during which the
turtle file changed, and prints the median and worst with and without a checkpoint, once with the
given interval and once with periodic checkpoints off (0), each on a fresh server.

    python bench/secantus_checkpoint_stalls.py [--seconds 150] [--interval 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from pymongo import MongoClient

from storage.local import EmbeddedMongo

CHUNK = 400
TITLE = "关于做好冬季森林防火工作的通知" * 3


class TurtleWatch(threading.Thread):
    def __init__(self, turtle: Path) -> None:
        super().__init__(daemon=True)
        self.turtle, self.times, self.stopped = turtle, [], threading.Event()

    def run(self) -> None:
        last = None
        while not self.stopped.is_set():
            stamp = self.turtle.stat().st_mtime_ns if self.turtle.exists() else None
            if last is not None and stamp != last:
                self.times.append(time.monotonic())
            last = stamp
            self.stopped.wait(0.02)


def write_chunk(client: MongoClient, number: int) -> None:
    """One transaction shaped like a dispatch chunk: CHUNK receipts and CHUNK events (database `repro`)."""
    db = client["repro"]
    receipts = [{"_id": f"d{number}.u{i}", "dispatch_id": f"d{number}", "unit_id": f"u{i}",
                 "status": "pending", "title": TITLE} for i in range(CHUNK)]
    events = [{"user_id": f"p{i}", "seq": number + 1, "type": "exchange.received",
               "data": {"receipt_id": f"d{number}.u{i}"}} for i in range(CHUNK)]
    with client.start_session() as session, session.start_transaction():
        db["receipts"].insert_many(receipts, session=session)
        db["events"].insert_many(events, session=session)


def run(interval: int, seconds: float) -> None:
    os.environ["SECANTUS_CHECKPOINT_SECONDS"] = str(interval)  # inherited by the server process
    with tempfile.TemporaryDirectory(prefix="checkpoint-stalls-") as tmp:
        server = EmbeddedMongo(Path(tmp))
        server.start()
        watch = TurtleWatch(Path(tmp) / "mongodb" / "WiredTiger.turtle")
        watch.start()
        spans: list[tuple[float, float]] = []
        try:
            with MongoClient(server.uri) as client:
                db = client["repro"]
                db["events"].create_index([("user_id", 1), ("seq", 1)], unique=True)
                ended = time.monotonic() + seconds
                number = 0
                while time.monotonic() < ended:
                    began = time.monotonic()
                    write_chunk(client, number)
                    spans.append((began, time.monotonic()))
                    number += 1
        finally:
            watch.stopped.set()
            server.stop()
    hit = [(end - start) * 1000 for start, end in spans if any(start <= at <= end + 0.02 for at in watch.times)]
    clear = [(end - start) * 1000 for start, end in spans if not any(start <= at <= end + 0.02 for at in watch.times)]
    label = f"checkpoint every {interval} s" if interval else "periodic checkpoints off"
    middle = statistics.median((end - start) * 1000 for start, end in spans)
    origin = spans[0][0] if spans else 0.0
    for start, end in spans:  # each slow transaction, and how far the nearest checkpoint's end was
        if (end - start) * 1000 > 3 * middle:
            near = min((at - end for at in watch.times), key=abs, default=None)
            print(f"  slow: {(end - start) * 1000:7.0f} ms at {start - origin:6.1f} s"
                  + (f"; nearest checkpoint ended {near:+.1f} s after it" if near is not None else ""))
    print(f"{label}: {len(spans)} transactions of {CHUNK} receipts + {CHUNK} events, {len(watch.times)} checkpoints")
    if clear:
        print(f"  without a checkpoint during them: n={len(clear):<4} median {statistics.median(clear):7.1f} ms   "
              f"max {max(clear):7.1f} ms")
    if hit:
        print(f"  with a checkpoint during them:    n={len(hit):<4} median {statistics.median(hit):7.1f} ms   "
              f"max {max(hit):7.1f} ms   ({max(hit) / statistics.median(clear or hit):.1f}× the median without)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--interval", type=int, default=20, help="checkpoint interval for the first run (s)")
    parser.add_argument("--only", choices=["interval", "off"], help="run only one of the two")
    args = parser.parse_args()
    if args.only != "off":
        run(args.interval, args.seconds)
    if args.only != "interval":
        run(0, args.seconds)


if __name__ == "__main__":
    main()
