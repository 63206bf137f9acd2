"""Where a 公文 title breaks into lines: between words, shaped as the standard asks.

GB/T 9704-2012 7.3.1: a title "可分一行或多行居中排布；回行时，要做到词意完整，排列对称，长短适宜，
间距恰当，标题排列应当使用梯形或菱形". So a break never falls inside a word (words cut by `word_list.py`
over jieba's dictionary, with the government phrases below kept whole), never strands punctuation at a
line's start or an opening bracket at a line's end, and among the breaks that fit, the chosen one gives a
trapezoid (lines growing or shrinking) or a diamond (longest in the middle), never an hourglass,
no line of one or two characters, the issuing organ's name on its own line where it can be (a break
before 关于), and lines of similar length otherwise.

`title_lines` is used by every renderer (.docx, preview), so they break alike; `word_breaks` is what
the checker uses to tell a break inside a word from one between words.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import lru_cache

from oa.rendering.layout import TITLE_CHARS_PER_LINE
from oa.rendering.text_width import text_width
from oa.rendering.word_list import WordList, jieba_dictionary

# Phrases of government titles the general dictionary would split, and must not be split across lines.
KEEP_WHOLE = ("人民政府", "办公室", "办公厅", "营商环境", "安全生产", "森林防火", "专项行动", "实施方案",
              "工作方案", "行动方案", "指导意见", "暂行办法", "管理办法", "实施细则", "常务会议", "人民代表大会",
              "常务委员会", "政协委员", "乡村振兴", "高质量发展", "防汛防旱", "应急管理", "生态环境")
# A line may not begin with these (closing punctuation, 避头) nor end with the openers (避尾).
NO_LINE_START = set("，。、；：！？）》」』”’…—·")
NO_LINE_END = set("（《「『“‘")
ORGAN_BREAK_BEFORE = ("关于", "關于", "關於")
# Small words that read badly at the edge of a line.
WEAK_START = ("的", "和", "与", "及", "暨", "或")
MAX_EXTRA_LINES = 1  # one more line than the fewest may give a better shape…
EXTRA_LINE_COST = 10  # …but only when the fewest lines would look clearly worse

# Words seen fewer times than this in jieba's corpus are left out of the dictionary: the 136,000 that remain
# (of 349,000) cover what titles say and segment the same where it matters (the phrases above are kept
# whole anyway). A rarer word is then split into shorter ones, which only offers more places to break a
# line, each still between words.
MIN_WORD_FREQUENCY = 5


@lru_cache(maxsize=1)
def _word_list() -> WordList:
    return WordList.from_file(jieba_dictionary(), MIN_WORD_FREQUENCY,
                              ((phrase, 2_000_000) for phrase in KEEP_WHOLE))


def warm_up() -> None:
    """Load the dictionary now (a service calls this in a thread at start), not in the first render."""
    _word_list()


def words(text: str) -> list[str]:
    """`text` cut into words (dictionary only, no guessing of unknown words: a break needs certainty)."""
    return _word_list().cut(text)


def word_breaks(text: str) -> set[int]:
    """Offsets in `text` where a line may break: between two words, not before closing punctuation or after
    an opening bracket; a number and what follows it (2026年) stay together."""
    tokens = words(text)
    allowed: set[int] = set()
    at = 0
    for token, following in itertools.pairwise(tokens):
        at += len(token)
        if following[0] in NO_LINE_START or token[-1] in NO_LINE_END:
            continue
        if token[-1].isdigit() and following[0] in "年月日号期届次":
            continue
        allowed.add(at)
    return allowed


def _cost(title: str, cuts: Sequence[int], limit: int) -> float | None:
    """How bad these cut points look (lower is better), or None when a line does not fit."""
    bounds = [0, *cuts, len(title)]
    lines = [title[a:b] for a, b in itertools.pairwise(bounds)]
    widths = [text_width(line) for line in lines]
    if max(widths) > limit:
        return None
    cost = 0.0
    longest = max(widths)
    for index in range(1, len(widths) - 1):  # an hourglass: a middle line shorter than both neighbours
        if widths[index] < widths[index - 1] and widths[index] < widths[index + 1]:
            cost += 40
    if min(widths) <= 2:
        cost += 60
    elif min(widths) < longest / 3:
        cost += 15
    cost += (longest - min(widths)) / limit * 6  # 长短适宜: similar lengths read best
    for cut in cuts:
        if title[cut:].startswith(ORGAN_BREAK_BEFORE):
            cost -= 8  # the organ's name on its own line
        if title[cut:].startswith(WEAK_START):
            cost += 4
        if title[:cut].endswith(WEAK_START):
            cost += 2
        before = title[:cut]
        if before.count("《") > before.count("》") or before.count("“") > before.count("”"):
            cost += 3  # inside a document's name or a quoted term
    return cost


def title_lines(title: str, limit: int = TITLE_CHARS_PER_LINE) -> list[str]:
    """The lines of `title`: one when it fits, else the best-shaped break between words. If no break between
    words fits (a single word longer than a line), the title is left whole for the word processor to wrap."""
    if text_width(title) <= limit:
        return [title]
    allowed = sorted(word_breaks(title))
    fewest = math.ceil(text_width(title) / limit)
    best: tuple[float, tuple[int, ...]] | None = None
    for count in range(fewest, fewest + MAX_EXTRA_LINES + 1):
        for cuts in itertools.combinations(allowed, count - 1):
            cost = _cost(title, cuts, limit)
            if cost is not None:
                cost += (count - fewest) * EXTRA_LINE_COST
            if cost is not None and (best is None or cost < best[0]):
                best = (cost, cuts)
    if best is None:
        return [title]
    bounds = [0, *best[1], len(title)]
    return [title[a:b].strip() for a, b in itertools.pairwise(bounds)]


def misplaced_breaks(lines: Sequence[str]) -> list[str]:
    """Each break between `lines` that falls inside a word, shown as "防/火" (for the checker)."""
    title = "".join(lines)
    allowed = word_breaks(title)
    found = []
    at = 0
    for line in lines[:-1]:
        at += len(line)
        if at not in allowed:
            found.append(f"{title[max(0, at - 2):at]}/{title[at:at + 2]}")
    return found


def hourglass(lines: Sequence[str]) -> bool:
    widths = [text_width(line) for line in lines]
    return any(widths[i] < widths[i - 1] and widths[i] < widths[i + 1] for i in range(1, len(widths) - 1))
