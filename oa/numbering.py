"""发文字号: `代字〔YYYY〕N号`, handed out per issuing-organ code per year, never twice.

A number is taken from a per-(code, year) counter and written to the ledger in the same
transaction as whatever the caller attaches it to (the document), so a number either exists
with its document or not at all: no gaps, no duplicates. A voided number (作废) stays in the
ledger and the counter never goes back, so it is never handed out again. The year is the
China calendar year of the allocation, so numbering starts again at 1 each January.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from oa.clock import CHINA, utcnow
from oa.errors import Conflict, InvalidInput, NotFound
from oa.unit_fields import CODE_RE
from storage.mongo import SCHEMA_VERSION, Mongo, Session, find_one_and_update_after

OPEN_BRACKET, CLOSE_BRACKET = "\u3014", "\u3015"  # 〔 〕
# Brackets people type instead of 〔〕, named so the error can say which one was used.
LOOKALIKE_BRACKETS = {"[": "[", "]": "]", "【": "【", "】": "】", "(": "(", ")": ")", "（": "（", "）": "）",
                      "〈": "〈", "〉": "〉", "［": "［", "］": "］", "〖": "〖", "〗": "〗", "{": "{", "}": "}"}
NUMBER_RE = re.compile(r"^(?P<code>.+?)〔(?P<year>[^〕]*)〕(?P<seq>.*?)(?P<suffix>[号號]?)$")


@dataclass(frozen=True)
class DocNumber:
    code: str
    year: int
    seq: int

    @property
    def text(self) -> str:
        return format_doc_number(self.code, self.year, self.seq)

    @property
    def key(self) -> str:
        return f"{self.code}:{self.year}:{self.seq}"

    def as_record(self) -> dict[str, Any]:
        return {"code": self.code, "year": self.year, "seq": self.seq, "text": self.text}


def format_doc_number(code: str, year: int, seq: int) -> str:
    return f"{code}{OPEN_BRACKET}{year}{CLOSE_BRACKET}{seq}号"


LETTER_SERIES_TYPES = ("函", "便函")


def series_code(code: str, doc_type: str) -> str:
    """The code a document's 发文字号 counts in. A 函 has its organ's letter series, 代字 + 函 (韶府函〔2026〕3号),
    so letters do not use up the numbers of its 通知, 决定 and 报告, and the number says at a glance that it is a
    letter; a code that already names a letter series (韶府办函) is kept as it is."""
    if doc_type in LETTER_SERIES_TYPES and code and not code.endswith("函") and len(code) < 10:
        return code + "函"
    return code


def written_date_at_numbering(document: dict[str, Any]) -> str:
    """成文日期 as the numbered document prints it: the one the drafter wrote, else the day the issuing organ's
    head signed it off (GB/T 9704 7.3.5.3: 署发文机关负责人签发的日期), else (numbered outside a flow) today,
    Beijing time. A document never goes out undated, with its seal over an empty date line."""
    if written := document["content"].get("written_date"):
        return str(written)
    signed = (document.get("signoff") or {}).get("at") or utcnow()
    return signed.astimezone(CHINA).date().isoformat()


def check_code(code: Any) -> str:
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise InvalidInput(f"机关代字 must be 1–10 Chinese characters or letters (got {code!r})", code="invalid_code")
    return code


def parse_doc_number(text: str) -> DocNumber:
    """Read `韶府〔2026〕12号`, saying exactly what is wrong with anything else."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("发文字号 is empty", code="invalid_doc_number")
    text = text.strip()
    if OPEN_BRACKET not in text or CLOSE_BRACKET not in text:
        used = sorted({char for char in text if char in LOOKALIKE_BRACKETS})
        hint = f" (found {' '.join(used)})" if used else ""
        raise InvalidInput(f"the year in a 发文字号 must be inside 〔〕 (U+3014/U+3015){hint}: {text!r}",
                           code="invalid_doc_number")
    match = NUMBER_RE.match(text)
    if not match:
        raise InvalidInput(f"a 发文字号 reads 代字〔YYYY〕N号, e.g. 韶府〔2026〕12号 (got {text!r})",
                           code="invalid_doc_number")
    code, year, seq, suffix = match["code"], match["year"], match["seq"], match["suffix"]
    problems = []
    if not CODE_RE.match(code):
        problems.append(f"the 机关代字 {code!r} must be 1–10 Chinese characters or letters")
    if not re.fullmatch(r"\d{4}", year):
        problems.append(f"the year must be written in full with four digits (got {year!r})")
    if seq.startswith("第"):
        problems.append("the sequence number is written without 第")
        seq = seq[1:]
    if not re.fullmatch(r"\d+", seq):
        problems.append(f"the sequence number must be Arabic digits (got {seq!r})")
    elif seq.startswith("0"):
        problems.append(f"the sequence number must not have leading zeros (got {seq!r})")
    if not suffix:
        problems.append("a 发文字号 ends with 号 (or 號)")
    if problems:
        raise InvalidInput("; ".join(problems) + f": {text!r}", code="invalid_doc_number")
    return DocNumber(code, int(year), int(seq))


