"""The embedded server runs with its index catalog read once per write (storage/secantusd_py.py): it
must still honour every index it has — unique keys, partial filters, indexes created after writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymongo import ASCENDING, MongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError

from storage import secantusd_py
from storage.local import EmbeddedMongo


def test_the_patch_applies_to_this_secantusdb() -> None:
    assert secantusd_py.apply()  # else `oa serve` runs it unpatched, and says so


def test_unique_and_partial_indexes_hold_within_one_bulk_write_and_after_a_new_index(tmp_path: Path) -> None:
    server = EmbeddedMongo(tmp_path)
    server.start()
    try:
        with MongoClient(server.uri) as client:
            things = client.t.things
            things.create_index([("key", ASCENDING)], unique=True)
            with pytest.raises(BulkWriteError) as failure:
                things.insert_many([{"_id": 1, "key": "a"}, {"_id": 2, "key": "b"}, {"_id": 3, "key": "a"}])
            assert [error["index"] for error in failure.value.details["writeErrors"]] == [2]
            assert sorted(things.distinct("key")) == ["a", "b"]
            # An index made between two writes is honoured by the next one.
            things.create_index([("code", ASCENDING)], unique=True,
                                partialFilterExpression={"code": {"$type": "string"}})
            things.insert_many([{"_id": 4, "key": "c", "code": "x"}, {"_id": 5, "key": "d"}, {"_id": 6, "key": "e"}])
            with pytest.raises(DuplicateKeyError):
                things.insert_one({"_id": 7, "key": "f", "code": "x"})
            with pytest.raises(DuplicateKeyError):
                things.update_one({"_id": 5}, {"$set": {"code": "x"}})
            assert things.count_documents({}) == 5
    finally:
        server.stop()


def test_expired_documents_go_through_their_ttl_index_and_the_rest_stay(tmp_path: Path) -> None:
    """The sweep's prune, as patched: what each TTL index says has expired is deleted, nothing else."""
    from datetime import UTC, datetime, timedelta

    from secantus.storage import Storage

    assert secantusd_py.apply()
    storage = Storage(str(tmp_path / "db"))
    try:
        now = datetime.now(UTC)
        storage.create_index("t", "events", "at_ttl", {"at": 1}, {"expireAfterSeconds": 3600})
        storage.create_index("t", "events", "kept_ttl", {"kept_until": 1},
                             {"expireAfterSeconds": 0, "partialFilterExpression": {"kind": "code"}})
        storage.insert("t", "events", [
            {"_id": "old", "at": now - timedelta(hours=2)},
            {"_id": "new", "at": now - timedelta(minutes=5)},
            {"_id": "no-date", "at": "yesterday"},
            {"_id": "code-due", "kind": "code", "kept_until": now - timedelta(seconds=1)},
            {"_id": "other-due", "kind": "other", "kept_until": now - timedelta(seconds=1)},  # not in the index
        ])
        assert storage.prune_ttl("t", "events", now=now) == 2
        left = sorted(doc["_id"] for doc in storage.find_matching("t", "events", {}))
        assert left == ["new", "no-date", "other-due"]
        assert storage.prune_ttl("t", "events", now=now) == 0
    finally:
        storage.close()
