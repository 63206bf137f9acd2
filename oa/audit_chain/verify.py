"""Walking the audit chains and naming the first thing wrong in each: `verify_chains(mongo, unit=None)`.

For every unit's chain, in seq order: a gap in seq, a link whose `prev` is not the hash of the link
before, a link whose own hash does not match its fields, a covered record that is missing or whose
content no longer hashes to the link's digest. Then the chain's end against its head (a deleted tail
leaves the head ahead of the last link) and, when an anchor is given, against the anchor (a chain
shorter than anchored, or one rewritten with consistent hashes: the anchored seq's hash differs).

This reads the covered records straight from the collections the links name, read-only and by the ids
the links hold: an auditor's check must see the bytes as stored, not as an owner's functions present them.
The report is plain data (JSON-ready), so a restore, the CLI, the API and the 审计 page share it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from oa.audit_chain.canonical import digest
from oa.audit_chain.canonical import plain as plain_value
from oa.audit_chain.chain import HEADS, LINKS, link_hash
from oa.clock import utcnow
from storage.mongo import Mongo, find_in

BATCH = 200  # links checked per round of record reads
COLLECTION_NAME = re.compile(r"^[a-z_]+$")


def problem(unit: str, seq: int | None, what: str, message: str, **extra: Any) -> dict[str, Any]:
    """One finding: where (unit, seq, collection, record id), what (a stable code) and a sentence in Chinese."""
    return {"unit": unit, "seq": seq, "problem": what, "message": message, **shown(extra)}


def shown(value: Any) -> Any:
    """A record or finding as JSON-ready data: ObjectIds as their hex text, datetimes as canonical UTC text."""
    plain = plain_value(value)
    if isinstance(plain, dict) and set(plain) == {"$oid"}:
        return plain["$oid"]
    if isinstance(plain, dict):
        return {key: shown(item) for key, item in plain.items()}
    if isinstance(plain, list):
        return [shown(item) for item in plain]
    return plain


async def _records_for(mongo: Mongo, links: list[dict[str, Any]]) -> dict[tuple[str, Any], dict[str, Any]]:
    wanted: dict[str, list[Any]] = {}
    for link in links:
        for entry in link.get("covers") or []:
            ids = entry["ids"] if "ids" in entry else [entry.get("id")]
            wanted.setdefault(str(entry.get("coll")), []).extend(ids)
    found: dict[tuple[str, Any], dict[str, Any]] = {}
    for coll, ids in wanted.items():
        if not COLLECTION_NAME.match(coll):
            continue  # reported as missing: a link naming no real collection vouches for nothing
        for record in await find_in(mongo[coll], "_id", sorted(set(ids), key=str)):
            found[(coll, record["_id"])] = record
    return found


def _check_cover(unit: str, link: dict[str, Any], entry: dict[str, Any],
                 records: dict[tuple[str, Any], dict[str, Any]]) -> dict[str, Any] | None:
    coll, seq, alg = str(entry.get("coll")), link["seq"], link["alg"]
    if "ids" in entry:
        missing = [rid for rid in entry["ids"] if (coll, rid) not in records]
        if missing:
            return problem(unit, seq, "missing_record", f"第{seq}条：{coll} 中的记录 {missing[0]} 已被删除",
                           coll=coll, id=missing[0], missing=len(missing))
        fields = entry.get("fields") or None
        picked = [{name: records[(coll, rid)].get(name) for name in fields} if fields else records[(coll, rid)]
                  for rid in entry["ids"]]
        if digest(alg, picked) != entry.get("digest"):
            return problem(unit, seq, "edited_record",
                           f"第{seq}条：{coll} 中这一批 {len(entry['ids'])} 条记录之一被篡改（首条 {entry['ids'][0]}）",
                           coll=coll, id=entry["ids"][0], ids=entry["ids"])
        return None
    record = records.get((coll, entry.get("id")))
    if record is None:
        return problem(unit, seq, "missing_record", f"第{seq}条：{coll} 中的记录 {entry.get('id')} 已被删除",
                       coll=coll, id=entry.get("id"))
    if digest(alg, record) != entry.get("digest"):
        return problem(unit, seq, "edited_record", f"第{seq}条：{coll} 中的记录 {entry.get('id')} 被篡改",
                       coll=coll, id=entry.get("id"))
    return None


def _check_link(unit: str, link: dict[str, Any], expected_seq: int, prev_hash: str,
                records: dict[tuple[str, Any], dict[str, Any]]) -> dict[str, Any] | None:
    seq = link.get("seq")
    if seq != expected_seq:
        return problem(unit, expected_seq, "seq_gap", f"第{expected_seq}条缺失（链接下来是第{seq}条）", found_seq=seq)
    if link.get("prev") != prev_hash:
        return problem(unit, seq, "broken_prev", f"第{seq}条：与前一条的链接断开（prev 不等于第{seq - 1}条的哈希）")
    try:
        own = link_hash(link)
    except (KeyError, TypeError, ValueError):
        own = None
    if own != link.get("hash"):
        return problem(unit, seq, "edited_link", f"第{seq}条：链节本身被改动（哈希不符）")
    for entry in link.get("covers") or []:
        found = _check_cover(unit, link, entry, records)
        if found:
            return found
    return None


class _UnitWalk:
    """One unit's chain, fed in seq order."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.count = 0
        self.last_seq = 0
        self.last_hash = ""
        self.hashes_at: dict[int, str] = {}
        self.problem: dict[str, Any] | None = None

    def feed(self, link: dict[str, Any], records: dict[tuple[str, Any], dict[str, Any]], watched: set[int]) -> None:
        if self.problem:
            return
        self.count += 1
        self.problem = _check_link(self.unit, link, self.last_seq + 1, self.last_hash, records)
        if self.problem is None:
            self.last_seq, self.last_hash = link["seq"], link["hash"]
            if link["seq"] in watched:  # the head's and the anchor's seq: their hashes are compared at the end
                self.hashes_at[link["seq"]] = link["hash"]

    def finish(self, head: dict[str, Any] | None, anchored: dict[str, Any] | None) -> None:
        if self.problem:
            return
        unit = self.unit
        if head is None and self.count:
            self.problem = problem(unit, None, "head_missing", "链头记录缺失")
        elif head is not None and int(head.get("seq", 0)) > self.last_seq:
            self.problem = problem(unit, self.last_seq + 1, "tail_deleted",
                                   f"链尾被删除：链头记到第{head['seq']}条，链只到第{self.last_seq}条")
        elif head is not None and self.hashes_at.get(int(head.get("seq", 0))) != head.get("hash"):
            # The heads are read before the links, so a head behind the chain's end is a write that committed
            # meanwhile; its hash must still be that of the link at its seq.
            self.problem = problem(unit, int(head.get("seq", 0)), "head_mismatch",
                                   f"链头（第{head.get('seq')}条）与链中第{head.get('seq')}条的哈希不符")
        if self.problem or not anchored:
            return
        anchored_seq = int(anchored["seq"])
        if self.last_seq < anchored_seq:
            self.problem = problem(unit, self.last_seq + 1, "shorter_than_anchor",
                                   f"链比锚定的短：{anchored['at']} 锚定到第{anchored_seq}条，"
                                   f"现在只到第{self.last_seq}条")
        elif self.hashes_at.get(anchored_seq) != anchored["hash"]:
            self.problem = problem(unit, anchored_seq, "anchor_mismatch",
                                   f"第{anchored_seq}条与 {anchored['at']} 的锚定哈希不符：链被整体改写")


