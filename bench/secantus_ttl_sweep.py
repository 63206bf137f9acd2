"""Minimal reproduction: SecantusDB's TTL sweep blocks every write while it decodes whole collections.

SecantusDB 0.7.0b3 expires documents of collections with a TTL index from a background thread every
60 s (`Storage.prune_ttl`): under the storage's lock, it reads and decodes every document of such a
collection to test its date, whether or not anything has expired. The service keeps `events` (30 days)
and `notifications` (180 days) that way; each dispatch to every unit adds a record per recipient clerk
to both, so the pause grows with every dispatch and, over a month of events, would be minutes long.

This script fills one collection shaped like `events` (TTL index on `at`, nothing expired), then writes
one small document every 20 ms for `--seconds` and prints the slowest writes: the ones that waited for
a sweep. It also times a `delete_many` of the expired documents by the same date condition (what an
expiry that asks the index costs).

    python bench/secantus_ttl_sweep.py [--documents 60000] [--seconds 130]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo import ASCENDING, MongoClient

from storage.local import EmbeddedMongo

TTL_S = 30 * 24 * 3600
TITLE = "关于做好冬季森林防火工作的通知"


def run(documents: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory(prefix="ttl-sweep-") as tmp:
        server = EmbeddedMongo(Path(tmp))
        server.start()
        try:
            with MongoClient(server.uri) as client:
                events = client["repro"]["events"]
                events.create_index([("user_id", ASCENDING), ("seq", ASCENDING)], unique=True)
                events.create_index([("at", ASCENDING)], expireAfterSeconds=TTL_S)
                now = datetime.now(UTC)
                started = time.monotonic()
                for start in range(0, documents, 2000):
                    events.insert_many([{"user_id": f"p{number % 1300}", "seq": number, "at": now,
                                         "type": "exchange.received", "data": {"title": TITLE}}
                                        for number in range(start, min(documents, start + 2000))])
                print(f"{documents:,} documents with a TTL index on `at`, none expired "
                      f"(written in {time.monotonic() - started:.0f} s)")
                cutoff = datetime.now(UTC) - timedelta(seconds=TTL_S)
                began = time.perf_counter()
                deleted = events.delete_many({"at": {"$lt": cutoff}}).deleted_count
                print(f"  delete_many of the expired by `at` < now - 30 days: {deleted} deleted in "
                      f"{(time.perf_counter() - began) * 1000:.0f} ms")
                probe = client["repro"]["probe"]
                took: list[tuple[float, float]] = []
                origin = time.monotonic()
                while time.monotonic() - origin < seconds:
                    began = time.perf_counter()
                    probe.insert_one({"at": datetime.now(UTC)})
                    took.append((time.monotonic() - origin, (time.perf_counter() - began) * 1000))
                    time.sleep(0.02)
        finally:
            server.stop()
    times = [ms for _, ms in took]
    print(f"  {len(took)} one-document writes over {seconds:.0f} s: median {statistics.median(times):.1f} ms, "
          f"max {max(times):.0f} ms")
    for at, ms in took:
        if ms > 250:
            print(f"    a write at +{at:5.1f} s took {ms:6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=60_000)
    parser.add_argument("--seconds", type=float, default=130)
    args = parser.parse_args()
    run(args.documents, args.seconds)


if __name__ == "__main__":
    main()
