"""The records of the exchange: a dispatch (one send to many units) and a receipt (收文, one per recipient).

A receipt's id is `<dispatch id>.<unit id>`, so delivering the same dispatch twice — a retried
request, or a restart after a crash half-way — can never create a unit's receipt twice.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

from oa.errors import Conflict
from storage.mongo import SCHEMA_VERSION


class ReceiptStatus(StrEnum):
    PENDING = "pending"  # delivered, not yet signed for (未签收)
    SIGNED = "signed"  # 已签收
    RETURNED = "returned"  # 退文: sent back to the sender with a reason
    HANDLING = "handling"  # registered (登记), the 收文 flow is running
    CLOSED = "closed"  # 办结 (or, for a 协办 unit, its opinion was sent to the 主办)
    RECALLED = "recalled"  # 追回 by the sender before it was signed for: gone from the inbox


# Receipts that no longer hold the document at the unit: it may be sent there again, and the unit is
# not among those that received it.
GONE = [ReceiptStatus.RETURNED.value, ReceiptStatus.RECALLED.value]


RECEIPT_TRANSITIONS: dict[ReceiptStatus, set[ReceiptStatus]] = {
    ReceiptStatus.PENDING: {ReceiptStatus.SIGNED, ReceiptStatus.RETURNED, ReceiptStatus.RECALLED},
    ReceiptStatus.SIGNED: {ReceiptStatus.RETURNED, ReceiptStatus.HANDLING, ReceiptStatus.CLOSED},
    ReceiptStatus.HANDLING: {ReceiptStatus.CLOSED},
    ReceiptStatus.RETURNED: set(),
    ReceiptStatus.CLOSED: set(),
    ReceiptStatus.RECALLED: set(),
}
STATUS_NAMES = {"pending": "未签收", "signed": "已签收", "returned": "已退文", "handling": "办理中", "closed": "已办结",
                "recalled": "已追回"}
ROLES = ("main", "copy", "lead", "co")  # 主送, 抄送, 主办, 协办
# How long a recipient has to sign for a document, by urgency (working time).
SIGN_FOR_DEADLINES: dict[str, dict[str, int]] = {"特急": {"hours": 2}, "加急": {"hours": 4}, "": {"days": 1}}


def check_receipt_move(current: str, wanted: ReceiptStatus, receipt_id: str) -> None:
    if wanted not in RECEIPT_TRANSITIONS[ReceiptStatus(current)]:
        raise Conflict(f"this document is {STATUS_NAMES[current]} ({current}) here; it cannot become {wanted}",
                       code="receipt_state", receipt_id=receipt_id, receipt_status=current)


def new_dispatch_id() -> str:
    return "dp-" + secrets.token_hex(8)


def receipt_id(dispatch_id: str, unit_id: str) -> str:
    return f"{dispatch_id}.{unit_id}"


def empty_counts() -> dict[str, int]:
    return {status.value: 0 for status in ReceiptStatus}


def receipt_record(dispatch: dict[str, Any], unit: dict[str, Any], role: str, due_at: datetime,
                   now: datetime) -> dict[str, Any]:
    return {
        "_id": receipt_id(dispatch["_id"], unit["_id"]), "schema_version": SCHEMA_VERSION, "version": 1,
        "kind": "electronic", "dispatch_id": dispatch["_id"], "root_dispatch_id": dispatch["root_dispatch_id"],
        "parent_receipt_id": dispatch.get("parent_receipt_id"), "depth": dispatch["depth"],
        "document_id": dispatch["document_id"], "sender_unit_id": dispatch["sender_unit_id"],
        "sender_unit_name": dispatch["sender_unit_name"], "unit_id": unit["_id"], "unit_name": unit["name"],
        "unit_path": [*unit["ancestors"], unit["_id"]], "role": role, **dispatch["summary"],
        "note": dispatch.get("note", ""), "status": ReceiptStatus.PENDING.value, "created_at": now,
        "due_at": due_at, "signed_at": None, "signed_by": None, "returned_at": None, "returned_by": None,
        "return_reason": None, "registration": None, "instance_id": None, "closed_at": None,
        "last_urged_at": None, "urge_count": 0, "opinion": None, "reply_dispatch_id": None,
        # The unit's first receipt of this document, when this one is a further route to it.
        "also_of": None,
        # 追回 after signing: the notice the recipient's clerk must acknowledge.
        "recall": None,
    }