async def verify_chains(mongo: Mongo, unit: str | None = None,
                        anchor: dict[str, Any] | None = None) -> dict[str, Any]:
    """Check every unit's chain (or one unit's) and, given the latest anchor, the chains against it.

    Returns {ok, checked_at, units: [{unit, links, head_seq, ok, problem}], problems: [the first per unit],
    anchor: {...} | None}. `anchor` is what `oa.audit_chain.anchors.latest_anchor` returns."""
    anchored_heads: dict[str, dict[str, Any]] = {}
    if anchor:
        anchored_heads = {row["unit"]: {**row, "at": anchor.get("at")} for row in anchor.get("heads", [])}
    heads = {row["_id"]: row async for row in mongo[HEADS].find({"_id": unit} if unit else {})}
    walks: dict[str, _UnitWalk] = {}
    cursor = mongo[LINKS].find({"unit": unit} if unit else {}).sort([("unit", 1), ("seq", 1)])
    batch: list[dict[str, Any]] = []

    async def check(links: list[dict[str, Any]]) -> None:
        records = await _records_for(mongo, links)
        for link in links:
            walk = walks.setdefault(link["unit"], _UnitWalk(link["unit"]))
            watched = {int((anchored_heads.get(link["unit"]) or {}).get("seq", 0)),
                       int((heads.get(link["unit"]) or {}).get("seq", 0))}
            walk.feed(link, records, watched)

    async for link in cursor:
        batch.append(link)
        if len(batch) >= BATCH:
            await check(batch)
            batch = []
    if batch:
        await check(batch)
    late = [name for name, walk in walks.items() if name not in heads and walk.count and not walk.problem]
    if late:  # a unit's first links committed after the heads were read: its head is there now
        for row in await find_in(mongo[HEADS], "_id", late):
            walk = walks[row["_id"]]
            walk.hashes_at[walk.last_seq] = walk.last_hash
            heads[row["_id"]] = {**row, "seq": walk.last_seq, "hash": walk.last_hash}
    names = set(walks) | set(heads) | ({key for key in anchored_heads if key == unit or unit is None})
    units = []
    for name in sorted(names):
        walk = walks.setdefault(name, _UnitWalk(name))
        walk.finish(heads.get(name), anchored_heads.get(name))
        units.append({"unit": name, "links": walk.count, "head_seq": (heads.get(name) or {}).get("seq", 0),
                      "ok": walk.problem is None, "problem": walk.problem})
    problems = [row["problem"] for row in units if row["problem"]]
    return {"ok": not problems, "checked_at": utcnow().isoformat(), "units": units, "problems": problems,
            "links": sum(row["links"] for row in units),
            "anchor": {key: anchor.get(key) for key in ("key", "at", "digest", "locked", "timestamped")}
            if anchor else None}


