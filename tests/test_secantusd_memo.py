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
