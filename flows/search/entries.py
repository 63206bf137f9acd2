"""What the search index holds for one document: its words, its facts to filter on, and who may find it.

`readers` mirrors the rule of `flows/access.py` as index terms, so permission filtering happens
inside the search itself:
- `d:{unit}` the drafting unit: its people whose role reads documents there (the drafting side);
- `r:{unit}` each unit that received it and did not send it back (the receiving side);
- `p:{person}` everyone the document's flows involved, on either side.
A person's own terms (`reader_terms`) are built the same way from their roles, and a hit must share
one of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flows.search.index import number_key
from oa.search_tokens import characters, pairs

SUMMARY_CHARS = 400  # the stored start of the body, from which the result snippet is cut


def _names(items: list[dict[str, Any]]) -> list[str]:
    return [item.get("name") or "" for item in items if isinstance(item, dict)]


def _when(document: dict[str, Any]) -> datetime:
    """The date a person searches by: the written date of an issued document, else its last change."""
    written = document["content"].get("written_date")
    if written:
        try:
            return datetime.fromisoformat(written).replace(tzinfo=UTC)
        except ValueError:
            pass
    when = document.get("issued_at") or document.get("updated_at") or document.get("created_at")
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def document_entry(document: dict[str, Any], receiving_units: set[str], participants: set[str]) -> dict[str, Any]:
    """The index entry of `document`, given who received it and who took part in its flows."""
    content = document["content"]
    title = content.get("title") or ""
    number = content.get("doc_number") or ""
    issuers = [name for name in _names(content.get("issuers", [])) if name]
    body = "\n".join(paragraph.get("text", "") for paragraph in content.get("body", []))
    attachments = " ".join(item.get("title") or "" for item in content.get("attachments", []))
    readers = {f"d:{document['drafting_unit_id']}"} | {f"r:{unit}" for unit in receiving_units}
    readers |= {f"p:{person}" for person in set(document.get("participants", ())) | participants}
    return {
        "id": document["_id"],
        "title_terms": " ".join(pairs(title + " " + number)),
        "chars": " ".join(characters(title + " " + number + " " + content.get("doc_type", ""))),
        "body_terms": " ".join(pairs(body + " " + attachments)),
        "issuer_terms": " ".join(pairs(" ".join(issuers))),
        "number_key": number_key(number),
        "doc_type": content.get("doc_type") or "",
        "status": document.get("status") or "",
        "at": int(_when(document).timestamp()),
        "readers": sorted(readers),
        # Shown in results without reading the database again.
        "title": title, "doc_number": number, "issuers": "、".join(issuers),
        "drafting_unit_id": document["drafting_unit_id"], "summary": body[:SUMMARY_CHARS],
        "drafting_side": " ".join(sorted(document.get("participants", ()))),
    }
