"""收文: 签收 → 登记 → 拟办 → 批办 → 承办 (主办 with 协办) → 办结 → 归档."""

from __future__ import annotations

from typing import Any

SHOUWEN: dict[str, Any] = {
    "key": "shouwen",
    "name": "收文",
    "category": "收文",
    "description": "收文办理：签收、登记、拟办、批办、承办（主办与协办）、办结、归档。",
    "variables": {"lead_unit": "unit", "co_units": "units"},
    "nodes": [
        {"id": "receive", "name": "签收", "kind": "start", "next": "register"},
        {"id": "register", "name": "登记", "kind": "task", "assignee": [{"starter": True}],
         "deadline": {"hours": 4}, "overridable": ["deadline"], "action_label": "已登记", "next": "propose"},
        {"id": "propose", "name": "拟办", "kind": "task", "assignee": [{"role": "办公室主任", "unit": "own"}],
         "deadline": {"days": 1}, "overridable": ["deadline", "role"], "next": "instruct"},
        {"id": "instruct", "name": "批办", "kind": "signoff", "assignee": [{"role": "主要领导", "unit": "own"}],
         "deadline": {"days": 1}, "overridable": ["deadline", "role"], "action_label": "批办",
         "chooses": {"lead_unit": "承办单位（主办）", "co_units": "协办单位（可多选）"}, "next": "handle"},
        {"id": "handle", "name": "承办", "kind": "countersign", "mode": "lead", "rule": "all",
         "members": [{"role": "办公室主任", "unit": {"var": "co_units"}}],
         # The 承办 unit the leader named at 批办; named none, the receiving unit handles it itself.
         "lead": {"role": "办公室主任", "unit": {"var": "lead_unit", "else": "own"}},
         # A 承办 unit's 不同意 is its opinion on the matter, recorded for the 办结; it does not undo the 登记.
         "on_disagree": "record",
         "deadline": {"days": 5}, "overridable": ["deadline", "role"], "next": "close"},
        {"id": "close", "name": "办结", "kind": "task", "assignee": [{"starter": True}],
         "deadline": {"days": 1}, "overridable": ["deadline"], "action_label": "办结", "next": "archive"},
        {"id": "archive", "name": "归档", "kind": "auto", "action": "archive", "next": "end"},
        {"id": "end", "name": "结束", "kind": "end"},
    ],
}
