"""SecantusDB reads its index catalog again for every document it inserts: a reproduction, and the fix's effect.

Two bare servers on temporary directories — `secantusd-py` as published, and `python -m storage.secantusd_py`
(the same program with the catalog read once per write, storage/secantusd_py.py) — get the same work: a
collection with the nine indexes of `receipts`, then bulk inserts of 200 receipt-shaped documents, in
transactions as a dispatch writes them, and plain. Prints the median per insert on each and the ratio.

Reporting upstream: the first half alone (plain `secantusd-py`, one collection with nine indexes,
`insert_many` of 200 documents) shows `Storage._index_options_map` as the top frame under `py-spy`.

Run by hand:  python bench/secantus_index_options.py [--inserts N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pymongo import ASCENDING, DESCENDING, MongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from storage.local import EmbeddedMongo, find_executable

INDEXES = [
    [("dispatch_id", ASCENDING), ("status", ASCENDING)],
    [("unit_id", ASCENDING), ("created_at", DESCENDING)],
    [("unit_id", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)],
    [("root_dispatch_id", ASCENDING)],
    [("document_id", ASCENDING), ("unit_id", ASCENDING)],
    [("unit_path", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)],
    [("sender_unit_id", ASCENDING), ("status", ASCENDING), ("due_at", ASCENDING)],
    [("status", ASCENDING), ("due_at", ASCENDING)],
]


def receipts(batch: int, size: int) -> list[dict]:
    now = datetime.now(UTC)
    return [{"_id": f"d{batch}.u{i}", "dispatch_id": f"d{batch}", "root_dispatch_id": f"d{batch}",
             "document_id": f"doc{batch}", "unit_id": f"u{i}", "unit_path": ["city", f"county{i % 10}", f"u{i}"],
             "sender_unit_id": "city", "status": "pending", "created_at": now, "due_at": now,
             "title": "关于做好冬季安全生产工作的通知", "doc_number": "韶府〔2026〕12号", "role": "main"}
            for i in range(size)]


def run(uri: str, inserts: int, size: int) -> tuple[float, float]:
    with MongoClient(uri) as client:
        collection = client.bench.receipts
        for keys in INDEXES:
            collection.create_index(keys)
        in_transaction, plain = [], []
        for batch in range(inserts):
            documents = receipts(batch, size)
            with client.start_session() as session:
                started = time.perf_counter()
                session.with_transaction(lambda s, documents=documents: collection.insert_many(documents, session=s))
                in_transaction.append((time.perf_counter() - started) * 1000)
            documents = receipts(inserts + batch, size)
            started = time.perf_counter()
            collection.insert_many(documents)
            plain.append((time.perf_counter() - started) * 1000)
        return statistics.median(in_transaction), statistics.median(plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inserts", type=int, default=10, help="bulk inserts of each kind (default 10)")
    parser.add_argument("--size", type=int, default=200, help="documents per insert (default 200)")
    args = parser.parse_args()
    results = {}
    for label, executable in (("secantusd-py as published", find_executable("secantusd-py")),
                              ("catalog read once per write", None)):
        with tempfile.TemporaryDirectory(prefix="oa-bench-") as tmp:
            server = EmbeddedMongo(Path(tmp), executable=executable)
            server.start()
            try:
                results[label] = run(server.uri, args.inserts, args.size)
            finally:
                server.stop()
        txn, plain = results[label]
        print(f"{label:<30} insert_many of {args.size}, 9 indexes: in a transaction {txn:7.1f} ms   "
              f"plain {plain:7.1f} ms   (medians of {args.inserts})")
    (before_txn, before_plain), (after_txn, after_plain) = results.values()
    print(f"published / fixed: in a transaction {before_txn / after_txn:.2f}×, plain {before_plain / after_plain:.2f}×")


if __name__ == "__main__":
    main()
