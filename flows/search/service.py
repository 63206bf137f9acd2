"""One search box: the documents a person may see, ranked and highlighted, and the people they look for.

Documents: the person's reader terms (`entries.py`) go into the tantivy query as a filter, so a
page of hits is a page of documents the person may open, and its total counts only those. Each
hit says from which side the person sees it (their own unit's document, or one received) so the
app opens the right screen. People: by name, pinyin initials (lhw → 李华伟) or username from the
directory in memory, then by post title or unit name; the same for everyone, without mobile numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flows.search.index import Filters, SearchIndex, number_key
from flows.search.indexer import SearchIndexer
from oa.directory import Directory, Person
from oa.errors import InvalidInput
from oa.search_tokens import highlight, query_terms, snippet
from permissions.authorizer import EVERYWHERE, MEMBER_ROLE, Authorizer

MAX_QUERY = 100
PEOPLE_LIMIT = 8
UNITS_SCANNED = 50  # a word naming more units than this is too broad to list their people


@dataclass
class DocumentQuery:
    text: str = ""
    filters: Filters | None = None
    offset: int = 0
    limit: int = 20


class SearchService:
    def __init__(self, index: SearchIndex, indexer: SearchIndexer, authorizer: Authorizer,
                 directory: Directory) -> None:
        self.index = index
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
        """People by name, initials or username; or, when words name a unit (教育局 张), the people there.

        Every word must match the person's name, initials or username, or the name of a unit they
        hold a post in; the candidates come from the directory's name index or from the members of the
        units named, so nothing walks every person.
        """
        words = text.strip().lower().split()
        if not words or len(text) > MAX_QUERY:
            return []
        units = [unit["_id"] for unit in self.directory.all_units()
                 if unit.get("status") == "active" and any(len(word) > 1 and word in unit["name"] for word in words)
                 ][:UNITS_SCANNED]
        if units:
            members = {member for unit in units for member in self.directory.members_of(unit)}
            candidates = [person for person in self.directory.people(members).values() if person.active]
        else:
            candidates, _ = self.directory.search_people(words[0], limit=limit * 4)
        chosen = []
        for person in sorted(candidates, key=lambda item: item.username):
            if all(word in person.search_key or any(word in post.unit_name for post in person.held())
                   for word in words):
                chosen.append(person)
                if len(chosen) >= limit:
                    break
        return [_person_view(person, text) for person in chosen]


def _person_view(person: Person, text: str) -> dict[str, Any]:
    return {"id": person.id, "name": person.display_name, "name_parts": highlight(person.display_name, text),
            "username": person.username,
            "posts": [{"unit_id": post.unit_id, "unit_name": post.unit_name, "title": post.title,
                       "primary": post.primary} for post in person.held()]}
