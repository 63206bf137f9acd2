"""Flow definitions as data: the node kinds, and the checks a definition must pass to be published.

A definition is a graph of nodes joined by `next`. Work happens at task, sign-off and countersign
nodes; branch nodes choose a path by a condition on the document or the run-time variables; auto
nodes call a document action; the flow ends at an end node. Parallel work exists only *inside* a
countersign node (its members), never as parallel branches of the graph, so returning or
withdrawing never has to rejoin half-finished branches — the failure of generic BPMN engines on
公文 routing.

`definition_problems` lists everything wrong, each problem naming its node, so an admin can fix a
definition in one go.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from flows.assignees import ROLES, VARIABLE_TYPES, fixed_references, rule_problems
from flows.conditions import condition_problems
from flows.outcomes import ON_DISAGREE
from oa.errors import InvalidInput

NODE_KINDS = ("start", "task", "signoff", "countersign", "branch", "auto", "end")
HUMAN_KINDS = ("start", "task", "signoff", "countersign")
COUNTERSIGN_MODES = ("parallel", "sequential", "lead")
AUTO_ACTIONS = ("number", "render", "dispatch", "archive")
OVERRIDABLE = ("deadline", "role")
CATEGORIES = ("发文", "收文", "传阅")
DEADLINE_UNITS = ("hours", "days")
NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FLOW_KEY = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
NODE_KEYS = {
    "start": {"next"},
    "task": {"next", "assignee", "deadline", "overridable", "action_label", "chooses"},
    "signoff": {"next", "assignee", "deadline", "overridable", "action_label", "chooses"},
    "countersign": {"next", "members", "lead", "mode", "rule", "deadline", "overridable", "action_label",
                    "on_disagree", "chooses"},
    "branch": {"cases", "default"},
    "auto": {"next", "action"},
    "end": set(),
}


def node_label(node: dict[str, Any]) -> str:
    return f"node '{node.get('id')}' ({node.get('name', '')})"


def deadline_problems(deadline: Any, where: str) -> list[str]:
    if not isinstance(deadline, dict):
        return [f"{where}: deadline must be an object such as {{'hours': 4}} or {{'days': 2}}"]
    units = [unit for unit in DEADLINE_UNITS if unit in deadline]
    problems = []
    if len(units) != 1:
        problems.append(f"{where}: a deadline has exactly one of 'hours' (working hours) or 'days' (working days)")
    for unit in units:
        value = deadline[unit]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1000:
            problems.append(f"{where}: deadline {unit} must be a number between 0 and 1000 (got {value!r})")
        elif unit == "days" and not float(value).is_integer():
            problems.append(f"{where}: deadline days must be a whole number of working days (got {value!r})")
    if "escalate_after" in deadline:
        problems += deadline_problems(deadline["escalate_after"], f"{where} escalate_after")
        if "escalate_after" in deadline.get("escalate_after", {}):
            problems.append(f"{where}: escalate_after cannot nest")
    unknown = set(deadline) - {*DEADLINE_UNITS, "escalate_after"}
    if unknown:
        problems.append(f"{where}: unknown deadline keys {', '.join(sorted(unknown))}")
    return problems


def completion_rule_problems(rule: Any, where: str) -> list[str]:
    if rule in ("all", "any"):
        return []
    if isinstance(rule, dict) and set(rule) == {"n"} and isinstance(rule["n"], int) and rule["n"] >= 1:
        return []
    return [f"{where}: rule must be 'all', 'any' or {{'n': N}} with N at least 1"]


def chooses_problems(chooses: Any, variables: dict[str, str], where: str) -> list[str]:
    """`chooses`: the units its holder names for what comes next, {variable: label} (批办 names the 承办 units)."""
    if not isinstance(chooses, dict) or not chooses:
        return [f"{where}: chooses must map unit variables to the labels their pickers show"]
    problems = []
    for name, label in chooses.items():
        if variables.get(name) not in ("unit", "units"):
            problems.append(f"{where}: chooses {name!r}, which must be declared as unit or units")
        if not isinstance(label, str) or not label.strip() or len(label) > 20:
            problems.append(f"{where}: the label for {name!r} must be 1–20 characters")
    return problems


def _node_problems(node: dict[str, Any], ids: set[str], variables: dict[str, str]) -> list[str]:
    where = node_label(node)
    kind = node.get("kind")
    if kind not in NODE_KINDS:
        return [f"{where}: unknown kind {kind!r} (one of {', '.join(NODE_KINDS)})"]
    problems = []
    if not isinstance(node.get("name"), str) or not node["name"].strip():
        problems.append(f"{where}: every node needs a name (shown to users, e.g. 核稿)")
    unknown = set(node) - NODE_KEYS[kind] - {"id", "name", "kind"}
    if unknown:
        problems.append(f"{where}: keys not allowed on a {kind} node: {', '.join(sorted(unknown))}")
    targets = [node.get("next")] if kind not in ("branch", "end") else []
    if kind == "branch":
        cases = node.get("cases")
        if not isinstance(cases, list) or not cases:
            problems.append(f"{where}: a branch needs a non-empty list of cases")
            cases = []
        for index, case in enumerate(cases):
            if not isinstance(case, dict) or set(case) != {"when", "next"}:
                problems.append(f"{where}: case {index + 1} must be {{'when': condition, 'next': node}}")
                continue
            problems += condition_problems(case["when"], variables, f"{where} case {index + 1}")
            targets.append(case["next"])
        targets.append(node.get("default"))
    for target in targets:
        if target not in ids:
            problems.append(f"{where}: leads to {target!r}, which is not a node of this flow")
    if "chooses" in node:
        problems += chooses_problems(node["chooses"], variables, where)
    if kind in ("task", "signoff"):
        rules = node.get("assignee")
        if not isinstance(rules, list) or not rules:
            problems.append(f"{where}: needs an assignee: a list of rules, the first that finds someone is used")
        else:
            problems += [p for rule in rules for p in rule_problems(rule, variables, where, single=True)]
    if kind == "countersign":
        rules = node.get("members")
        if not isinstance(rules, list) or not rules:
            problems.append(f"{where}: a countersign needs members: a list of rules, every one of them is used")
        else:
            problems += [p for rule in rules for p in rule_problems(rule, variables, where, single=False)]
        mode = node.get("mode", "parallel")
        if mode not in COUNTERSIGN_MODES:
            problems.append(f"{where}: mode must be one of {', '.join(COUNTERSIGN_MODES)}")
        if mode == "lead":
            if "lead" not in node:
                problems.append(f"{where}: mode 'lead' needs a lead rule (the 主办 unit that answers last)")
            else:
                problems += rule_problems(node["lead"], variables, where, single=True)
        elif "lead" in node:
            problems.append(f"{where}: a lead rule belongs only to mode 'lead'")
        problems += completion_rule_problems(node.get("rule", "all"), where)
        if node.get("on_disagree", "return") not in ON_DISAGREE:
            problems.append(f"{where}: on_disagree must be 'return' (不同意 sends the flow back to the drafter, "
                            f"the default) or 'record' (it is recorded and the countersign goes on)")
    if kind == "auto" and node.get("action") not in AUTO_ACTIONS:
        problems.append(f"{where}: action must be one of {', '.join(AUTO_ACTIONS)}")
    if "deadline" in node:
        problems += deadline_problems(node["deadline"], where)
    overridable = node.get("overridable", [])
    if not isinstance(overridable, list) or set(overridable) - set(OVERRIDABLE):
        problems.append(f"{where}: overridable may list only {', '.join(OVERRIDABLE)}")
    return problems


def _reachability_problems(nodes: dict[str, dict[str, Any]], start: str) -> list[str]:
    edges = {node_id: set(successors(node)) & set(nodes) for node_id, node in nodes.items()}
    seen, queue = {start}, deque([start])
    while queue:
        for target in edges[queue.popleft()] - seen:
            seen.add(target)
            queue.append(target)
    problems = [f"{node_label(nodes[node_id])}: cannot be reached from the start" for node_id in nodes
                if node_id not in seen]
    reverse: dict[str, set[str]] = {node_id: set() for node_id in nodes}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    ends = {node_id for node_id, node in nodes.items() if node.get("kind") == "end"}
    finishing, queue = set(ends), deque(ends)
    while queue:
        for source in reverse[queue.popleft()] - finishing:
            finishing.add(source)
            queue.append(source)
    problems += [f"{node_label(nodes[node_id])}: no path from here reaches an end" for node_id in nodes
                 if node_id not in finishing]
    return problems


def successors(node: dict[str, Any]) -> list[str]:
    if node.get("kind") == "branch":
        return [case.get("next") for case in node.get("cases", []) if isinstance(case, dict)] + [node.get("default")]
    return [node["next"]] if node.get("next") else []


def definition_problems(definition: Any) -> list[str]:
    if not isinstance(definition, dict):
        return ["a flow definition must be an object"]
    problems = []
    if not isinstance(definition.get("key"), str) or not FLOW_KEY.match(definition["key"]):
        problems.append("key must be 2-40 lowercase letters, digits, - or _, starting with a letter")
    if not isinstance(definition.get("name"), str) or not definition["name"].strip():
        problems.append("name is required (e.g. 发文)")
    if definition.get("category") not in CATEGORIES:
        problems.append(f"category must be one of {', '.join(CATEGORIES)}")
    variables = definition.get("variables", {})
    if not isinstance(variables, dict) or any(kind not in VARIABLE_TYPES for kind in variables.values()):
        problems.append(f"variables map names to one of {', '.join(VARIABLE_TYPES)}")
        variables = {}
    unknown = set(definition) - {"key", "name", "category", "description", "variables", "nodes"}
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
    nodes_list = definition.get("nodes")
    if not isinstance(nodes_list, list) or not nodes_list or not all(isinstance(n, dict) for n in nodes_list):
        return [*problems, "nodes must be a non-empty list of node objects"]
    nodes: dict[str, dict[str, Any]] = {}
    for node in nodes_list:
        node_id = node.get("id")
        if not isinstance(node_id, str) or not NODE_ID.match(node_id):
            problems.append(f"{node_label(node)}: id must be lowercase letters, digits or _, starting with a letter")
        elif node_id in nodes:
            problems.append(f"{node_label(node)}: id is used twice")
        else:
            nodes[node_id] = node
    starts = [node_id for node_id, node in nodes.items() if node.get("kind") == "start"]
    if len(starts) != 1 or nodes_list[0].get("kind") != "start":
        problems.append("a flow has exactly one start node, listed first")
    if not any(node.get("kind") == "end" for node in nodes.values()):
        problems.append("a flow needs at least one end node")
    for node in nodes.values():
        problems += _node_problems(node, set(nodes), variables)
    if len(starts) == 1 and not problems:
        problems += _reachability_problems(nodes, starts[0])
    return problems


def check_definition(definition: Any) -> None:
    if problems := definition_problems(definition):
        raise InvalidInput(f"the flow definition has {len(problems)} problem(s): " + "; ".join(problems),
                           code="invalid_flow", problems=problems)


def literal_references(definition: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(user ids, unit ids) named literally anywhere in the definition."""
    users: set[str] = set()
    units: set[str] = set()
    for node in definition["nodes"]:
        rules = [*node.get("assignee", []), *node.get("members", []), *([node["lead"]] if "lead" in node else [])]
        found_users, found_units = fixed_references(rules)
        users |= found_users
        units |= found_units
    return users, units


