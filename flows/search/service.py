"""One search box: the documents a person may see, ranked and highlighted, and the people they look for.

Documents: the person's reader terms (`entries.py`) go into the tantivy query as a filter, so a
page of hits is a page of documents the person may open, and its total counts only those. Each
hit says from which side the person sees it (their own unit's document, or one received) so the
app opens the right screen. People: 通讯录's own search (by name or pinyin initials, lhw → 李华伟,
then post title, then unit name), the same for everyone, without mobile numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flows.search.index import Filters, SearchIndex, number_key
from flows.search.indexer import SearchIndexer
from oa.contacts import ContactBook
from oa.directory import Directory, Person
from oa.errors import InvalidInput
from oa.search_tokens import highlight, query_terms, snippet
from permissions.authorizer import EVERYWHERE, MEMBER_ROLE, Authorizer

MAX_QUERY = 100
PEOPLE_LIMIT = 8


@dataclass
class DocumentQuery:
    text: str = ""
    filters: Filters | None = None
    offset: int = 0
    limit: int = 20


class SearchService:
    def __init__(self, index: SearchIndex, indexer: SearchIndexer, authorizer: Authorizer,
                 directory: Directory, contacts: ContactBook) -> None:
        self.index = index
        self.contacts = contacts
        self.indexer = indexer
        self.authorizer = authorizer
        self.directory = directory

    async def reader_terms(self, user: dict[str, Any]) -> list[str] | None:
        """What opens a document to this person (None: every document, as when every member reads all)."""
        if self.authorizer.role_allows(MEMBER_ROLE, EVERYWHERE, "document", "read"):
            return None
        units = await self.authorizer.units_allowing(user, "document", "read")
        return [f"p:{user['_id']}", *(f"d:{unit}" for unit in units), *(f"r:{unit}" for unit in units)]

    async def documents(self, user: dict[str, Any], query: DocumentQuery) -> dict[str, Any]:
        text = query.text.strip()
        if len(text) > MAX_QUERY:
            raise InvalidInput(f"q must be at most {MAX_QUERY} characters")
        must_pairs, must_chars = query_terms(text)
        if text and not must_pairs and not must_chars:
            raise InvalidInput("q has no letters, digits or Chinese characters to search for")
        filters = query.filters or Filters()
        readers = await self.reader_terms(user)
        hits, total = await self.index.search(must_pairs, must_chars, readers, filters, query.offset, query.limit,
                                              number_key=number_key(text))
        own = set(readers or ())
        items = []
        for hit in hits:
            fields = hit.fields
            drafting = readers is None or f"d:{fields['drafting_unit_id']}" in own \
                or user["_id"] in fields["drafting_side"].split()
            items.append({
                "id": fields["id"], "title": fields["title"], "title_parts": highlight(fields["title"], text),
                "doc_number": fields["doc_number"], "doc_number_parts": highlight(fields["doc_number"], text),
                "issuers": fields["issuers"], "doc_type": fields["doc_type"], "status": fields["status"],
                "date": datetime.fromtimestamp(fields["at"], UTC).isoformat() if fields["at"] else None,
                "snippet_parts": highlight(snippet(fields["summary"], text), text) if text else [],
                "side": "drafting" if drafting else "receiving", "score": round(hit.score, 3)})
        return {"items": items, "total": total, "offset": query.offset, "limit": query.limit,
                "complete": self.indexer.ready}

    def people(self, text: str, limit: int = PEOPLE_LIMIT) -> list[dict[str, Any]]:
        """The first people 通讯录 finds for these words (name, initials, post, unit; `教育局 张`), the same
        for everyone and without mobile numbers: one people search in the product, `ContactBook.find`."""
        if not text.strip() or len(text) > MAX_QUERY:
            return []
        found, _ = self.contacts.find(text, 0, limit)
        return [_person_view(person, text) for person in found]


def _person_view(person: Person, text: str) -> dict[str, Any]:
    return {"id": person.id, "name": person.display_name, "name_parts": highlight(person.display_name, text),
            "username": person.username,
            "posts": [{"unit_id": post.unit_id, "unit_name": post.unit_name, "title": post.title,
                       "primary": post.primary} for post in person.held()]}
