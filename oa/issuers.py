"""Who may issue a document in whose name: the one rule behind every red header and number sequence.

A unit drafts in its own name, and in the name of each unit that has authorised it to draft for
it (`drafts_for` on the drafting unit, kept by admins): 市政府办公室 drafts for 韶关市人民政府, a
county's 政府办公室 for its county government. The lead (first) issuer of a document must be one
of those; its 机关代字 numbers the document. Further platform issuers (联合行文) consent in the
flow, through their 主要领导's countersign, before the document can be numbered. Organs outside
the platform appear only as marked external names, after the lead, and never number anything.
"""

from __future__ import annotations

from typing import Any

from oa.errors import Conflict, Forbidden

MAX_DRAFTS_FOR = 20


def may_draft_for(drafting_unit: dict[str, Any], issuer_unit_id: str) -> bool:
    """May `drafting_unit` put `issuer_unit_id`'s name on a document it drafts?"""
    return issuer_unit_id == drafting_unit["_id"] or issuer_unit_id in (drafting_unit.get("drafts_for") or [])


def check_issuers(drafting_unit: dict[str, Any], issuers: list[dict[str, Any]]) -> None:
    """Refuse (403, with the rule's code) issuers the drafting unit may not write in the name of."""
    if not issuers:
        return
    lead = issuers[0]
    if not lead.get("unit_id"):
        raise Forbidden("the lead (first) issuer must be a unit on the platform: an organ outside it may only "
                        "join a 联合行文 as a further, external issuer", code="external_lead_issuer")
    if not may_draft_for(drafting_unit, lead["unit_id"]):
        raise Forbidden(f"{drafting_unit['name']} may not issue documents in the name of {lead['unit_id']}: a unit "
                        "drafts in its own name and in the name of the units that authorised it (drafts_for)",
                        code="issuer_not_authorised", unit_id=lead["unit_id"])


def own_marks(name: str, short_name: str | None = None) -> set[str]:
    """The 发文机关标志 an organ may print as its red header: its name or 规范化简称, with or without 文件."""
    names = {text for text in (name, short_name) if text}
    return names | {f"{text}文件" for text in names}


def check_marks(issuers: list[dict[str, Any]], units: dict[str, dict[str, Any]]) -> None:
    """Refuse a mark (the red header) that is not the issuer's own: no draft prints another organ's name."""
    for issuer in issuers:
        unit = units.get(issuer.get("unit_id") or "")
        name = unit["name"] if unit else issuer.get("name") or ""
        if issuer.get("mark") and issuer["mark"] not in own_marks(name, unit.get("short_name") if unit else None):
            raise Forbidden(f"the 发文机关标志 {issuer['mark']} is not {name}'s own: an issuer prints its name or "
                            "short name, with or without 文件", code="issuer_mark_not_own", mark=issuer["mark"])


def mark_of(issuer: dict[str, Any], unit: dict[str, Any] | None, letter: bool) -> str:
    """The issuer's mark as it prints: the one chosen if it is still its own, else its name (with 文件
    except in a letter). A unit renamed since, or a mark stored before the rule, prints the name it has."""
    name = unit["name"] if unit else issuer.get("name") or ""
    if issuer.get("mark") in own_marks(name, unit.get("short_name") if unit else None):
        return str(issuer["mark"])
    return name if letter else f"{name}文件"


def check_external_issuers(issuers: list[dict[str, Any]], platform_units: list[dict[str, Any]]) -> None:
    """An organ on the platform issues as itself, so it consents: never as an 'external' name.

    `platform_units`: the active units whose name or short name is among the external issuers' names."""
    taken = {text for unit in platform_units for text in (unit["name"], unit.get("short_name")) if text}
    for issuer in issuers:
        if issuer.get("external") and issuer.get("name") in taken:
            raise Forbidden(f"{issuer['name']} is on the platform: name it as a unit ({{'unit_id': …}}), so that "
                            "it consents to the 联合行文, not as an external organ",
                            code="external_issuer_on_platform", name=issuer["name"])


def consents_missing(document: dict[str, Any], drafting_unit: dict[str, Any]) -> list[dict[str, Any]]:
    """The platform co-issuers that have not yet consented (their 主要领导's 同意 in the flow).

    A co-issuer the drafting unit may itself write for consents through the drafting unit's own 签发.
    """
    consents = document.get("consents") or {}
    return [issuer for issuer in document["content"]["issuers"][1:]
            if issuer.get("unit_id") and issuer["unit_id"] not in consents
            and not may_draft_for(drafting_unit, issuer["unit_id"])]


def check_numberable(document: dict[str, Any], drafting_unit: dict[str, Any],
                     lead_unit: dict[str, Any] | None) -> None:
    """The issuer rules that must still hold when a number is taken from the lead issuer's sequence
    (`lead_unit`: the lead issuer's unit as it is now)."""
    if drafting_unit["status"] != "active":
        # Dissolved or merged away (机构改革): its authorisations to draft for others end with it.
        raise Forbidden(f"{drafting_unit['name']} is dissolved and numbers documents in no one's name",
                        code="drafting_unit_dissolved", unit_id=drafting_unit["_id"])
    check_issuers(drafting_unit, document["content"]["issuers"])
    if lead_unit is not None and lead_unit["status"] != "active":
        raise Conflict(f"{lead_unit['name']} is dissolved: no number is taken from its sequence any more; choose "
                       "the organ that issues now", code="issuer_dissolved", unit_id=lead_unit["_id"])
    if missing := consents_missing(document, drafting_unit):
        names = "、".join(issuer["name"] or issuer["unit_id"] for issuer in missing)
        raise Conflict(f"联合行文 needs the consent of every issuer before numbering; still missing: {names} "
                       "(their 主要领导 countersigns in the 发文 flow)", code="joint_issuer_consent_missing",
                       units=[issuer["unit_id"] for issuer in missing])