def nodes_by_id(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in definition["nodes"]}


def override_problems(definition: dict[str, Any], overrides: Any) -> list[str]:
    """A unit's claim may change only what each node lists as overridable."""
    if not isinstance(overrides, dict):
        return ["overrides must map node ids to the changes, e.g. {'review': {'deadline': {'hours': 8}}}"]
    nodes = nodes_by_id(definition)
    problems = []
    for node_id, change in overrides.items():
        node = nodes.get(node_id)
        if node is None:
            problems.append(f"node {node_id!r} is not in flow {definition['key']} version {definition['version']}")
            continue
        where = node_label(node)
        if not isinstance(change, dict) or not change:
            problems.append(f"{where}: give the changes as an object")
            continue
        refused = set(change) - set(node.get("overridable", []))
        if refused:
            allowed = ", ".join(node.get("overridable", [])) or "nothing"
            problems.append(f"{where}: the definition does not let a unit change {', '.join(sorted(refused))} "
                            f"(allowed: {allowed})")
        if "deadline" in change and "deadline" not in refused:
            problems += deadline_problems(change["deadline"], where)
        if "role" in change and "role" not in refused and change["role"] not in ROLES:
            problems.append(f"{where}: unknown role {change['role']!r}")
    return problems


def check_start_variables(definition: dict[str, Any], variables: dict[str, Any]) -> None:
    """The variables given when starting a flow must be the declared ones, of the declared kind."""
    declared = definition.get("variables", {})
    for name, value in variables.items():
        kind = declared.get(name)
        if kind is None:
            raise InvalidInput(f"flow {definition['key']} has no variable {name!r} "
                               f"(it has {', '.join(declared) or 'none'})", field=name)
        ok = isinstance(value, str) if kind in ("user", "unit") else (
            isinstance(value, list) and all(isinstance(item, str) for item in value) and len(value) <= 500)
        if not ok:
            wanted = "an id" if kind in ("user", "unit") else "a list of ids"
            raise InvalidInput(f"variable {name} must be {wanted}", field=name)
