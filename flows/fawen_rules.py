"""What a 发文 flow asks of its document: complete before 送审, and the consent of its co-issuers.

A 联合行文 names further platform units after the lead issuer. Each of them countersigns: when
the flow is sent for approval its units join the countersign units, so their 主要领导 are asked,
and the 同意 of a holder of that post is recorded on the document as the unit's consent
(`consents.<unit_id>`), which numbering requires. A consent given to a text that goes back to
the drafter no longer holds: the flow clears the consents whenever the document returns to draft.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oa.document_fields import review_problems
from oa.documents import author_of
from oa.errors import InvalidInput

COUNTERSIGN_UNITS = "countersign_units"
CONSENTING_ROLE = "主要领导"


def check_reviewable(document: dict[str, Any]) -> None:
    """Refuse 送审 of a draft that lacks what its 文种 needs (400 incomplete_document, in Chinese)."""
    if problems := review_problems(document["content"]):
        raise InvalidInput("the draft is not complete enough to send for approval: " + "；".join(problems),
                           code="incomplete_document", problems=problems)


def co_issuer_units(document: dict[str, Any]) -> list[str]:
    """The platform units issuing jointly with the lead (first) issuer, in the document's order."""
    issuers = document["content"].get("issuers") or []
    lead = issuers[0].get("unit_id") if issuers else None
    found: list[str] = []
    for issuer in issuers[1:]:
        unit_id = issuer.get("unit_id")
        if unit_id and unit_id != lead and unit_id not in found:
            found.append(unit_id)
    return found


def with_co_issuers(definition: dict[str, Any], flow_unit_id: str, document: dict[str, Any],
                    variables: dict[str, Any]) -> dict[str, Any]:
    """The flow's variables with every co-issuer's unit among the countersign units."""
    if definition.get("variables", {}).get(COUNTERSIGN_UNITS) != "units":
        return variables
    chosen = list(variables.get(COUNTERSIGN_UNITS) or [])
    added = [unit_id for unit_id in co_issuer_units(document) if unit_id != flow_unit_id and unit_id not in chosen]
    return {**variables, COUNTERSIGN_UNITS: chosen + added} if added else variables


def consent_of(task: dict[str, Any], user: dict[str, Any], document: dict[str, Any],
               now: datetime) -> tuple[str, dict[str, Any]] | None:
    """(unit id, consent record) if this countersign 同意 is a co-issuer's consent, else None."""
    unit_id = task.get("unit_id")
    if task["kind"] != "countersign" or unit_id not in co_issuer_units(document):
        return None
    leads = any(post.get("active") and post.get("unit_id") == unit_id and CONSENTING_ROLE in post.get("roles", [])
                for post in user.get("posts", []))
    if not leads:
        return None
    return unit_id, {**author_of(user, unit_id), "at": now, "instance_id": task["instance_id"], "task_id": task["_id"]}
