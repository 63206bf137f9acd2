"""Request bodies checked against a declared shape: unknown keys and wrong types are refused by name.

This checks the envelope (which keys, which JSON types); the domain checks the meaning
(is the level valid, does the parent exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oa.errors import InvalidInput

JSON_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", list: "a list", dict: "an object",
                   type(None): "null"}
ITEM_NAMES = {str: "strings", int: "integers", bool: "true or false", list: "lists", dict: "objects"}


MAX_INT = 2**63 - 1


@dataclass(frozen=True)
class Field:
    types: tuple[type, ...]
    required: bool = False
    nullable: bool = False
    # For a list: the JSON type every item must have (None: any; the domain checks them).
    items: type | None = None


def required(*types: type, items: type | None = None) -> Field:
    return Field(types, required=True, items=items)


def optional(*types: type, nullable: bool = False, items: type | None = None) -> Field:
    return Field(types, required=False, nullable=nullable, items=items)


Shape = dict[str, Field]


def _matches(value: Any, types: tuple[type, ...]) -> bool:
    # JSON true is a Python int; never let it pass as a number.
    if isinstance(value, bool):
        return bool in types
    if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
        return False  # MongoDB stores 64-bit integers only
    return isinstance(value, types)


def check_shape(body: Any, shape: Shape) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    problems = [f"unknown field '{key}'" for key in body if key not in shape]
    for name, spec in shape.items():
        if name not in body:
            if spec.required:
                problems.append(f"'{name}' is required")
            continue
        value = body[name]
        if value is None and spec.nullable:
            continue
        if not _matches(value, spec.types):
            expected = " or ".join(JSON_TYPE_NAMES.get(kind, kind.__name__) for kind in spec.types)
            problems.append(f"'{name}' must be {expected}")
        elif spec.items is not None and isinstance(value, list) and not all(
                _matches(item, (spec.items,)) for item in value):
            problems.append(f"'{name}' must be a list of {ITEM_NAMES.get(spec.items, spec.items.__name__)}")
    if problems:
        raise InvalidInput("; ".join(problems), problems=problems)
    return body
