"""What a task's holder decided, explicitly, and how every action of a flow reads in Chinese.

A task ends with one outcome: 同意 (`approved`), 不同意 (`disagreed`, always with a reason), 已阅
(`read`, on reading tasks: 传阅 and any node whose action is 已阅), 签发 (`signed_off`) or 提交
(`submitted`, the drafter's own step). Which of them a task offers depends on its node, never on
the words of the opinion: choosing the phrase 已阅 on a countersign that asks for 同意 still
records 同意. 不同意 exists where a unit's consent is asked for: at a countersign that is not a
mere reading. What follows a 不同意 is the node's `on_disagree`: `return` (the default) sends the
flow back to the drafter, `record` only records it and the countersign goes on.
"""

from __future__ import annotations

from typing import Any

APPROVED = "approved"
DISAGREED = "disagreed"
READ = "read"
SIGNED_OFF = "signed_off"
SUBMITTED = "submitted"
ON_DISAGREE = ("return", "record")
READING_LABEL = "已阅"

# Every action of the audit trail and every task outcome, as people read it.
LABELS = {
    "start": "发起", SUBMITTED: "提交", APPROVED: "同意", DISAGREED: "不同意", READ: "已阅", SIGNED_OFF: "签发",
    "return": "退回", "returned": "退回", "transfer": "转办", "transferred": "转办", "add_signers": "加签",
    "withdraw": "撤回", "withdrawn": "撤回", "urge": "催办", "terminate": "终止", "cancelled": "取消",
    "auto:number": "编号", "auto:render": "生成正式文件", "auto:dispatch": "分发", "auto:archive": "归档",
}


def approval_outcome(task: dict[str, Any]) -> str:
    """The outcome that finishing this task with its main action records."""
    if task["kind"] == "start":
        return SUBMITTED
    if task["kind"] == "signoff":
        return SIGNED_OFF
    if task.get("action_label") == READING_LABEL or task.get("category") == "传阅":
        return READ
    return APPROVED


def allowed_outcomes(task: dict[str, Any]) -> list[str]:
    """The outcomes this task offers, the main one first (what a phone shows as buttons)."""
    main = approval_outcome(task)
    return [main, DISAGREED] if task["kind"] == "countersign" and main == APPROVED else [main]


def further_actions(task: dict[str, Any]) -> list[str]:
    """What else the holder may do with the task besides deciding (what a phone shows under 更多):
    `return` (退回 to an earlier step), `transfer` (转办, on a reading task 转阅) and `add_signers` (加签, 加阅).

    The drafter's own step is submitted again, never passed on. A reading (传阅, any 已阅 step) is no
    review: there is nothing to send back, so it offers no 退回; it may be handed to a colleague or
    shared with more readers."""
    if task["kind"] == "start":
        return []
    if approval_outcome(task) == READ:
        return ["transfer", "add_signers"]
    return ["return", "transfer", "add_signers"]


def label(action: str, action_label: str | None = None) -> str:
    """An audit action or outcome in Chinese; a node's own word (已用印, 批办) where it has one."""
    if action in (APPROVED, SIGNED_OFF) and action_label and action_label not in ("同意", "提交"):
        return action_label
    return LABELS.get(action, action)


def on_disagree(node: dict[str, Any]) -> str:
    return str(node.get("on_disagree", "return"))
