"""The compact word list cuts exactly as jieba's own tokenizer does over the same words.

jieba is imported here only, as the reference; the service reads jieba's word file and cuts with
`oa/rendering/word_list.py`. Texts: generated runs of dictionary words (with numbers, letters, spaces and
punctuation between them) and the titles these tests and the demo use.
"""

from __future__ import annotations

import random

import pytest

from oa.rendering import title_breaks
from oa.rendering.word_list import WordList, jieba_dictionary

TITLES = ["韶关市人民政府关于开展2026年安全生产大检查专项行动的实施方案的通知",
          "关于印发《韶关市优化营商环境三年行动方案（2026—2028年）》的通知",
          "始兴县太平镇关于申请拨付防汛防旱物资经费的请示", "关于A3纸打印 GB/T 9704-2012 版式的说明",
          "中共韶关市委办公室 韶关市人民政府办公室关于做好2026年元旦春节期间有关工作的通知"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """jieba's tokenizer over the same words as the service's list: the rarer ones left out."""
    import jieba

    kept = tmp_path_factory.mktemp("words") / "dict.txt"
    with jieba_dictionary().open(encoding="utf-8") as lines, kept.open("w", encoding="utf-8") as out:
        out.writelines(line for line in lines if int(line.split()[1]) >= title_breaks.MIN_WORD_FREQUENCY)
    tokenizer = jieba.Tokenizer(dictionary=str(kept))
    tokenizer.initialize()
    for phrase in title_breaks.KEEP_WHOLE:
        tokenizer.add_word(phrase, freq=2_000_000)
    return tokenizer


def texts(count: int) -> list[str]:
    chooser = random.Random(20261130)
    words = [line.split()[0] for line in jieba_dictionary().open(encoding="utf-8")]
    tails = ["", "2026年", "A3纸", "，的", "  x", "（试行）", "—", "12.5%"]
    return TITLES + ["".join(chooser.choice(words) for _ in range(chooser.randint(1, 8))) + chooser.choice(tails)
                     for _ in range(count)]


def test_the_word_list_cuts_as_jieba_does(reference) -> None:  # type: ignore[no-untyped-def]
    ours = title_breaks._word_list()
    differing = [(text, reference.lcut(text, HMM=False), ours.cut(text)) for text in texts(400)
                 if reference.lcut(text, HMM=False) != ours.cut(text)]
    assert not differing, differing[:3]


def test_repeated_words_keep_the_last_frequency_and_count_every_time() -> None:
    words = WordList([("安全", 10), ("生产", 10), ("安全生产", 1), ("安全生产", 1_000)])
    assert words.cut("安全生产") == ["安全生产"]
    assert WordList([("安全", 10), ("生产", 10), ("安全生产", 1)]).cut("安全生产") == ["安全", "生产"]
