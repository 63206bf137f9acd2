"""Branch conditions as data: field comparisons combined with all/any/not, never `eval`.

A condition reads either a document element (`{"field": "doc_type", "op": "eq", "value": "请示"}`)
or a run-time variable of the instance (`{"var": "countersign_units", "op": "not_empty"}`).
`condition_problems` checks one when a definition is published; `holds` decides it at run time.
"""

from __future__ import annotations

from typing import Any

# Document elements a branch may look at: the ones that decide routing in practice.
DOCUMENT_FIELDS = ("doc_type", "urgency", "direction", "disclosure", "title")
OPERATORS = ("eq", "ne", "in", "not_in", "empty", "not_empty")
UNARY = ("empty", "not_empty")


def condition_problems(condition: Any, variables: dict[str, str], where: str) -> list[str]:
    if not isinstance(condition, dict):
        return [f"{where}: a condition must be an object"]
    for combinator in ("all", "any"):
        if combinator in condition:
            parts = condition[combinator]
            if set(condition) != {combinator} or not isinstance(parts, list) or not parts:
                return [f"{where}: '{combinator}' takes a non-empty list of conditions and nothing else"]
            return [problem for part in parts for problem in condition_problems(part, variables, where)]
    if "not" in condition:
        if set(condition) != {"not"}:
            return [f"{where}: 'not' takes one condition and nothing else"]
        return condition_problems(condition["not"], variables, where)
    problems: list[str] = []
    sources = [key for key in ("field", "var") if key in condition]
    if len(sources) != 1:
        problems.append(f"{where}: a condition names exactly one of 'field' or 'var'")
    elif "field" in condition and condition["field"] not in DOCUMENT_FIELDS:
        problems.append(f"{where}: unknown document field {condition['field']!r} "
                        f"(one of {', '.join(DOCUMENT_FIELDS)})")
    elif "var" in condition and condition["var"] not in variables:
        problems.append(f"{where}: variable {condition['var']!r} is not declared in the flow's variables")
    op = condition.get("op")
    if op not in OPERATORS:
        problems.append(f"{where}: unknown operator {op!r} (one of {', '.join(OPERATORS)})")
    elif op in UNARY and "value" in condition:
        problems.append(f"{where}: operator {op!r} takes no value")
    elif op not in UNARY and "value" not in condition:
        problems.append(f"{where}: operator {op!r} needs a value")
    elif op in ("in", "not_in") and not isinstance(condition["value"], list):
        problems.append(f"{where}: operator {op!r} needs a list value")
    unknown = set(condition) - {"field", "var", "op", "value"}
    if unknown:
        problems.append(f"{where}: unknown condition keys {', '.join(sorted(unknown))}")
    return problems


def holds(condition: dict[str, Any], content: dict[str, Any], variables: dict[str, Any]) -> bool:
    if "all" in condition:
        return all(holds(part, content, variables) for part in condition["all"])
    if "any" in condition:
        return any(holds(part, content, variables) for part in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], content, variables)
    actual = content.get(condition["field"]) if "field" in condition else variables.get(condition["var"])
    op, value = condition["op"], condition.get("value")
    if op == "eq":
        return bool(actual == value)
    if op == "ne":
        return bool(actual != value)
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    empty = actual is None or actual == "" or actual == [] or actual == {}
    return empty if op == "empty" else not empty
