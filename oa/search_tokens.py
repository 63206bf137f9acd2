"""Search tokens for Chinese 公文 text: overlapping character pairs, as CJK search engines index.

Chinese has no spaces, and MongoDB's text index has no Chinese analyser. Overlapping pairs of
characters (安全生产 → 安全 全生 生产) find every word of two or more characters without a
dictionary that would have to know each new place name or policy term; a query must contain
all of its own pairs, so 安全生产 does not match a text that has 安全 and 生产 apart only by luck
of ranking. Single characters are kept separately for one-character queries (函, 令).
Latin letters and digits form words of their own, lower-cased (2026, gb, 12号 → 12 + 号).

The same functions split what is indexed and what is asked, and mark the matches to highlight,
so the three can never disagree. Full-width letters and digits are folded to half-width first.
"""

from __future__ import annotations

import re
import unicodedata

# CJK ideographs (basic block and extension A) and the 〇 of dates.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\u3007"
_RUN = re.compile(rf"[{_CJK}]+|[0-9a-z]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


def normalise(text: str) -> str:
    """Full-width forms folded (ＡＢ１２ → ab12), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _runs(text: str) -> list[str]:
    return _RUN.findall(normalise(text))


def pairs(text: str) -> list[str]:
    """Every overlapping character pair of the CJK runs, and every Latin/digit word."""
    tokens: list[str] = []
    for run in _runs(text):
        if _IS_CJK.match(run) and len(run) > 1:
            tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(run)
    return tokens


def characters(text: str) -> list[str]:
    """Every CJK character once (for one-character queries), and every Latin/digit word."""
    seen: dict[str, None] = {}
    for run in _runs(text):
        if _IS_CJK.match(run):
            seen.update(dict.fromkeys(run))
        else:
            seen[run] = None
    return list(seen)


def query_terms(query: str) -> tuple[list[str], list[str]]:
    """What a query asks for: (pairs every hit must contain, single characters every hit must contain).

    A one-character CJK run asks for that character; longer runs ask for their pairs.
    """
    needed_pairs: dict[str, None] = {}
    needed_chars: dict[str, None] = {}
    for run in _runs(query):
        if _IS_CJK.match(run) and len(run) == 1:
            needed_chars[run] = None
        elif _IS_CJK.match(run):
            needed_pairs.update(dict.fromkeys(run[i:i + 2] for i in range(len(run) - 1)))
        else:
            needed_pairs[run] = None
    return list(needed_pairs), list(needed_chars)


def highlight(text: str, query: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, matched) parts, the parts that match the query's runs marked.

    Matching works on the normalised text, whose length equals the original's for CJK and ASCII,
    so the marks fall on the original characters; other texts come back unmarked rather than wrong.
    """
    folded = normalise(text)
    if len(folded) != len(text) or not query.strip():
        return [(text, False)] if text else []
    marked = [False] * len(text)
    for run in _runs(query):
        start = folded.find(run)
        while start >= 0:
            for i in range(start, start + len(run)):
                marked[i] = True
            start = folded.find(run, start + len(run))
    parts: list[tuple[str, bool]] = []
    for i, char in enumerate(text):
        if parts and parts[-1][1] == marked[i]:
            parts[-1] = (parts[-1][0] + char, marked[i])
        else:
            parts.append((char, marked[i]))
    return parts


def snippet(text: str, query: str, width: int = 80) -> str:
    """About `width` characters of `text` around the first match of the query (its start if none)."""
    folded = normalise(text)
    first = min((at for at in (folded.find(run) for run in _runs(query)) if at >= 0), default=0)
    start = max(0, first - width // 4)
    piece = text[start:start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")
