"""Which way a document travels (上行/平行/下行), from where the issuer and the recipients sit.

A recipient higher in the hierarchy (an ancestor, or a unit of a higher level) makes it 上行文;
one lower down (a descendant, or a lower level) 下行; anything else, such as a sister department,
平行. With several recipients the most deferential direction wins: one superior among them makes
the whole document 上行. Free-text recipients outside the platform say nothing, so a document
addressed only to them takes its type's usual direction.
"""

from __future__ import annotations

from typing import Any

from oa.unit_fields import LEVEL_RANK


def relation(issuer: dict[str, Any], recipient: dict[str, Any]) -> str:
    if recipient["_id"] in issuer.get("ancestors", []):
        return "上行"
    if issuer["_id"] in recipient.get("ancestors", []):
        return "下行"
    issuer_rank, recipient_rank = LEVEL_RANK[issuer["level"]], LEVEL_RANK[recipient["level"]]
    if recipient_rank < issuer_rank:
        return "上行"
    if recipient_rank > issuer_rank:
        return "下行"
    return "平行"


def derive_direction(issuer: dict[str, Any] | None, recipients: list[dict[str, Any]], type_direction: str) -> str:
    """The direction of a document from `issuer` (a unit record) to `recipients` (unit records)."""
    if issuer is None or not recipients:
        return type_direction
    found = {relation(issuer, recipient) for recipient in recipients}
    for direction in ("上行", "平行", "下行"):
        if direction in found:
            return direction
    return type_direction