def summary_lines(report: dict[str, Any], names: dict[str, str] | None = None) -> Iterable[str]:
    """The report as lines for a terminal or a log."""
    names = names or {}
    anchor = report.get("anchor")
    if anchor:
        yield f"anchor {anchor.get('key')} at {anchor.get('at')} digest {anchor.get('digest')}"
    for row in report["units"]:
        label = names.get(row["unit"], row["unit"])
        verdict = "通过" if row["ok"] else row["problem"]["message"]
        yield f"{label} ({row['unit']}): {row['links']} links, {verdict}"
    yield ("校验通过" if report["ok"] else f"发现 {len(report['problems'])} 处问题") + \
        f"（{len(report['units'])} 个单位，{report['links']} 条链节）"


def restrict(report: dict[str, Any], keep: Callable[[str], bool]) -> dict[str, Any]:
    """The report narrowed to the units `keep` accepts (an auditor sees their own units' chains only)."""
    units = [row for row in report["units"] if keep(row["unit"])]
    problems = [row["problem"] for row in units if row["problem"]]
    return {**report, "units": units, "problems": problems, "ok": not problems,
            "links": sum(row["links"] for row in units)}


async def recent_records(mongo: Mongo, unit: str, limit: int) -> list[dict[str, Any]]:
    """A unit's latest links, newest first, each with the audit lines it covers (as stored)."""
    links = await mongo[LINKS].find({"unit": unit}).sort("seq", -1).limit(limit).to_list(None)
    records = await _records_for(mongo, [link for link in links if not any("ids" in c for c in link["covers"])])
    listed = []
    for link in links:
        covered = []
        for entry in link.get("covers") or []:
            if "ids" in entry:
                covered.append({"coll": entry["coll"], "count": len(entry["ids"]), "ids": entry["ids"][:5]})
            else:
                covered.append({"coll": entry["coll"], "id": entry["id"],
                                "record": records.get((entry["coll"], entry["id"]))})
        listed.append({"unit": link["unit"], "seq": link["seq"], "at": link["at"], "kind": link["kind"],
                       "alg": link["alg"], "hash": link["hash"], "covers": shown(covered)})
    return listed
