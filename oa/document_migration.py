"""Bringing documents stored before issuers and recipients were authoritative up to the current shape.

Older documents could name an issuer or a recipient as free text (`{"unit_id": null, "name": …}`).
Each such entry becomes either a platform unit — when its name or 机关代字 matches exactly one unit
(an issuer only if the document's drafting unit may issue for that unit) — or a marked external
name, printed and never delivered or numbered with. Numbers already handed out stay in the ledger
untouched. `plan_document` is pure; DocumentService applies the plan and keeps a revision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oa.issuers import may_draft_for

MIGRATION_ID = "free-text-organs-v1"


@dataclass
class UnitIndex:
    """Active units by exact name and by exact 机关代字 (a name or code shared by two units matches none)."""

    by_name: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    by_code: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, units: list[dict[str, Any]]) -> UnitIndex:
        index = cls()
        for unit in units:
            if unit.get("status") != "active":
                continue
            index.by_name.setdefault(unit["name"], []).append(unit)
            if unit.get("code"):
                index.by_code.setdefault(unit["code"], []).append(unit)
        return index

    def match(self, name: str, code: str = "") -> dict[str, Any] | None:
        found = {unit["_id"]: unit for unit in self.by_name.get(name.strip(), [])}
        if code:
            found.update({unit["_id"]: unit for unit in self.by_code.get(code.strip(), [])})
        return next(iter(found.values())) if len(found) == 1 else None


@dataclass
class Report:
    documents: int = 0
    matched: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"documents changed: {self.documents}",
                f"free-text names matched to a platform unit: {len(self.matched)}",
                *(f"  {line}" for line in self.matched[:50]),
                f"free-text names kept as external (not matched, or not issuable by the drafter): "
                f"{len(self.external)}", *(f"  {line}" for line in self.external[:50])]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def readable_entries(value: Any) -> tuple[list[dict[str, Any]], bool]:
    """A stored list's entries as objects, and whether that changed anything: a bare name becomes a
    free-text entry; what is no list counts as empty; entries that name nothing are dropped."""
    entries = value if isinstance(value, list) else []
    readable = [{"name": entry} if isinstance(entry, str) else entry for entry in entries]
    readable = [entry for entry in readable if isinstance(entry, dict)
                and (not is_free_text(entry) or _text(entry.get("name")) or _text(entry.get("code")))]
    reshaped = not isinstance(value, list) or len(readable) != len(entries) or any(
        isinstance(entry, str) for entry in entries)
    return readable, reshaped


def is_free_text(entry: dict[str, Any]) -> bool:
    return not entry.get("unit_id") and not entry.get("external") and not any(
        key in entry for key in ("group", "subtree", "level", "type"))


def plan_document(document: dict[str, Any], drafting_unit: dict[str, Any], units: UnitIndex,
                  report: Report) -> dict[str, Any] | None:
    """The document's content with every free-text organ resolved, or None when nothing changes."""
    content = document.get("content") if isinstance(document.get("content"), dict) else {}
    changed = False
    where = f"{document['_id']} 《{_text(content.get('title'))}》"

    def issuer(entry: dict[str, Any]) -> dict[str, Any]:
        nonlocal changed
        if not is_free_text(entry):
            return entry
        changed = True
        name, code, mark = _text(entry.get("name")), _text(entry.get("code")), _text(entry.get("mark"))
        unit = units.match(name, code)
        if unit is not None and may_draft_for(drafting_unit, unit["_id"]):
            report.matched.append(f"{where} issuer {name or code} → {unit['_id']}")
            return {"unit_id": unit["_id"], "name": unit["name"], "mark": mark, "code": unit.get("code") or ""}
        report.external.append(f"{where} issuer {name or code}")
        return {"unit_id": None, "external": True, "name": name or code, "mark": mark, "code": ""}

    def recipient(entry: dict[str, Any]) -> dict[str, Any]:
        nonlocal changed
        if not is_free_text(entry):
            return entry
        changed = True
        name = _text(entry.get("name"))
        unit = units.match(name)
        if unit is not None:
            report.matched.append(f"{where} recipient {name} → {unit['_id']}")
            return {"unit_id": unit["_id"], "name": unit["name"]}
        report.external.append(f"{where} recipient {name}")
        return {"external": True, "name": name}

    lists: dict[str, list[dict[str, Any]]] = {}
    for key in ("issuers", "main_to", "copy_to"):
        lists[key], reshaped = readable_entries(content.get(key))
        changed = changed or reshaped
    issuers = [issuer(entry) for entry in lists["issuers"]]
    if issuers and not issuers[0].get("unit_id") and document.get("status") == "draft":
        # A draft cannot be numbered like this: its clerk chooses a platform issuer on the next edit.
        report.external.append(f"{where} has no platform lead issuer: choose one before numbering")
    new = {**content, "issuers": issuers, "main_to": [recipient(entry) for entry in lists["main_to"]],
           "copy_to": [recipient(entry) for entry in lists["copy_to"]]}
    if changed:
        report.documents += 1
        return new
    return None
