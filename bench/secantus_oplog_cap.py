"""Minimal reproduction: write transactions on SecantusDB before and after its oplog reaches its entry cap.

SecantusDB keeps at most `[oplog] max_entries` oplog rows (100,000 by default) and, once past it,
deletes the oldest surplus every 1,000 rows written, inside the write that crossed the mark. Two of
five runs of 20 consecutive dispatches to every unit (`bench/dispatch_stalls.py`) had one dispatch of
36.6 and 69.3 s (5-9x the median) about when the demo's oplog reached 100,000 rows, and none in a run
with the cap raised. This script writes transactions shaped like a dispatch chunk (400 receipts + 400
events: 800 oplog rows) to a bare secantusd-py with a small cap, until the oplog has held three times
the cap, and prints the transactions' times before the cap, after it, and each slow one with how many
rows had been written by then and whether a WiredTiger checkpoint ended during it.

    python bench/secantus_oplog_cap.py [--cap 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from pymongo import MongoClient
from secantus_checkpoint_stalls import CHUNK, TurtleWatch, write_chunk  # bench/ is on sys.path as a script

from storage.local import EmbeddedMongo


def run(cap: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="oplog-cap-") as tmp:
        (Path(tmp) / "secantusd.toml").write_text(f"[oplog]\nmax_entries = {cap}\n")
        server = EmbeddedMongo(Path(tmp))
        server.start()
        watch = TurtleWatch(Path(tmp) / "mongodb" / "WiredTiger.turtle")
        watch.start()
        spans: list[tuple[float, float, int]] = []  # start, end, oplog rows written before it
        try:
            with MongoClient(server.uri) as client:
                client["repro"]["events"].create_index([("user_id", 1), ("seq", 1)], unique=True)
                written = 0
                number = 0
                while written < rounds * cap:
                    began = time.monotonic()
                    write_chunk(client, number)
                    spans.append((began, time.monotonic(), written))
                    written += 2 * CHUNK
                    number += 1
        finally:
            watch.stopped.set()
            server.stop()
    before = [(end - start) * 1000 for start, end, rows in spans if rows + 2 * CHUNK <= cap]
    after = [(end - start) * 1000 for start, end, rows in spans if rows + 2 * CHUNK > cap]
    middle = statistics.median(before)
    print(f"oplog cap {cap:,} rows; {len(spans)} transactions of {CHUNK} receipts + {CHUNK} events "
          f"({2 * CHUNK} oplog rows each); {len(watch.times)} checkpoints")
    print(f"  before the cap: n={len(before):<4} median {middle:7.1f} ms   max {max(before):8.1f} ms")
    print(f"  past the cap:   n={len(after):<4} median {statistics.median(after):7.1f} ms   "
          f"max {max(after):8.1f} ms   ({max(after) / middle:.1f}x the median before)")
    for start, end, rows in spans:
        took = (end - start) * 1000
        if took > 3 * middle:
            checkpoint = any(start <= at <= end + 0.02 for at in watch.times)
            print(f"  slow: {took:8.0f} ms after {rows:,} rows ({rows / cap:.2f}x the cap)"
                  + ("; a checkpoint ended during it" if checkpoint else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=int, default=20_000, help="the oplog's max_entries (default 20,000)")
    parser.add_argument("--rounds", type=int, default=3, help="write this many times the cap (default 3)")
    args = parser.parse_args()
    run(args.cap, args.rounds)


if __name__ == "__main__":
    main()