def year_of(moment: datetime) -> int:
    return moment.astimezone(CHINA).year


Attach = Callable[[Session, DocNumber], Awaitable[Any]]


class NumberService:
    """The counters and the ledger of every 发文字号 ever handed out."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self.counters = mongo["number_counters"]
        self.ledger = mongo["doc_numbers"]
        # Allocations for one code queue here instead of colliding in the database; other
        # processes still collide, and the transaction retries resolve those.
        self._locks: dict[str, asyncio.Lock] = {}

    async def allocate(self, code: str, *, document_id: str | None, by: str,
                       at: datetime | None = None, attach: Attach | None = None) -> tuple[DocNumber, Any]:
        """The next number for `code` this year, written to the ledger together with `attach`'s writes.

        `attach(session, number)` runs inside the same transaction; if it raises, the number is
        not taken. Returns the number and whatever `attach` returned.
        """
        check_code(code)
        moment = at or utcnow()
        year = year_of(moment)

        async def work(session: Session) -> tuple[DocNumber, Any]:
            counter = await find_one_and_update_after(
                self.counters, {"_id": f"{code}:{year}"},
                {"$inc": {"last": 1}, "$setOnInsert": {"code": code, "year": year, "schema_version": SCHEMA_VERSION}},
                upsert=True, session=session)
            number = DocNumber(code, year, counter["last"])
            await self.ledger.insert_one({
                "_id": number.key, "schema_version": SCHEMA_VERSION, **number.as_record(),
                "document_id": document_id, "status": "allocated", "allocated_by": by, "allocated_at": moment,
            }, session=session)
            attached = await attach(session, number) if attach else None
            return number, attached

        async with self._locks.setdefault(f"{code}:{year}", asyncio.Lock()):
            return await self.mongo.run_transaction(work)

    async def void(self, text: str, *, reason: str, by: str, at: datetime | None = None,
                   attach: Attach | None = None) -> dict[str, Any]:
        """Mark a number 作废. It stays in the ledger and is never handed out again."""
        number = parse_doc_number(text)
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput("a reason is required to void a 发文字号", code="reason_required")

        async def work(session: Session) -> dict[str, Any]:
            entry = await find_one_and_update_after(
                self.ledger, {"_id": number.key, "status": "allocated"},
                {"$set": {"status": "voided", "voided_by": by, "voided_at": at or utcnow(),
                          "void_reason": reason.strip()}}, session=session)
            if entry is None:
                if await self.ledger.find_one({"_id": number.key}, session=session) is None:
                    raise NotFound(f"发文字号 {number.text} was never handed out")
                raise Conflict(f"发文字号 {number.text} is already voided", code="already_voided")
            if attach:
                await attach(session, number)
            return entry

        return await self.mongo.run_transaction(work)

    async def entries(self, code: str, year: int) -> list[dict[str, Any]]:
        check_code(code)
        return await self.ledger.find({"code": code, "year": year}).sort("seq", 1).to_list(None)

    async def entry(self, text: str) -> dict[str, Any] | None:
        return await self.ledger.find_one({"_id": parse_doc_number(text).key})
