"""Reading an org hierarchy from CSV or JSON into rows that remember where they came from.

Parsing never stops at the first problem: every row keeps its file name and line number so
validation can report all bad rows at once. The formats are described in docs/import-format.md.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from oa.errors import ImportRejected

UNIT_COLUMNS = ("id", "name", "short_name", "type", "level", "parent", "code", "flags", "vertical_parent", "sort")
PEOPLE_COLUMNS = ("username", "display_name", "mobile", "password", "unit", "title", "roles", "primary")
# Columns a file may leave out (files written before they existed stay valid).
OPTIONAL_PEOPLE_COLUMNS = ("office_phone",)
TRUE_WORDS = {"yes", "y", "true", "1", "是"}
FALSE_WORDS = {"no", "n", "false", "0", "否", ""}


@dataclass
class Row:
    source: str
    line: int
    data: dict[str, Any]
    lines: list[int] = field(default_factory=list)

    def where(self) -> str:
        lines = self.lines or [self.line]
        return f"{self.source} line {', '.join(str(n) for n in lines)}"


@dataclass
class ImportInput:
    units: list[Row] = field(default_factory=list)
    people: list[Row] = field(default_factory=list)
    # Problems found while reading (bad JSON, wrong columns, unreadable values).
    problems: list[dict[str, Any]] = field(default_factory=list)


def problem(source: str, line: int | list[int], reason: str) -> dict[str, Any]:
    return {"file": source, "line": line, "reason": reason}


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("；", ";").replace("、", ";").split(";") if part.strip()]


def _unit_from_mapping(raw: dict[str, Any]) -> dict[str, Any]:
    """Import field names (`parent`, `vertical_parent`) to the unit's own (`parent_id`…)."""
    return {
        "id": raw.get("id"),
        "name": raw.get("name"),
        "short_name": raw.get("short_name") or None,
        "type": raw.get("type"),
        "level": raw.get("level"),
        "parent_id": raw.get("parent") or None,
        "code": raw.get("code") or None,
        "flags": raw.get("flags") or [],
        "vertical_parent_id": raw.get("vertical_parent") or None,
        "sort": raw.get("sort") or 0,
    }


def _read_csv(text: str, source: str, expected: tuple[str, ...], out: ImportInput,
              optional: tuple[str, ...] = ()) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in expected if name not in header]
    unknown = [name for name in header if name not in expected and name not in optional]
    if missing or unknown:
        detail = []
        if missing:
            detail.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            detail.append(f"unknown columns: {', '.join(unknown)}")
        out.problems.append(problem(source, 1, "; ".join(detail) + f" (expected {','.join(expected)})"))
        return []
    reader.fieldnames = header
    rows = []
    for raw in reader:
        if None in raw:
            out.problems.append(problem(source, reader.line_num, "more values than columns"))
            continue
        row = {name: "" for name in optional}
        row.update({key: (value or "").strip() for key, value in raw.items()})
        rows.append((reader.line_num, row))
    return rows


def parse_units_csv(text: str, source: str, out: ImportInput) -> None:
    for line, raw in _read_csv(text, source, UNIT_COLUMNS, out):
        data = _unit_from_mapping({**raw, "flags": _split(raw["flags"])})
        try:
            data["sort"] = int(raw["sort"]) if raw["sort"] else 0
        except ValueError:
            out.problems.append(problem(source, line, f"sort must be an integer (got {raw['sort']!r})"))
            continue
        out.units.append(Row(source, line, data))


def parse_people_csv(text: str, source: str, out: ImportInput) -> None:
    """One CSV row per post; rows sharing a username become one person with several posts."""
    by_username: dict[str, Row] = {}
    for line, raw in _read_csv(text, source, PEOPLE_COLUMNS, out, OPTIONAL_PEOPLE_COLUMNS):
        primary = raw["primary"].lower()
        if primary not in TRUE_WORDS | FALSE_WORDS:
            out.problems.append(problem(source, line, f"primary must be yes or no (got {raw['primary']!r})"))
            continue
        post = {"unit": raw["unit"], "title": raw["title"], "roles": _split(raw["roles"]),
                "primary": primary in TRUE_WORDS}
        person = by_username.get(raw["username"])
        if person is None:
            person = Row(source, line, {"username": raw["username"], "display_name": raw["display_name"],
                                        "mobile": raw["mobile"] or None,
                                        "office_phone": raw["office_phone"] or None,
                                        "password": raw["password"] or None,
                                        "posts": []}, lines=[])
            by_username[raw["username"]] = person
            out.people.append(person)
        elif raw["display_name"] and raw["display_name"] != person.data["display_name"]:
            out.problems.append(problem(source, line, f"username {raw['username']} appears with two display names"))
        person.lines.append(line)
        person.data["posts"].append(post)


