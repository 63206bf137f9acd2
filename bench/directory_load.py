"""Where the org directory's load at start-up goes: the database's scan, this process's decoding, the directory.

On an existing data directory (e.g. one made by `oa demo --scale 2`: 66,200 people), starts its embedded
database alone and prints, each twice:
- the scan of every `users` record left undecoded (what the server costs: its floor for this load);
- the same records decoded with timezone-aware and with naive datetimes (what decoding costs here);
- `Directory.load` as `oa serve` runs it (full collections paced, as from before start-up).

    python bench/directory_load.py --data-dir /tmp/scale2
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from pathlib import Path

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from oa.directory import Directory
from storage.local import EmbeddedMongo
from storage.mongo import Mongo
from web.collector import CollectorPacer


async def measure(uri: str) -> None:
    mongo = await Mongo.connect(uri, "oa")
    raw = mongo["users"].with_options(codec_options=CodecOptions(document_class=RawBSONDocument))
    pacer = CollectorPacer()
    pacer.start()  # as oa serve does from before Services.open
    try:
        for round_ in (1, 2):
            started = time.perf_counter()
            records = [record.raw async for record in raw.find({}, batch_size=2000)]
            scanned = time.perf_counter() - started
            batches = [b"".join(records[start:start + 2000]) for start in range(0, len(records), 2000)]
            started = time.perf_counter()
            aware = [bson.decode_all(batch, mongo["users"].codec_options) for batch in batches]
            aware_s = time.perf_counter() - started
            del aware
            started = time.perf_counter()
            naive = [bson.decode_all(batch, CodecOptions()) for batch in batches]
            naive_s = time.perf_counter() - started
            del naive, batches, records
            directory = Directory()
            started = time.perf_counter()
            await directory.load(mongo)
            loaded = time.perf_counter() - started
            print(f"round {round_}: {directory.person_count():,} people   scan undecoded {scanned:5.2f} s   "
                  f"decode aware {aware_s:5.2f} s / naive {naive_s:5.2f} s   Directory.load {loaded:5.2f} s")
            del directory
            gc.collect()
    finally:
        pacer.stop()
        await mongo.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a data directory of `oa demo` or `oa serve`")
    args = parser.parse_args()
    server = EmbeddedMongo(args.data_dir)
    server.start()
    try:
        asyncio.run(measure(server.uri))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
