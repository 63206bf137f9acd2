"""Request bodies checked against a declared shape: unknown keys and wrong types are refused by name.

A handler declares its body as a `Shape` — field name to `required(...)`/`optional(...)` JSON
types — and each shape is compiled once into a msgspec Struct (forbidding unknown fields, 64-bit
integers only, bool never passing for a number) that does the checking; the same Struct gives
the JSON Schema that /api/openapi.json publishes (web/openapi.py), so the check and the contract
cannot drift apart. This checks the envelope (which keys, which JSON types); the domain checks the
meaning (is the level valid, does the parent exist).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Union

import msgspec

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


INT64 = Annotated[int, msgspec.Meta(ge=-MAX_INT, le=MAX_INT)]
PYTHON_TYPES: dict[type, Any] = {str: str, int: INT64, bool: bool, list: list[Any], dict: dict[str, Any],
                                 type(None): None}
MISSING_RE = re.compile(r"Object missing required field `(?P<name>[^`]+)`")
UNKNOWN_RE = re.compile(r"Object contains unknown field `(?P<name>[^`]+)`")
AT_RE = re.compile(r" - at `\$\.(?P<name>[^`\[.]+)(?P<item>\[\d+\])?")


def _annotation(spec: Field) -> Any:
    kinds = [PYTHON_TYPES[kind] for kind in spec.types]
    if spec.items is not None:
        kinds = [list[PYTHON_TYPES[spec.items]] if kind == list[Any] else kind for kind in kinds]
    if spec.nullable and None not in kinds:
        kinds.append(None)
    return kinds[0] if len(kinds) == 1 else Union[tuple(kinds)]  # noqa: UP007 (a runtime-built union)


@cache
def _struct(fields: frozenset[tuple[str, Field]]) -> type[msgspec.Struct]:
    ordered = sorted(fields, key=lambda item: (not item[1].required, item[0]))
    return msgspec.defstruct(
        "Body", [(name, _annotation(spec)) if spec.required else (name, _annotation(spec), msgspec.UNSET)
                 for name, spec in ordered],
        forbid_unknown_fields=True, kw_only=True)


def struct_of(shape: Shape) -> type[msgspec.Struct]:
    """The msgspec Struct a shape compiles to (one per distinct shape)."""
    return _struct(frozenset(shape.items()))


def json_schema(shape: Shape) -> dict[str, Any]:
    """The JSON Schema of a shape's body, as msgspec states it."""
    schema = msgspec.json.schema(struct_of(shape))
    if "$ref" in schema:
        schema = schema["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    schema.pop("title", None)
    return schema


def _problem(error: msgspec.ValidationError, shape: Shape) -> str:
    """msgspec's message in the words the rest of the API uses, naming the field."""
    text = str(error)
    if found := MISSING_RE.search(text):
        return f"'{found['name']}' is required"
    if found := UNKNOWN_RE.search(text):
        return f"unknown field '{found['name']}'"
    if (found := AT_RE.search(text)) and found["name"] in shape:
        spec = shape[found["name"]]
        if found["item"] and spec.items is not None:
            return f"'{found['name']}' must be a list of {ITEM_NAMES.get(spec.items, spec.items.__name__)}"
        kinds = [*spec.types, *((type(None),) if spec.nullable else ())]
        return f"'{found['name']}' must be " + " or ".join(JSON_TYPE_NAMES.get(kind, kind.__name__) for kind in kinds)
    return text


def check_shape(body: Any, shape: Shape) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    try:
        msgspec.convert(body, struct_of(shape), strict=True)
    except msgspec.ValidationError as error:
        problem = _problem(error, shape)
        raise InvalidInput(problem, problems=[problem]) from None
    return body
