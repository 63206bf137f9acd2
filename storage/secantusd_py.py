"""The embedded database server: SecantusDB's own `secantusd-py` program, with one narrow fix applied.

`python -m storage.secantusd_py [secantusd-py's arguments]` runs exactly `secantus.cli.main` (the program
the `secantusd-py` script runs) after one change to how it writes:

SecantusDB 0.7.0b3 reads its index catalog again for every document it writes — `_index_options_map`
walks the catalog table and decodes every index definition, and the insert path calls it three times
per document (the unique-key check, the geo pre-check, the index entries), although the chunk it is
writing already read the catalog once. For a collection with nine indexes that walk was the largest
single cost of a dispatch's bulk inserts (16 % of the server's CPU, `bench/secantus_index_options.py`
shows it alone). Here the map is remembered for the length of one insert chunk or one update, in the
writing thread, and read afresh by the next: the catalog cannot change in the middle of a write any
more than it could between the walks it replaces, and nothing outside one write sees the memo.

If the server's internals are not the ones this was written against, it runs unchanged and says so.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
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


def apply() -> bool:
    """Patch the server's storage class; False (and a warning) when it is not the expected shape."""
    from secantus import storage

    cls = getattr(storage, "Storage", None)
    needed = ("_index_options_map", "_insert_chunk", "update_matching")
    if cls is None or not all(callable(getattr(cls, name, None)) for name in needed):
        log.warning("SecantusDB's storage is not the expected shape: running it without the index-catalog memo")
        return False
    cls._index_options_map = _remembered(cls._index_options_map)
    cls._insert_chunk = _one_write(cls._insert_chunk)
    cls.update_matching = _one_write(cls.update_matching)
    return True


def main() -> int:
    from secantus.cli import main as secantusd_main

    apply()
    return int(secantusd_main() or 0)


if __name__ == "__main__":
    import sys

    sys.argv[0] = "secantusd-py"
    sys.exit(main())