def parse_json(text: str, source: str, out: ImportInput) -> None:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        out.problems.append(problem(source, exc.lineno, f"not valid JSON: {exc.msg}"))
        return
    parse_mapping(document, source, out)


def parse_mapping(document: Any, source: str, out: ImportInput) -> None:
    """The JSON shape `{units: [...], people: [...]}` already decoded (also used by the API)."""
    if not isinstance(document, dict) or set(document) - {"units", "people"}:
        out.problems.append(problem(source, 1, "expected an object with 'units' and/or 'people' lists only"))
        return
    for kind in ("units", "people"):
        rows = document.get(kind, [])
        if not isinstance(rows, list):
            out.problems.append(problem(source, 1, f"'{kind}' must be a list"))
            continue
        for index, raw in enumerate(rows, start=1):
            label = f"{source} {kind}"
            if not isinstance(raw, dict):
                out.problems.append(problem(label, index, "each entry must be an object"))
                continue
            types = UNIT_FIELD_TYPES if kind == "units" else PERSON_FIELD_TYPES
            unknown = sorted(set(raw) - set(types))
            if unknown:
                out.problems.append(problem(label, index, f"unknown fields: {', '.join(unknown)}"))
                continue
            wrong = _wrong_types(types, raw)
            if wrong:
                out.problems.extend(problem(label, index, reason) for reason in wrong)
            elif kind == "units":
                out.units.append(Row(label, index, _unit_from_mapping(raw)))
            else:
                out.people.append(Row(label, index, dict(raw)))


# The JSON type of each field of a row, and of the items of its lists: checked before any rule
# compares, hashes or iterates a value (null means "not given" and is left to those rules).
UNIT_FIELD_TYPES: dict[str, tuple[type, type | None]] = {
    "id": (str, None), "name": (str, None), "short_name": (str, None), "type": (str, None), "level": (str, None),
    "parent": (str, None), "code": (str, None), "flags": (list, str), "vertical_parent": (str, None),
    "sort": (int, None)}
PERSON_FIELD_TYPES: dict[str, tuple[type, type | None]] = {
    "username": (str, None), "display_name": (str, None), "mobile": (str, None), "office_phone": (str, None),
    "password": (str, None), "posts": (list, dict), "system_admin": (bool, None)}
TYPE_NAMES = {str: "text", int: "an integer", float: "a number", bool: "true or false", list: "a list",
              dict: "an object"}


def _wrong_types(types: dict[str, tuple[type, type | None]], raw: dict[str, Any]) -> list[str]:
    """One reason per field of the wrong JSON type, naming the field (true is not an integer here)."""
    def fits(value: Any, kind: type) -> bool:
        return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))

    reasons = []
    for name, (kind, item_kind) in types.items():
        value = raw.get(name)
        if value is None:
            continue
        if not fits(value, kind):
            reasons.append(f"{name} must be {TYPE_NAMES[kind]} (got {TYPE_NAMES.get(type(value), 'something else')})")
        elif item_kind is not None and not all(fits(item, item_kind) for item in value):
            reasons.append(f"{name} must be a list of {'objects' if item_kind is dict else TYPE_NAMES[item_kind]}")
    return reasons


def read_files(units_file: tuple[str, str] | None, people_file: tuple[str, str] | None = None) -> ImportInput:
    """Parse `(name, text)` pairs; a .json file may hold both units and people."""
    out = ImportInput()
    if units_file:
        name, text = units_file
        if name.lower().endswith(".json"):
            parse_json(text, name, out)
        elif name.lower().endswith(".csv"):
            parse_units_csv(text, name, out)
        else:
            raise ImportRejected(f"{name}: the file must end in .csv or .json", errors=[])
    if people_file:
        name, text = people_file
        if name.lower().endswith(".json"):
            parse_json(text, name, out)
        else:
            parse_people_csv(text, name, out)
    return out
