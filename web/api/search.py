"""/api/search: one search box for documents and people.

`GET /api/search?q=&type=&status=&issuer=&from=&to=&offset=&limit=` answers
`{documents: {items, total, offset, limit, complete}, people: [...]}`: the documents the caller may
see that contain every word of `q` (ranked, with highlighted title, number and snippet; newest
first when `q` is empty), and on the first page up to eight people whose name, pinyin initials,
username, post or unit matches. `complete` is false while the index is still being built at start.
"""

from __future__ import annotations

from datetime import timedelta

from flows.search.index import Filters
from flows.search.service import DocumentQuery
from oa.documents import STATUSES
from oa.errors import InvalidInput
from web.authz import authenticated
from web.base import APIHandler, china_midnight

MAX_FILTER_TEXT = 40


class SearchHandler(APIHandler):
    @authenticated
    async def get(self) -> None:
        offset, limit = self.paging()
        text = self.search_argument("q") or ""
        status = self.get_query_argument("status", None) or None
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)} (got {status[:40]!r})", field="status")
        since, until = self.date_argument("from"), self.date_argument("to")
        if since and until and until < since:
            raise InvalidInput("to must not be before from", field="to")
        filters = Filters(doc_type=self._short("type"), status=status, issuer=self._short("issuer"),
                          at_from=int(china_midnight(since).timestamp()) if since else None,
                          at_to=int(china_midnight(until + timedelta(days=1)).timestamp()) if until else None)
        search = self.services.search
        documents = await search.documents(self.require_user(), DocumentQuery(text, filters, offset, limit))
        people = search.people(text) if offset == 0 and text else []
        self.send_json({"documents": documents, "people": people})

    def _short(self, name: str) -> str | None:
        value = (self.get_query_argument(name, None) or "").strip()
        if len(value) > MAX_FILTER_TEXT:
            raise InvalidInput(f"query parameter '{name}' must be at most {MAX_FILTER_TEXT} characters", field=name)
        return value or None
