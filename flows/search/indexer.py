"""Keeps the search index in step with the database.

At start the whole index is built from the documents, their receipts and their flows, page by page
in the background (a search meanwhile says the index is still being built), reading receipts a couple
of thousand at a time and pausing as long after each read, so people's requests are answered meanwhile.

After that, the change stream the process already runs for pushes tells it which documents changed — a
document's own edits and status, a receipt (a unit received it, or sent it back), a flow (a person took
part) — and each changed document is derived again from the owners of those records and written to the
index, batched, within about half a second of the commit. A receipt that only adds a receiving unit to a
document written moments ago (a dispatch's chunks arrive one after another) is applied to what was
derived then, without reading the document, its receipts and flows again, once such receipts stop
arriving for a moment (within about 6 s): a dispatch to every unit rewrites the document once or twice,
not once per chunk. A change to one document in the middle of a rebuild waits for the rebuild and is
applied after it, so nothing is lost. When the stream had
to restart without its resume point, the index is rebuilt. An update of a receipt or a flow comes from
the stream as its key only: which document it belongs to is read here, for all such updates at once,
before the batch is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from typing import Any

from flows.exchange.board import ExchangeQueries
from flows.exchange.records import GONE
from flows.queries import FlowQueries
from flows.search.entries import document_entry
from flows.search.index import SearchIndex
from oa.documents import DocumentService

log = logging.getLogger("oa.search")

FLUSH_DELAY_S = 0.3
UNITS_QUIET_S = 1.5  # further receiving units are written once none arrived for this long…
UNITS_WAIT_MAX_S = 6.0  # …or after this long
BUILD_PAGE = 500
BUILD_RECEIPTS_PER_READ = 2000  # a rebuild reads about this many receipts at a time, then pauses as long
BUILD_COMMIT_EVERY = 10_000  # a rebuild commits (and shows what it has) every this many documents
FOLLOWED = ("documents", "receipts", "flow_instances")
REMEMBERED = 16  # recently derived documents kept, so a receipt's further unit needs no reads


class SearchIndexer:
    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self.documents: DocumentService | None = None
        self.exchange: ExchangeQueries | None = None
        self.flows: FlowQueries | None = None
        self.ready = False  # the first build has finished
        self.built_in_s: float | None = None
        self._noted = 0  # changes noted so far (to tell when a dispatch's receipts stop arriving)
        self.applied_without_reads = 0  # documents updated from the change alone (a further receiving unit)
        # Document id → units that received it since it was last derived, or None: derive it again.
        self._dirty: dict[str, set[str] | None] = {}
        # Receipts and flows updated since the last write, by key: their documents are read in one go.
        self._updated: dict[str, set[str]] = {"receipts": set(), "flow_instances": set()}
        # Recently derived documents: (document, receiving units, flow participants).
        self._known: OrderedDict[str, tuple[dict[str, Any], set[str], set[str]]] = OrderedDict()
        self._wake = asyncio.Event()
        self._rebuild = True
        self._writing = False
        self._task: asyncio.Task[None] | None = None

    def on_change(self, change: dict[str, Any]) -> None:
        """A change from the stream: note which document it concerns, and what changed if that is all."""
        collection = change["ns"]["coll"]
        if collection == "documents":
            self._note(change["documentKey"]["_id"])
            return
        full = change.get("fullDocument")
        if full is None:
            if change.get("operationType") == "update" and collection in self._updated:
                self._updated[collection].add(change["documentKey"]["_id"])
                self._noted += 1
                self._wake.set()
            return  # a delete: the document's own change (or the flow's end) says what changed
        self._note_record(collection, full)

    def _note_record(self, collection: str, record: dict[str, Any]) -> None:
        doc_id = record.get("document_id")
        if not doc_id:
            return
        if collection == "receipts" and record.get("status") not in GONE:
            self._note(doc_id, record.get("unit_id"))
        else:  # a flow (who takes part), or a receipt sent back or recalled
            self._note(doc_id)

    async def _read_updated(self) -> None:
        """Note the documents of the receipts and flows updated since the last write."""
        receipts, instances = self._updated["receipts"], self._updated["flow_instances"]
        self._updated = {"receipts": set(), "flow_instances": set()}
        for record in await self.exchange.receipt_places(sorted(receipts)) if receipts else ():
            self._note_record("receipts", record)
        for record in await self.flows.instance_documents(sorted(instances)) if instances else ():
            self._note_record("flow_instances", record)

    def _note(self, doc_id: str, received_by: str | None = None) -> None:
        self._noted += 1
        units = self._dirty.get(doc_id, set())
        if received_by is None or doc_id not in self._known or units is None:
            self._dirty[doc_id] = None
        else:
            units.add(received_by)
            self._dirty[doc_id] = units
        self._wake.set()

    async def on_reset(self) -> None:
        self._rebuild = True
        self._wake.set()

    def start(self, documents: DocumentService, exchange: ExchangeQueries, flows: FlowQueries) -> None:
        """Build the index and follow changes. `on_change` may be called before: the build covers those."""
        self.documents, self.exchange, self.flows = documents, exchange, flows
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.index.close()

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until the index holds every change noted so far (for tools and tests)."""
        deadline = time.monotonic() + timeout
        while (self._rebuild or self._writing or self._dirty or any(self._updated.values()) or self._wake.is_set()) \
                and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def _run(self) -> None:
        while True:
            try:
                if self._rebuild:
                    self._writing, self._rebuild = True, False
                    await self._build_all()
                    self._writing = False
                await self._wake.wait()
                await asyncio.sleep(FLUSH_DELAY_S)  # a dispatch's receipts arrive together: one write
                await self._while_units_keep_arriving()
                self._writing = True
                self._wake.clear()
                await self._read_updated()
                if not self._rebuild and self._dirty:
                    dirty, self._dirty = self._dirty, {}
                    await self._write(dirty)
                self._writing = False
            except asyncio.CancelledError:
                raise
            except Exception:
                # The index is a read model: a failed write is logged and retried, never lost.
                log.exception("search index update failed; rebuilding it")
                self._writing, self._rebuild = False, True
                self._known.clear()
                await asyncio.sleep(1.0)

    async def _while_units_keep_arriving(self) -> None:
        """When all that waits is further receiving units (a dispatch's chunks, about one a second), wait
        until they stop for a moment, up to a few seconds: the document is written once or twice for a
        dispatch to every unit rather than once per chunk, each time with every unit so far."""
        started = time.monotonic()
        while self._dirty and None not in self._dirty.values() and time.monotonic() - started < UNITS_WAIT_MAX_S:
            noted = self._noted
            await asyncio.sleep(UNITS_QUIET_S)
            if self._noted == noted:
                return

    async def _build_all(self) -> None:
        started = time.monotonic()
        count = 0
        async for page in self.documents.every_document(BUILD_PAGE):
            count += len(page)
            await self._write_documents(page, commit=count % BUILD_COMMIT_EVERY < BUILD_PAGE, gently=True)
        await self.index.replace(list, commit=True)
        self.built_in_s = time.monotonic() - started
        self.ready = True
        log.info("search index built: %d documents in %.1f s", count, self.built_in_s)

    async def _write(self, dirty: dict[str, set[str] | None]) -> None:
        known = {doc_id: units for doc_id, units in dirty.items() if units is not None and doc_id in self._known}
        again = sorted(set(dirty) - set(known))
        for start in range(0, len(again), BUILD_PAGE):
            chunk = again[start:start + BUILD_PAGE]
            found = await self.documents.find_many(chunk)
            gone = sorted(set(chunk) - {document["_id"] for document in found})
            for doc_id in gone:
                self._known.pop(doc_id, None)
            await self._write_documents(found, gone, remember=True)
        if known:
            derived = []
            for doc_id, units in known.items():
                document, receiving, taking_part = self._known[doc_id]
                receiving |= units
                derived.append((document, set(receiving), taking_part))
            await self.index.replace(lambda: [document_entry(*item) for item in derived])
            self.applied_without_reads += len(derived)

    async def _write_documents(self, documents: list[dict[str, Any]], gone: list[str] = (),
                               commit: bool = True, remember: bool = False, gently: bool = False) -> None:
        ids = [document["_id"] for document in documents]
        # A rebuild reads receipts in slices, leaving the database to people's requests half the time.
        slicing = (BUILD_RECEIPTS_PER_READ, asyncio.sleep) if gently else ()
        receiving = await self.exchange.receiving_units(ids, *slicing) if ids else {}
        taking_part = await self.flows.participants_by_document(ids) if ids else {}
        if remember:
            for document in documents:
                self._known[document["_id"]] = (document, receiving[document["_id"]], taking_part[document["_id"]])
                self._known.move_to_end(document["_id"])
            while len(self._known) > REMEMBERED:
                self._known.popitem(last=False)

        def entries() -> list[dict[str, Any]]:
            return [document_entry(document, receiving[document["_id"]], taking_part[document["_id"]])
                    for document in documents]

        await self.index.replace(entries, list(gone), commit=commit)
