"""What the audit chain adds to a write: N transactions that insert one audit line (the bare write), against
the same with the line chained (head compare-and-set + link insert), alternating so a busy machine slows both
alike; then one delivery-sized link (200 receipts) and the verifier over everything written.

Run by hand:  PYTHONPATH=. python bench/audit_chain.py [N]   (results go into BENCHMARKS.md)
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import run_on_embedded_servers  # bench/ is on sys.path when run as a script

from oa.audit_chain import chain_of, configure, cover, cover_many, verify_chains
from oa.clock import utcnow
from storage.indexes import apply_indexes
from storage.mongo import Mongo, Session
from web.services import Endpoints

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200


def line(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    print(f"{label:<52} n={len(samples):<4} median {statistics.median(samples):6.2f} ms   "
          f"p95 {samples[int(len(samples) * 0.95) - 1]:6.2f} ms", flush=True)


async def run(endpoints: Endpoints, data_dir: Path) -> None:
    mongo = await Mongo.connect(endpoints.mongodb_uri, "bench_audit")
    await apply_indexes(mongo)
    for algorithm in ("sha256", "sm3"):
        configure(mongo, algorithm)
        bare, chained = [], []
        for n in range(N):
            def entry(n: int = n) -> dict[str, Any]:
                return {"action": "approve", "n": n, "by": {"user_id": "u1", "name": "赵主任"}, "at": utcnow()}

            async def plain(session: Session, entry: Callable[[], dict[str, Any]] = entry) -> None:
                await mongo["bench_audit_lines"].insert_one(entry(), session=session)

            async def linked(session: Session, entry: Callable[[], dict[str, Any]] = entry, unit: str = f"unit-{n % 10}"
                             ) -> None:
                record = entry()
                await mongo["bench_audit_lines"].insert_one(record, session=session)
                await chain_of(mongo).link(session, unit, "flow", [cover("bench_audit_lines", record)])

            for samples, work in ((bare, plain), (chained, linked)):
                started = time.perf_counter()
                await mongo.run_transaction(work)
                samples.append((time.perf_counter() - started) * 1000)
        line(f"{algorithm}: one audit line, bare transaction", bare)
        line(f"{algorithm}: the same, chained (head update + link)", chained)
        ratio = statistics.median(chained) / statistics.median(bare)
        print(f"  {algorithm}: chained / bare = {ratio:.2f}x", flush=True)
    receipts = [{"_id": f"d1.u{i}", "dispatch_id": "d1", "document_id": "doc", "sender_unit_id": "city",
                 "unit_id": f"u{i}", "role": "main", "created_at": utcnow()} for i in range(200)]
    await mongo["bench_receipts"].insert_many(receipts)
    started = time.perf_counter()
    await mongo.run_transaction(lambda session: chain_of(mongo).link(
        session, "city", "delivery", [cover_many("bench_receipts", receipts, tuple(receipts[0]))]))
    print(f"one delivery link over 200 receipts: {(time.perf_counter() - started) * 1000:.1f} ms", flush=True)
    started = time.perf_counter()
    report = await verify_chains(mongo)
    print(f"verify {report['links']} links in {len(report['units'])} units: "
          f"{(time.perf_counter() - started) * 1000:.0f} ms, ok={report['ok']}", flush=True)
    await mongo.client.drop_database("bench_audit")
    await mongo.close()


if __name__ == "__main__":
    run_on_embedded_servers(run)
