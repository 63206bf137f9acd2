"""退回 to any earlier step: which steps of the path taken a task may send the flow back to.

A step is *earlier* when the flow already passed it on this instance's path and the current
step can be reached from it in the definition (so a step that only came before because of an
earlier return — 签发 before a 退回 to 核稿 — is not offered from 核稿). Automatic steps and
branches are never targets, nor is the current step itself. A step passed twice is offered
once, with who did it the last time.

Pure functions over the definition, the path and the instance's tasks: `flows.task_actions`
checks a chosen target here, and the task screen lists the choices from here.
"""

from __future__ import annotations

from typing import Any

from flows.spec import HUMAN_KINDS, nodes_by_id
from oa.errors import InvalidInput

KEYWORDS = ("previous", "start")


def successors(node: dict[str, Any]) -> list[str]:
    """The nodes a node can lead to (its `next`, or a branch's cases and default)."""
    found = [case["next"] for case in node.get("cases", [])]
    found += [target for target in (node.get("next"), node.get("default")) if target]
    return found


def leads_to(definition: dict[str, Any], start: str, goal: str) -> bool:
    """Can the flow get from `start` to `goal` by following the definition forward?"""
    nodes = nodes_by_id(definition)
    seen, frontier = {start}, [start]
    while frontier:
        node = nodes.get(frontier.pop())
        for target in successors(node) if node else []:
            if target == goal:
                return True
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return False


def earlier_steps(definition: dict[str, Any], instance: dict[str, Any]) -> list[dict[str, Any]]:
    """The steps the current one may return to, oldest first: each node's last pass on the path."""
    nodes = nodes_by_id(definition)
    current = instance["node"]
    latest: dict[str, dict[str, Any]] = {}
    for entry in instance["path"][:-1]:
        node = nodes.get(entry["node"])
        if node is None or node["kind"] not in HUMAN_KINDS or entry["node"] == current:
            continue
        if leads_to(definition, entry["node"], current):
            latest.pop(entry["node"], None)  # keep the order of the last passes
            latest[entry["node"]] = entry
    return list(latest.values())


def return_choices(definition: dict[str, Any], instance: dict[str, Any],
                   tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The earlier steps with who did them on their last pass (name, post, outcome, when)."""
    choices = []
    for entry in earlier_steps(definition, instance):
        done = [task for task in tasks if task["entry"] == entry["entry"] and task["status"] == "done"]
        choices.append({"node": entry["node"], "name": entry["name"], "kind": entry["kind"], "entry": entry["entry"],
                        "entered_at": entry["entered_at"], "left_at": entry.get("left_at"),
                        "done_by": [{**(task.get("done_by") or {}), "outcome": task.get("outcome"),
                                     "done_at": task.get("done_at"), "member_label": task.get("member_label")}
                                    for task in done]})
    return choices


def check_target(definition: dict[str, Any], instance: dict[str, Any], to: str) -> str | None:
    """None for `previous` / `start`; the node id of a chosen earlier step; 400 for anything else."""
    if to in KEYWORDS:
        return None
    if any(entry["node"] == to for entry in earlier_steps(definition, instance)):
        return to
    names = "、".join(f"{entry['name']}（{entry['node']}）" for entry in earlier_steps(definition, instance))
    raise InvalidInput(f"'{to}' is not an earlier step of this flow; it can go back to "
                       f"{names or 'no earlier step'} (or 'previous', 'start')", code="not_an_earlier_step",
                       field="to")
