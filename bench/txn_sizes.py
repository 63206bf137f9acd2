"""How large the largest transactions are: documents and bytes written per transaction, and how long
each stayed open, for the demo load, `oa import-units` and a dispatch from the city to every unit.

MongoDB ends a transaction open longer than `transactionLifetimeLimitSeconds` (60 s by default),
writes a committed transaction to the oplog in entries of at most 16 MB, and keeps every write of
an open transaction in the WiredTiger cache: these figures say how close the product comes.

Every command is taken from the command log (storage/command_log.py); a transaction is the
commands sharing a session id and transaction number; its bytes are the BSON size of what its
inserts, updates and deletes send.

    PYTHONPATH=. python bench/txn_sizes.py [--scale 1]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import bson
from bson import json_util
from harness import run_on_embedded_servers  # bench/ is on sys.path when run as a script

from storage import command_log

WRITES = {"insert": "documents", "update": "updates", "delete": "deletes"}


def written(command: dict[str, Any]) -> tuple[int, int]:
    """(records, bytes) a write command sends."""
    for name, field in WRITES.items():
        if name in command:
            items = command.get(field, [])
            return len(items), sum(len(bson.encode(item)) for item in items)
    if "findAndModify" in command:
        return 1, len(bson.encode(command.get("update") or {}))
    return 0, 0


def transactions(log: Path, start: float, end: float) -> list[dict[str, Any]]:
    groups: dict[tuple[str, int], dict[str, Any]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row.get("txn") or not row.get("lsid") or not start <= row["t"] < end:
            continue
        group = groups.setdefault((row["lsid"], row["txn"]), {"records": 0, "bytes": 0, "commands": 0,
                                                               "first": row["t"], "last": row["t"], "names": set()})
        command = json_util.loads(json.dumps(row["command"])) if row.get("command") else {}
        records, size = written(command)
        group["records"] += records
        group["bytes"] += size
        group["commands"] += 1
        group["first"] = min(group["first"], row["t"])
        group["last"] = max(group["last"], row["t"] + row["ms"] / 1000)
        if records:
            group["names"].add(row.get("collection") or "?")
    return [group for group in groups.values() if group["commands"] > 1 or group["records"] > 1]


def report(label: str, found: list[dict[str, Any]]) -> None:
    if not found:
        print(f"{label}: no transaction")
        return
    biggest = max(found, key=lambda group: group["bytes"])
    longest = max(found, key=lambda group: group["last"] - group["first"])
    print(f"{label}: {len(found)} transactions")
    for name, group in (("most bytes", biggest), ("longest open", longest)):
        print(f"  {name:<12} {group['records']:>6} records {group['bytes'] / 1e6:8.2f} MB "
              f"{group['commands']:>5} commands open {group['last'] - group['first']:6.2f} s  "
              f"({', '.join(sorted(group['names']))})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    log = Path(tempfile.mkdtemp(prefix="oa-txn-")) / "commands.jsonl"
    os.environ[command_log.ENV] = str(log)

    async def run(endpoints: Any, data_dir: Path) -> None:
        import tornado.httpserver

        from oa.demo_setup import DEFAULT_DEMO_PASSWORD, load_demo
        from storage.local import free_port
        from tests.client import ApiClient
        from web.app import make_app
        from web.config import Settings
        from web.services import Services

        services = await Services.open(Settings(data_dir=data_dir, mongodb_db="bench_txn"), endpoints)
        marks = {"start": time.time()}
        await load_demo(services.mongo, data_dir, DEFAULT_DEMO_PASSWORD, scale=args.scale)  # the importer's path
        marks["loaded"] = time.time()
        port = free_port()
        server = tornado.httpserver.HTTPServer(make_app(services))
        server.listen(port, "127.0.0.1")
        api = ApiClient(f"http://127.0.0.1:{port}")
        city = await api.login("sg-szf.sfy1")
        created = await api.post("/api/documents", {
            "doc_type": "通知", "title": "关于做好冬季森林防火工作的通知",
            "main_to": [{"external": True, "name": "各县（市、区）人民政府，市直各单位"}],
            "body": [{"level": 0, "text": "现将有关事项通知如下。"}]}, token=city)
        await api.post(f"/api/documents/{created.body['id']}/number", {"version": created.body["version"]}, token=city)
        marks["dispatch"] = time.time()
        sent = await api.post(f"/api/documents/{created.body['id']}/dispatch",
                              {"main": [{"level": "city"}, {"level": "county"}, {"level": "town"}]}, token=city)
        assert sent.status == 201, sent
        # 催办 and 追回 of every unit: one transaction each, the largest the product writes. A busy machine
        # may hold them past the client's 120 s or the server's transaction limit: say so and go on.
        for name, path, body in (("urge", "urge", {}), ("recall", "recall", {"reason": "主送单位选错"})):
            marks[name] = time.time()
            try:
                answer = await api.post(f"/api/dispatches/{sent.body['id']}/{path}", body, token=city)
                print(f"{name}: HTTP {answer.status} after {time.time() - marks[name]:.1f} s")
            except Exception as failure:  # a timeout: the server may still finish or abort it
                print(f"{name}: {type(failure).__name__} after {time.time() - marks[name]:.1f} s")
                await asyncio.sleep(60)
        marks["end"] = time.time()
        server.stop()
        await services.close()
        await asyncio.sleep(2)  # the log's writer thread writes its last lines
        print(f"demo hierarchy at scale {args.scale:g}; one dispatch to every unit ({sent.body['total']} recipients)")
        steps = list(marks.items())
        labels = {"start": "demo load (oa import-units' path)", "dispatch": "dispatch (all chunks, finish)",
                  "urge": "催办 every unsigned unit", "recall": "追回 the whole dispatch"}
        for (name, begin), (_, end) in itertools.pairwise(steps):
            if name in labels:
                report(labels[name], transactions(log, begin, end))

    run_on_embedded_servers(run)


if __name__ == "__main__":
    main()
