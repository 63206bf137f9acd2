"""发文字号: parsing with precise errors, and allocation that never gaps, doubles or reuses a number."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from oa.errors import Conflict, InvalidInput, NotFound
from oa.numbering import DocNumber, NumberService, format_doc_number, parse_doc_number
from storage.mongo import Mongo
from web.services import Endpoints, Services


def test_format_and_parse_round_trip() -> None:
    assert format_doc_number("韶府", 2026, 12) == "韶府〔2026〕12号"
    assert parse_doc_number("韶府〔2026〕12号") == DocNumber("韶府", 2026, 12)
    assert parse_doc_number("粵發〔2019〕18號") == DocNumber("粵發", 2019, 18)
    assert parse_doc_number(" 清府办〔2015〕70号 ").text == "清府办〔2015〕70号"


@pytest.mark.parametrize(("text", "says"), [
    ("韶府[2026]12号", "〔〕 (U+3014/U+3015) (found [ ])"),
    ("韶府【2026】12号", "found 【 】"),
    ("韶府（2026）12号", "found （ ）"),
    ("韶府〔2026〕012号", "leading zeros"),
    ("韶府〔26〕12号", "four digits"),
    ("韶府〔2026〕第12号", "without 第"),
    ("韶府〔2026〕12", "ends with 号"),
    ("韶府〔2026〕十二号", "Arabic digits"),
    ("〔2026〕12号", "代字〔YYYY〕N号"),
    ("", "empty"),
])
def test_parse_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_doc_number(text)
    assert says in caught.value.message
    assert caught.value.code == "invalid_doc_number"


async def test_two_hundred_concurrent_allocations_are_consecutive(services: Services, endpoints: Endpoints) -> None:
    """Four processes' worth of services (own clients, own locks) race for one code: 1..200, once each."""
    others = [await Mongo.connect(endpoints.mongodb_uri, services.settings.mongodb_db) for _ in range(3)]
    try:
        numberers = [services.numbers, *(NumberService(mongo) for mongo in others)]
        at = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
        results = await asyncio.gather(*[
            numberers[i % 4].allocate("韶府", document_id=f"doc-{i}", by="tester", at=at) for i in range(200)])
    finally:
        for mongo in others:
            await mongo.close()
    numbers = sorted(number.seq for number, _ in results)
    assert numbers == list(range(1, 201))
    ledger = await services.numbers.entries("韶府", 2026)
    assert [entry["seq"] for entry in ledger] == list(range(1, 201))
    assert len({entry["document_id"] for entry in ledger}) == 200


async def test_voided_number_is_kept_and_never_handed_out_again(services: Services) -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    first, _ = await services.numbers.allocate("甲府", document_id="d1", by="u", at=at)
    await services.numbers.void(first.text, reason="标题有误，重新编号", by="u")
    second, _ = await services.numbers.allocate("甲府", document_id="d1", by="u", at=at)
    assert (first.seq, second.seq) == (1, 2)
    entry = await services.numbers.entry(first.text)
    assert entry["status"] == "voided" and entry["void_reason"] == "标题有误，重新编号"
    with pytest.raises(Conflict):
        await services.numbers.void(first.text, reason="again", by="u")
    with pytest.raises(NotFound):
        await services.numbers.void("甲府〔2026〕99号", reason="never issued", by="u")
    with pytest.raises(InvalidInput):
        await services.numbers.void(second.text, reason="  ", by="u")


async def test_year_rolls_over_at_china_new_year(services: Services) -> None:
    # 2026-12-31 16:30 UTC is already 2027-01-01 00:30 in Beijing.
    last_of_2026, _ = await services.numbers.allocate("乙府", document_id="a", by="u",
                                                      at=datetime(2026, 12, 31, 15, 0, tzinfo=UTC))
    first_of_2027, _ = await services.numbers.allocate("乙府", document_id="b", by="u",
                                                       at=datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    assert last_of_2026.text == "乙府〔2026〕1号"
    assert first_of_2027.text == "乙府〔2027〕1号"


async def test_a_failed_attach_takes_no_number(services: Services) -> None:
    async def refuse(session: object, number: DocNumber) -> None:
        raise InvalidInput("document not ready")

    at = datetime(2026, 5, 5, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        await services.numbers.allocate("测府", document_id="x", by="u", at=at, attach=refuse)
    number, _ = await services.numbers.allocate("测府", document_id="y", by="u", at=at)
    assert number.seq == 1
    assert [entry["document_id"] for entry in await services.numbers.entries("测府", 2026)] == ["y"]


async def test_bad_code_is_refused(services: Services) -> None:
    with pytest.raises(InvalidInput, match="机关代字"):
        await services.numbers.allocate("韶 府!", document_id=None, by="u")
