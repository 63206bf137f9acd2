"""A small collection held whole in memory by its owner, kept current by the change stream.

`all()` reads every record once and keeps them; `forget` (wired to the change stream with
`EventHub.follow`) drops them so the next read is fresh; `wrote` applies the owner's own write at
once. A generation counter, moved by every change learnt of, makes sure a read that overlapped a
change or a write is not kept, and a write that overlapped a change is not applied to a copy that
may predate it (the copy is dropped instead).
"""

from __future__ import annotations

from typing import Any

from storage.mongo import Collection


class HeldCollection:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self._held: dict[Any, dict[str, Any]] | None = None  # every record, by _id
        self.generation = 0

    def forget(self, change: dict[str, Any] | None = None) -> None:
        """The records changed (the stream says so, or it restarted): read them again when next needed."""
        self._held = None
        self.generation += 1

    async def reload(self) -> None:
        self.forget()

    async def all(self) -> dict[Any, dict[str, Any]]:
        held = self._held
        if held is None:
            generation = self.generation
            held = {record["_id"]: record for record in await self.collection.find({}).to_list(None)}
            if generation == self.generation:  # not changed again while the read was under way
                self._held = held
        return held

    def wrote(self, record_id: Any, record: dict[str, Any] | None, generation: int) -> None:
        """The owner stored `record` (None: deleted it), having read `generation` before writing."""
        if self._held is None or generation != self.generation:
            # Something else changed meanwhile: what is held may predate this write; read afresh.
            self.forget()
            return
        if record is None:
            self._held.pop(record_id, None)
        else:
            self._held[record_id] = record
        self.generation += 1  # a read begun before this write must not be kept
