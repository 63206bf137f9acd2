"""Minimal reproduction: SecantusDB slows every retryable write as the day's writes accumulate.

SecantusDB 0.7.0b3 keeps a record per retryable write (lsid, txnNumber) for 30 minutes and, on
every retryable write, scans that whole table to prune it (and sorts it once it holds more than
10,000 records), so an insert that costs ~3 ms on a fresh server costs ~40 ms after 10,000 writes.
PyMongo makes every write retryable by default. The embedded default therefore connects with
`retryWrites=false` (a lone local server has no failover for a retry to survive).

Prints the per-insert time of each batch of 500 inserts, with retryable writes on and off, and
the ratio last batch / first batch for each.

    python bench/secantus_retryable_writes.py [--writes 15000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pymongo import MongoClient

from storage.local import EmbeddedMongo

BATCH = 500


def run(uri: str, retry: bool, writes: int) -> list[float]:
    with MongoClient(uri, retryWrites=retry) as client:
        collection = client["repro"][f"retry_{retry}"]
        per_insert = []
        for start in range(0, writes, BATCH):
            began = time.perf_counter()
            for i in range(start, start + BATCH):
                collection.insert_one({"i": i})
            per_insert.append((time.perf_counter() - began) / BATCH * 1000)
        return per_insert


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=15_000)
    args = parser.parse_args()
    for retry in (False, True):
        # a fresh server each time: the records live in the server process
        mongo = EmbeddedMongo(Path(tempfile.mkdtemp(prefix="repro-")))
        mongo.start()
        try:
            uri = f"mongodb://127.0.0.1:{mongo.port}/?directConnection=true"
            per_insert = run(uri, retry, args.writes)
        finally:
            mongo.stop()
        marks = ", ".join(f"{(n + 1) * BATCH}: {ms:.1f}" for n, ms in enumerate(per_insert) if n % 6 == 0 or
                          n == len(per_insert) - 1)
        print(f"retryWrites={str(retry).lower():5}  ms per insert after N writes  {marks}")
        print(f"retryWrites={str(retry).lower():5}  last/first batch = {per_insert[-1] / per_insert[0]:.1f}x")


if __name__ == "__main__":
    main()
