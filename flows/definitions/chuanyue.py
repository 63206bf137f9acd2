"""传阅: several leaders read in parallel, each confirming 已阅 with an optional comment."""

from __future__ import annotations

from typing import Any

CHUANYUE: dict[str, Any] = {
    "key": "chuanyue",
    "name": "传阅",
    "category": "传阅",
    "description": "文件传阅：领导并行阅文，记录已阅与批注。",
    "variables": {"readers": "users"},
    "nodes": [
        {"id": "send", "name": "送阅", "kind": "start", "next": "read"},
        {"id": "read", "name": "阅文", "kind": "countersign", "mode": "parallel", "rule": "all",
         "members": [{"var": "readers"}], "deadline": {"days": 1}, "overridable": ["deadline"],
         "action_label": "已阅", "next": "end"},
        {"id": "end", "name": "传阅完毕", "kind": "end"},
    ],
}
