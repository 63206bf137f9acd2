"""What the benchmark scripts share: timing an async action many times, and embedded servers to run on."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from storage.local import EmbeddedMongo, EmbeddedS3
from web.services import Endpoints


async def measure(label: str, runs: int, action: Callable[[int], Awaitable[object]]) -> None:
    """Run `action(i)` `runs` times one after another and print the median and 95th percentile."""
    samples = []
    for index in range(runs):
        started = time.perf_counter()
        await action(index)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{label:<56} n={runs:<5} median {statistics.median(samples):8.2f} ms   p95 {p95:8.2f} ms")


def run_on_embedded_servers(run: Callable[[Endpoints, Path], Awaitable[None]]) -> None:
    """Start the embedded database and S3 gateway in a temporary directory, run, stop them."""
    with tempfile.TemporaryDirectory(prefix="oa-bench-") as tmp:
        data_dir = Path(tmp)
        mongo, s3 = EmbeddedMongo(data_dir), EmbeddedS3(data_dir)
        mongo.start()
        try:
            s3.start()
            try:
                endpoints = Endpoints(mongo.uri, s3.endpoint, s3.credentials.access_key,
                                      s3.credentials.secret_key, False)
                asyncio.run(run(endpoints, data_dir))
            finally:
                s3.stop()
        finally:
            mongo.stop()
