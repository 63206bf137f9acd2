"""Which people have a record in a small per-person collection (saved notification settings, subscribed
browsers), kept in memory.

Most people never save settings or subscribe a browser, yet a dispatch to every unit notifies 2,600
clerks at once: asking the database about each of them (a long `$in` per batch) cost it as much as
the dispatch's own receipts. Here the record ids and their people are loaded once and followed from the
change stream (`apply_change`, `reload` on a stream reset), so `among` answers from memory and the
database is asked only about the few who have records. This process's own writes are noted at once
(`noted`, `dropped`); other processes' arrive within the stream's latency. Changes that arrive while
the ids load are applied after the load, so none is lost.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from storage.mongo import AsyncCollection


class PeopleWithRecords:
    def __init__(self, collection: AsyncCollection, person_field: str) -> None:
        self.collection = collection
        self.person_field = person_field
        self._owner: dict[Any, str] | None = None  # record id → person; None until loaded
        self._records: Counter[str] = Counter()  # person → how many records
        self._arrived_while_loading: list[dict[str, Any]] | None = None
        self._loading = asyncio.Lock()

    async def among(self, people: list[str]) -> set[str]:
        """Those of `people` who have at least one record."""
        if self._owner is None:
            await self.reload()
        return {person for person in people if self._records[person] > 0}

    async def reload(self) -> None:
        async with self._loading:  # one load at a time, each with its own changes held back
            self._arrived_while_loading = arrived = []
            try:
                rows = await self.collection.find({}, {self.person_field: 1}).to_list(None)
                self._owner, self._records = {}, Counter()
                for row in rows:
                    self._set(row["_id"], row.get(self.person_field))
            finally:
                self._arrived_while_loading = None
            for change in arrived:
                self.apply_change(change)

    def noted(self, record_id: Any, person: str) -> None:
        """This process wrote the record (it belongs to `person`)."""
        if self._owner is not None:
            self._set(record_id, person)

    def dropped(self, record_id: Any) -> None:
        """This process deleted the record."""
        if self._owner is not None:
            self._set(record_id, None)

    def apply_change(self, change: dict[str, Any]) -> None:
        """A change of the collection from the stream (updates carry the record as it now is)."""
        if self._arrived_while_loading is not None:
            self._arrived_while_loading.append(change)
            return
        if self._owner is None:
            return  # not loaded yet: the load reads the current state
        record_id = (change.get("documentKey") or {}).get("_id")
        record = change.get("fullDocument")
        if change["operationType"] == "delete" or record is None:
            self._set(record_id, None)
        else:
            self._set(record_id, record.get(self.person_field))

    def _set(self, record_id: Any, person: str | None) -> None:
        assert self._owner is not None
        before = self._owner.pop(record_id, None)
        if before is not None:
            self._records[before] -= 1
            if self._records[before] <= 0:
                del self._records[before]
        if person is not None:
            self._owner[record_id] = person
            self._records[person] += 1
