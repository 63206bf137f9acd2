"""发文: 拟稿 → 核稿 → (会签 by chosen units) → 签发 → 复核 → 编号 → 用印 → 生成正式文件 → 分发."""

from __future__ import annotations

from typing import Any

OFFICE_HEAD = {"role": "办公室主任", "unit": "own"}

FAWEN: dict[str, Any] = {
    "key": "fawen",
    "name": "发文",
    "category": "发文",
    "description": "本单位发文：拟稿、核稿、会签、签发、复核、编号、用印、分发。",
    "variables": {"countersign_units": "units", "signer": "user"},
    "nodes": [
        {"id": "draft", "name": "拟稿", "kind": "start", "next": "review"},
        {"id": "review", "name": "核稿", "kind": "task", "assignee": [OFFICE_HEAD],
         "deadline": {"days": 1}, "overridable": ["deadline", "role"], "next": "needs_countersign"},
        {"id": "needs_countersign", "name": "是否会签", "kind": "branch",
         "cases": [{"when": {"var": "countersign_units", "op": "not_empty"}, "next": "countersign"}],
         "default": "signoff"},
        {"id": "countersign", "name": "会签", "kind": "countersign", "mode": "parallel", "rule": "all",
         "members": [{"role": "主要领导", "unit": {"var": "countersign_units"}}],
         "deadline": {"days": 2}, "overridable": ["deadline", "role"], "next": "signoff"},
        {"id": "signoff", "name": "签发", "kind": "signoff",
         "assignee": [{"var": "signer"}, {"role": "主要领导", "unit": "own"}],
         "deadline": {"days": 1}, "overridable": ["deadline", "role"], "action_label": "签发", "next": "recheck"},
        {"id": "recheck", "name": "复核", "kind": "task", "assignee": [OFFICE_HEAD],
         "deadline": {"hours": 4}, "overridable": ["deadline", "role"], "next": "number"},
        {"id": "number", "name": "编号", "kind": "auto", "action": "number", "next": "seal"},
        {"id": "seal", "name": "用印", "kind": "task", "assignee": [{"role": "收发员", "unit": "own"}],
         "deadline": {"hours": 4}, "overridable": ["deadline", "role"], "action_label": "已用印", "next": "render"},
        {"id": "render", "name": "生成正式文件", "kind": "auto", "action": "render", "next": "dispatch"},
        {"id": "dispatch", "name": "分发", "kind": "auto", "action": "dispatch", "next": "end"},
        {"id": "end", "name": "办结", "kind": "end"},
    ],
}
