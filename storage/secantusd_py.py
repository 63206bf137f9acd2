"""The embedded database server: SecantusDB's own `secantusd-py` program, with two narrow fixes applied.

`python -m storage.secantusd_py [secantusd-py's arguments]` runs exactly `secantus.cli.main` (the program
the `secantusd-py` script runs) after two changes, to how it writes and to how it expires documents:

SecantusDB 0.7.0b3 reads its index catalog again for every document it writes — `_index_options_map`
walks the catalog table and decodes every index definition, and the insert path calls it three times
per document (the unique-key check, the geo pre-check, the index entries), although the chunk it is
writing already read the catalog once. For a collection with nine indexes that walk was the largest
single cost of a dispatch's bulk inserts (16 % of the server's CPU, `bench/secantus_index_options.py`
shows it alone). Here the map is remembered for the length of one insert chunk or one update, in the
writing thread, and read afresh by the next: the catalog cannot change in the middle of a write any
more than it could between the walks it replaces, and nothing outside one write sees the memo.

It also expires TTL-indexed documents by asking the index. SecantusDB's sweep (every 60 s, on its own
thread) reads and decodes every document of each collection with a TTL index to test its date, under the
lock every write waits for, whether or not anything has expired: with 60,000 events every write stopped
for 2.6 s each minute (`bench/secantus_ttl_sweep.py`), and `events` and `notifications` grow by a record
per recipient clerk with every dispatch. Here each TTL index's condition (its field before now minus its
seconds, within its partial filter) goes to the server's own `delete_matching`, which finds the expired
documents through that index and deletes them as a deleteMany would (oplog entries included): 6 ms for
the same 60,000 events.

If the server's internals are not the ones this was written against, it runs unchanged and says so.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger("oa.storage")
_memo = threading.local()


def _remembered(read: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(read)
    def options_map(self: Any, db: str, coll: str) -> dict[str, Any]:
        memo: dict[tuple[int, str, str], dict[str, Any]] | None = getattr(_memo, "maps", None)
        if memo is None:
            return read(self, db, coll)
        key = (id(self), db, coll)
        if key not in memo:
            memo[key] = read(self, db, coll)
        return memo[key]

    return options_map


def _one_write(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def within(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_memo, "maps", None) is not None:  # nested: the outer write owns the memo
            return write(self, *args, **kwargs)
        _memo.maps = {}
        try:
            return write(self, *args, **kwargs)
        finally:
            _memo.maps = None

    return within


IndexRow = tuple[str, dict[str, Any], dict[str, Any]]  # name, key pattern, options


def ttl_conditions(indexes: Iterable[IndexRow], now: datetime) -> list[dict[str, Any]]:
    """What has expired by each TTL index, as a query: the rules of mongod's TTL monitor (a single-field index,
    not `_id`, a number of seconds ≥ 0; a partial index expires only what its filter covers)."""
    conditions = []
    for _name, key_spec, options in indexes:
        seconds = options.get("expireAfterSeconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds != seconds or seconds < 0:
            continue
        if len(key_spec) != 1:
            continue
        field, direction = next(iter(key_spec.items()))
        if not isinstance(field, str) or field == "_id" or isinstance(direction, bool) or \
                not isinstance(direction, int | float):
            continue
        try:
            condition: dict[str, Any] = {field: {"$lt": now - timedelta(seconds=float(seconds))}}
        except OverflowError:
            continue
        partial = options.get("partialFilterExpression")
        if isinstance(partial, Mapping) and partial:
            condition = {"$and": [condition, dict(partial)]}
        conditions.append(condition)
    return conditions


def _prune_ttl(self: Any, db: str, coll: str, *, now: datetime | None = None) -> int:
    """Storage.prune_ttl, through the TTL indexes instead of a decode of every document under the lock."""
    when = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return sum(int(self.delete_matching(db, coll, condition))
               for condition in ttl_conditions(list(self._iter_indexes(db, coll)), when))


def apply() -> bool:
    """Patch the server's storage class; False (and a warning) when it is not the expected shape."""
    from secantus import storage

    cls = getattr(storage, "Storage", None)
    if getattr(cls, "_oa_patched", False):
        return True
    needed = ("_index_options_map", "_insert_chunk", "update_matching", "prune_ttl", "delete_matching",
              "_iter_indexes")
    if cls is None or not all(callable(getattr(cls, name, None)) for name in needed):
        log.warning("SecantusDB's storage is not the expected shape: running it without the index-catalog memo "
                    "and with its own TTL sweep")
        return False
    cls._index_options_map = _remembered(cls._index_options_map)
    cls._insert_chunk = _one_write(cls._insert_chunk)
    cls.update_matching = _one_write(cls.update_matching)
    cls.prune_ttl = _prune_ttl
    cls._oa_patched = True
    return True


def main() -> int:
    from secantus.cli import main as secantusd_main

    apply()
    return int(secantusd_main() or 0)


if __name__ == "__main__":
    import sys

    sys.argv[0] = "secantusd-py"
    sys.exit(main())
