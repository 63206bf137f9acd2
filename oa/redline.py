"""修订留痕: a paragraph-level diff between two revisions that says who inserted and deleted what.

Comparing only the two ends would blame every change on the last author. Instead the changes
are replayed revision by revision: each paragraph remembers the revision (and author) that
inserted it, and each paragraph of the older revision that disappears remembers who deleted it.
A paragraph inserted and deleted again between the two ends never shows. An edited paragraph
is a deletion of the old text plus an insertion of the new one, as in Word's track changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any


@dataclass
class Mark:
    level: int
    text: str
    op: str = "equal"  # equal | insert | delete
    by: dict[str, Any] | None = None  # author of the revision that inserted or deleted it
    at: Any = None
    version: int | None = None

    @property
    def key(self) -> tuple[int, str]:
        return self.level, self.text


def _stamp(mark: Mark, op: str, revision: dict[str, Any]) -> Mark:
    mark.op, mark.by, mark.at, mark.version = op, revision["by"], revision["at"], revision["version"]
    return mark


def _step(marks: list[Mark], revision: dict[str, Any]) -> list[Mark]:
    """Apply the next revision's body to the marked paragraphs."""
    live = [index for index, mark in enumerate(marks) if mark.op != "delete"]
    new_body = [(paragraph["level"], paragraph["text"]) for paragraph in revision["content"]["body"]]
    matcher = SequenceMatcher(a=[marks[index].key for index in live], b=new_body, autojunk=False)
    inserted_before: dict[int, list[Mark]] = {}  # position in `marks` -> paragraphs to insert before it
    dropped: set[int] = set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            for index in live[i1:i2]:
                if marks[index].op == "insert":
                    dropped.add(index)  # inserted after the base revision and gone again
                else:
                    _stamp(marks[index], "delete", revision)
        if tag in ("insert", "replace"):
            anchor = live[i2] if i2 < len(live) else len(marks)
            inserted_before.setdefault(anchor, []).extend(
                _stamp(Mark(level, text), "insert", revision) for level, text in new_body[j1:j2])
    result: list[Mark] = []
    for index in range(len(marks) + 1):
        result.extend(inserted_before.get(index, []))
        if index < len(marks) and index not in dropped:
            result.append(marks[index])
    return result


# The 版式 and its form's fields (令号, 签发人职务; a 纪要's meeting, 期号, 出席/请假/列席) are tracked as any
# other field; an attachment's own text shows as a change of `attachments`.
FIELD_NAMES = ("doc_type", "title", "issuers", "main_to", "copy_to", "note", "signers", "written_date", "printer",
               "printed_date", "copy_number", "urgency", "disclosure", "contact", "direction", "attachments",
               "doc_number", "form", "order_number", "signer_title", "meeting", "minutes_number", "attendees",
               "absent", "attending")


def redline(revisions: list[dict[str, Any]]) -> dict[str, Any]:
    """The tracked changes from revisions[0] to revisions[-1] (consecutive, oldest first)."""
    base = revisions[0]
    marks = [Mark(paragraph["level"], paragraph["text"]) for paragraph in base["content"]["body"]]
    field_changes: dict[str, dict[str, Any]] = {}
    previous = base
    for revision in revisions[1:]:
        marks = _step(marks, revision)
        for name in FIELD_NAMES:
            before, after = previous["content"].get(name), revision["content"].get(name)
            if before != after:
                first = field_changes.get(name, {"field": name, "from": before})
                field_changes[name] = {**first, "to": after, "by": revision["by"], "at": revision["at"],
                                       "version": revision["version"]}
        previous = revision
    changes = [change for change in field_changes.values() if change["from"] != change["to"]]
    paragraphs = [{"op": mark.op, "level": mark.level, "text": mark.text, "by": mark.by, "at": mark.at,
                   "version": mark.version} for mark in marks]
    return {
        "from_version": base["version"], "to_version": revisions[-1]["version"],
        "paragraphs": paragraphs, "fields": changes,
        "inserted": sum(1 for mark in marks if mark.op == "insert"),
        "deleted": sum(1 for mark in marks if mark.op == "delete"),
    }
