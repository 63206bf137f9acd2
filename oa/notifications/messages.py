"""What a person is told about an event: which events are notifications at all, and their words.

Only events that ask something of a person, or that they would be sorry to miss, become
notifications (a new 待办, a return, a 催办, an overdue task, an arriving 来文, a recall); the rest
(lists refreshing, boards moving) stay pushes for open pages. The text is the same on every channel:
a short title, one line of body, and where to open it in the phone app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# kind → (label shown to people, what it is about: task or receipt)
KINDS: dict[str, str] = {
    "task.created": "新待办",
    "task.returned": "退回待办",
    "task.urged": "催办",
    "task.overdue": "超期提醒",
    "task.escalated": "超期上报",
    "exchange.received": "来文待签收",
    "exchange.urged": "来文催办",
    "exchange.recalled": "来文撤回",
}
URGENT = "特急"


@dataclass(frozen=True)
class Message:
    kind: str
    label: str
    title: str
    body: str
    link: str
    urgent: bool

    def as_record(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "title": self.title, "body": self.body, "link": self.link,
                "urgent": self.urgent}


def message_for(event: dict[str, Any]) -> Message | None:
    """The notification an event makes, or None when the event is not one."""
    kind = event["type"]
    label = KINDS.get(kind)
    if label is None:
        return None
    data: dict[str, Any] = event.get("data") or {}
    title = str(data.get("title") or "（无标题）")
    urgency = str(data.get("urgency") or "")
    urgent = urgency == URGENT
    if "task_id" in data:
        link = f"/#/task/{data['task_id']}"
    elif data.get("document_id"):
        link = f"/desk#/received/{data['document_id']}"
    elif "receipt_id" in data:
        link = "/desk#/inbox"
    else:
        link = "/#/messages"
    sender = (data.get("from") or {}).get("name") if isinstance(data.get("from"), dict) else None
    if kind == "task.created":
        body = f"{sender or '系统'}送来「{data.get('node_name') or '办理'}」"
    elif kind == "task.returned":
        body = f"被退回重办：{data.get('note') or '无说明'}"
    elif kind == "task.urged":
        body = f"{data.get('by') or '有人'}催办：{data.get('message') or '请尽快办理'}"
    elif kind == "task.overdue":
        body = "已超过办理期限，请尽快办理"
    elif kind == "task.escalated":
        body = "下属待办超期未办，已上报给您"
    elif kind == "exchange.received":
        body = f"{data.get('sender_unit_name') or '上级单位'}来文，请签收"
    elif kind == "exchange.urged":
        body = "来文催办，请尽快签收办理"
    else:
        body = "来文已被发文单位撤回"
    if data.get("for_user"):
        body += "（委托代办）"
    return Message(kind, f"{URGENT}·{label}" if urgent else label, title, body, link, urgent)
