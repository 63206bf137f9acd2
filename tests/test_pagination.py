"""The 版记 on the last, even page: the renderer's page count (pagination.py) against LibreOffice's layout.

Documents of every length from the seed letter's paragraphs, in the three example forms, are rendered and laid
out together; each must come out conformant, 版记 placement included, and between them they must need all three
placements (sharing the last page, moved to the next page, after a blank page). So must orders, minutes with
name lists of every length, and notices whose attachments are printed in full, each from a page of its own.
Digits and Latin letters are written as Chinese here: LibreOffice ignores w:autoSpaceDE/DN and adds space between
Chinese and digits, which Word (the clerk's editor) does not, so lines with digits wrap differently in the proxy
than in Word.
"""

from __future__ import annotations

import random

from oa.rendering import check_docx, render_docx
from oa.rendering.content import prepare
from oa.rendering.laid_out import lay_out_all
from oa.rendering.pagination import paginate, wrapped_lines
from tests.docx_corpus.make_corpus import ONE_PAGE
from tests.test_rendering import downward_notice, joint_notice, seed_letter, upward_request
from tests.test_rendering_forms import ATTENDEES, minutes, notice_with_attachment_texts, order

AS_CHINESE = str.maketrans("0123456789%/-<>", "〇一二三四五六七八九％／－〈〉")
DOCUMENTS = 36
FORM_DOCUMENTS = 24


def seed_paragraphs() -> list[dict]:
    return [{**p, "text": p["text"].translate(AS_CHINESE)} for p in seed_letter()["body"]]


def documents() -> list[dict]:
    rng = random.Random(3)
    paragraphs = seed_paragraphs()
    made = [ONE_PAGE]
    for _ in range(DOCUMENTS - 1):
        content = rng.choice((downward_notice, upward_request, joint_notice))()
        content["body"] = [rng.choice(paragraphs) for _ in range(rng.randint(1, 14))]
        content["attachments"] = content["attachments"][:rng.randint(0, len(content["attachments"]))]
        if rng.random() < 0.5:
            content |= {"note": "", "contact": None}
        made.append(content)
    return made


def form_documents() -> list[dict]:
    """Orders, minutes and notices with attachments printed in full, of every length."""
    rng = random.Random(9)
    paragraphs = seed_paragraphs()
    made = []
    for _ in range(FORM_DOCUMENTS):
        content = rng.choice((order, minutes, notice_with_attachment_texts))()
        content["body"] = [rng.choice(paragraphs) for _ in range(rng.randint(1, 12))]
        content["attachments"] = [
            {**attachment, "body": [rng.choice(paragraphs) for _ in range(rng.randint(1, 16))]}
            if attachment.get("body") else attachment for attachment in content["attachments"]]
        if content["doc_type"] == "纪要":
            content["attendees"] = ATTENDEES * rng.randint(0, 4)
        made.append(content)
    return made


def placements(contents: list[dict]) -> set[str]:
    """Where each document's 版记 went, after checking each is conformant as LibreOffice lays it out."""
    rendered = [render_docx(content) for content in contents]
    placements = set()
    for content, data, layout in zip(contents, rendered, lay_out_all(rendered), strict=True):
        found = check_docx(data, layout)
        assert found == [], f"{paginate(prepare(content))}: " + "\n".join(map(str, found))
        pages = paginate(prepare(content))
        if pages.imprint_page == pages.text_pages:
            placements.add("shares the last page")
        elif pages.text_pages % 2:
            placements.add("next page")
        else:
            placements.add("after a blank page")
        assert layout.pages % 2 == 0
    return placements


def test_imprint_lands_on_the_last_even_page_as_laid_out() -> None:
    assert placements(documents()) == {"shares the last page", "next page", "after a blank page"}


def test_special_forms_and_attachment_pages_keep_the_imprint_on_the_last_even_page() -> None:
    assert placements(form_documents()) == {"shares the last page", "next page", "after a blank page"}


def test_lines_wrap_at_28_characters_with_kinsoku() -> None:
    assert wrapped_lines("一" * 26, 2, 0) == 1
    assert wrapped_lines("一" * 27, 2, 0) == 2
    # A closing mark may not start a line: the character before it goes down with it.
    assert wrapped_lines("一" * 26 + "。", 2, 0) == 2
    assert wrapped_lines("一" * 25 + "。", 2, 0) == 1
    assert wrapped_lines("一" * 50 + "2026", 2, 0) == 2  # digits are half a character
