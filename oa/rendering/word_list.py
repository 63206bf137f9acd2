"""A compact Chinese word list and the dictionary-only word cut that titles are broken by.

The words and frequencies are jieba's own dictionary (`jieba/dict.txt`, the file only: the `jieba` module
is never imported), kept as one sorted string with two integer arrays, about 3 MB for 136,000 words,
where jieba's tokenizer keeps a dict of every word and every prefix (about 24 MB for the same words).
Every replica holds one, so the difference counts against each process's memory.

`WordList.cut` gives what `jieba.Tokenizer.lcut(text, HMM=False)` gives over the same words: the same
blocks (runs of Chinese, letters, digits and `+#&._%-`; other characters one by one; whitespace kept),
the same word graph (a fragment is looked at while some word starts with it), the same best route by
log frequency (ties to the longer word) and the same joining of single letters and digits. It is
read-only once built, so threads may cut at once.
"""

from __future__ import annotations

import importlib.util
import math
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from pathlib import Path

BLOCK = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)")
SPACE = re.compile("(\r\n|\\s)")
LETTER_OR_DIGIT = re.compile("[a-zA-Z0-9]")


def jieba_dictionary() -> Path:
    """jieba's word list as installed, found without importing the package."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the jieba package (its dict.txt word list) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


class _Words:
    """Sorted words as one string: word i is text[starts[i]:starts[i + 1] - 1], looked up by bisection."""

    def __init__(self, words: list[str]) -> None:
        self.text = "\n".join(words) + "\n"
        self.starts = array("I", [0])
        for word in words:
            self.starts.append(self.starts[-1] + len(word) + 1)
        self.count = len(words)

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> str:
        return self.text[self.starts[index]:self.starts[index + 1] - 1]


class WordList:
    def __init__(self, entries: Iterable[tuple[str, int]]) -> None:
        """`entries`: (word, frequency) in any order; a repeated word keeps its last frequency and, as in
        jieba, every occurrence counts towards the total."""
        frequencies: dict[str, int] = {}
        total = 0
        for word, frequency in entries:
            frequencies[word] = frequency
            total += frequency
        ordered = sorted(frequencies)
        self._words = _Words(ordered)
        self._frequencies = array("Q", (frequencies[word] for word in ordered))
        self._log_total = math.log(total)

    @classmethod
    def from_file(cls, path: Path, min_frequency: int = 0,
                  extra: Iterable[tuple[str, int]] = ()) -> WordList:
        """Lines `word frequency [tag]` (jieba's format); words rarer than `min_frequency` left out."""

        def entries() -> Iterator[tuple[str, int]]:
            with path.open(encoding="utf-8") as lines:
                for line in lines:
                    word, frequency = line.strip().split(" ")[:2]
                    if int(frequency) >= min_frequency:
                        yield word, int(frequency)
            yield from extra

        return cls(entries())

    def _lookup(self, fragment: str) -> tuple[int, bool]:
        """The fragment's frequency (0 if it is not a word) and whether some word starts with it."""
        at = bisect_left(self._words, fragment)
        if at == len(self._words):
            return 0, False
        found = self._words[at]
        if found == fragment:
            return self._frequencies[at], True
        return 0, found.startswith(fragment)

    def _route(self, block: str) -> list[int]:
        """For each position, the end of the word the best cut of the rest starts with."""
        size = len(block)
        graph: list[list[tuple[int, int]]] = []
        for start in range(size):
            ends: list[tuple[int, int]] = []
            end = start
            while end < size:
                frequency, known = self._lookup(block[start:end + 1])
                if not known:
                    break
                if frequency:
                    ends.append((end, frequency))
                end += 1
            graph.append(ends or [(start, 0)])
        score = [0.0] * (size + 1)
        best_end = [0] * (size + 1)
        for start in range(size - 1, -1, -1):
            score[start], best_end[start] = max(
                (math.log(frequency or 1) - self._log_total + score[end + 1], end) for end, frequency in graph[start])
        return best_end

    def _cut_block(self, block: str) -> Iterator[str]:
        best_end = self._route(block)
        letters = ""
        at = 0
        while at < len(block):
            word = block[at:best_end[at] + 1]
            at = best_end[at] + 1
            if len(word) == 1 and LETTER_OR_DIGIT.match(word):
                letters += word
                continue
            if letters:
                yield letters
                letters = ""
            yield word
        if letters:
            yield letters

    def cut(self, text: str) -> list[str]:
        found: list[str] = []
        for block in BLOCK.split(text):
            if not block:
                continue
            if BLOCK.match(block):
                found.extend(self._cut_block(block))
                continue
            for part in SPACE.split(block):
                if SPACE.match(part):
                    found.append(part)
                else:
                    found.extend(part)
        return found
