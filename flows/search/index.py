"""The search index: a tantivy index on this process's disk, rebuilt from the database and kept in step.

tantivy (the Rust engine behind Quickwit, through its Python binding) ranks by BM25 over the
character pairs of `oa.search_tokens`, with the title counting most, and filters by `readers`,
文种, status and date inside the same query. Each `oa serve` replica holds its own index under
its data directory: the database stays the only record, and the index is a read model that any
replica can rebuild. Calls into tantivy are blocking and run in an executor; writes are
serialised by one lock.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

from oa.search_tokens import normalise, pairs

WRITER_HEAP_BYTES = 20_000_000  # tantivy's floor is 15 MB per indexing thread
TITLE_BOOST = 4.0
NUMBER_BOOST = 50.0  # a query that is a document's whole 发文字号 puts that document first
ISSUER_BOOST = 2.0
STORED = ("id", "title", "doc_number", "issuers", "drafting_unit_id", "summary", "doc_type", "status",
          "drafting_side")


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    for name in ("title_terms", "body_terms", "issuer_terms"):
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("chars", tokenizer_name="whitespace", index_option="basic")
    for name in ("doc_type", "status"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("number_key", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("readers", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("at", stored=True, indexed=True, fast=True)
    for name in ("title", "doc_number", "issuers", "drafting_unit_id", "summary", "drafting_side"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw", index_option="basic")
    return builder.build()


@dataclass
class Filters:
    doc_type: str | None = None
    status: str | None = None
    issuer: str | None = None  # words of the 发文机关's name
    at_from: int | None = None  # seconds since the epoch, inclusive
    at_to: int | None = None  # exclusive

    def issuer_pairs(self) -> list[str]:
        return pairs(self.issuer) if self.issuer else []


@dataclass
class Hit:
    score: float
    fields: dict[str, Any]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def number_key(text: str) -> str:
    """A 发文字号 as compared: normalised (full-width folded), without spaces."""
    return "".join(normalise(text).split())


class SearchIndex:
    def __init__(self, parent: Path) -> None:
        # A fresh index for each process: the database is the record, and a stale copy could show
        # what a person may no longer see. Indexes left by processes that are gone are removed.
        parent.mkdir(parents=True, exist_ok=True)
        for old in parent.iterdir():
            pid = old.name.split("-", 1)[0]
            if not pid.isdigit() or not _alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
        self.directory = parent / f"{os.getpid()}-{secrets.token_hex(4)}"
        self.directory.mkdir()
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(self.directory))
        self._writer: Any = None
        self._lock = asyncio.Lock()

    async def replace(self, entries: Callable[[], list[dict[str, Any]]], deleted: list[str] = (),
                      commit: bool = True) -> None:
        """Write the entries `entries()` makes (replacing earlier ones of the same id), drop `deleted`, and
        commit unless asked not to (a rebuild commits every few thousand). Making the entries — splitting
        every text into its pairs — happens in the executor too, off the event loop."""
        async with self._lock:
            await asyncio.get_running_loop().run_in_executor(None, self._replace, entries, list(deleted), commit)

    def _replace(self, entries: Callable[[], list[dict[str, Any]]], deleted: list[str], commit: bool) -> None:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        made = entries()
        for doc_id in [*deleted, *(entry["id"] for entry in made)]:
            self._writer.delete_documents_by_term("id", doc_id)
        for entry in made:
            self._writer.add_document(tantivy.Document(**entry))
        if commit:
            self._writer.commit()
            self.index.reload()

    async def search(self, must_pairs: list[str], must_chars: list[str], readers: list[str] | None,
                     filters: Filters, offset: int, limit: int, number_key: str = "") -> tuple[list[Hit], int]:
        """Hits for every pair and character, among documents one of `readers` opens (None: no filter);
        the document whose 发文字号 is `number_key` (see `number_key()`) first."""
        return await asyncio.get_running_loop().run_in_executor(
            None, self._search, must_pairs, must_chars, readers, filters, offset, limit, number_key)

    def _search(self, must_pairs: list[str], must_chars: list[str], readers: list[str] | None,
                filters: Filters, offset: int, limit: int, number_key: str = "") -> tuple[list[Hit], int]:
        query = self._query(must_pairs, must_chars, readers, filters)
        if number_key and (must_pairs or must_chars):
            exact = tantivy.Query.boost_query(tantivy.Query.term_query(self.schema, "number_key", number_key),
                                              NUMBER_BOOST)
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Should, exact)])
        searcher = self.index.searcher()
        ranked = bool(must_pairs or must_chars)
        if ranked:
            result = searcher.search(query, limit=limit, offset=offset, count=True)
        else:  # nothing to rank by: newest first
            result = searcher.search(query, limit=limit, offset=offset, count=True, order_by_field="at")
        hits = []
        for score, address in result.hits:
            document = searcher.doc(address)
            fields = {name: (document[name][0] if document[name] else "") for name in STORED}
            fields["at"] = document["at"][0] if document["at"] else 0
            hits.append(Hit(float(score) if ranked else 0.0, fields))
        return hits, result.count

    def _query(self, must_pairs: list[str], must_chars: list[str], readers: list[str] | None,
               filters: Filters) -> tantivy.Query:
        term = tantivy.Query.term_query
        occur = tantivy.Occur
        clauses: list[tuple[Any, tantivy.Query]] = []
        for token in must_pairs:  # each pair in the title, the 发文机关 or the body; the title counts most
            clauses.append((occur.Must, tantivy.Query.boolean_query([
                (occur.Should, tantivy.Query.boost_query(term(self.schema, "title_terms", token), TITLE_BOOST)),
                (occur.Should, tantivy.Query.boost_query(term(self.schema, "issuer_terms", token), ISSUER_BOOST)),
                (occur.Should, term(self.schema, "body_terms", token))])))
        for char in must_chars:
            clauses.append((occur.Must, term(self.schema, "chars", char)))
        filters_only = []
        if readers is not None:
            filters_only.append(tantivy.Query.term_set_query(self.schema, "readers", readers))
        if filters.doc_type:
            filters_only.append(term(self.schema, "doc_type", filters.doc_type))
        if filters.status:
            filters_only.append(term(self.schema, "status", filters.status))
        for token in filters.issuer_pairs():
            filters_only.append(term(self.schema, "issuer_terms", token))
        if filters.at_from is not None or filters.at_to is not None:
            filters_only.append(tantivy.Query.range_query(
                self.schema, "at", tantivy.FieldType.Integer,
                filters.at_from if filters.at_from is not None else -(2 ** 62),
                (filters.at_to - 1) if filters.at_to is not None else 2 ** 62))
        clauses.extend((occur.Must, tantivy.Query.const_score_query(query, 0.0)) for query in filters_only)
        if not clauses:
            return tantivy.Query.all_query()
        if not must_pairs and not must_chars:
            clauses.append((occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(clauses)

    def count(self) -> int:
        return self.index.searcher().num_docs

    def close(self) -> None:
        self._writer = None
        shutil.rmtree(self.directory, ignore_errors=True)
