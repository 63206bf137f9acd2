"""Pinyin initials of Chinese names (李华伟 → lhw), so people can be found by typing `lhw`.

The table covers the CJK Unified Ideographs block (U+4E00–U+9FFF), one ASCII letter per character
(its most common reading's first letter; `-` where the character has no reading), 21 KB held as
one string. It was generated from pypinyin's single-character dictionary by running this module
(`python -m oa.pinyin_initials`, needs `pip install pypinyin`); the service itself does not need
pypinyin. Polyphonic surnames take their most common reading (单 → d, not s).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

FIRST, LAST = 0x4E00, 0x9FFF
TABLE_PATH = Path(__file__).with_name("data") / "pinyin_initials.txt"
_TABLE = TABLE_PATH.read_text(encoding="ascii").strip() if TABLE_PATH.exists() else ""


def initials(text: str) -> str:
    """The initials of the Chinese characters in `text`; other letters and digits are kept, lower-cased."""
    letters = []
    for char in text:
        code = ord(char)
        if FIRST <= code <= LAST and code - FIRST < len(_TABLE):
            letter = _TABLE[code - FIRST]
            if letter != "-":
                letters.append(letter)
        elif char.isascii() and char.isalnum():
            letters.append(char.lower())
    return "".join(letters)


def _generate() -> str:
    from pypinyin.pinyin_dict import pinyin_dict  # a development tool only

    letters = []
    for code in range(FIRST, LAST + 1):
        reading = pinyin_dict.get(code, "")
        first = unicodedata.normalize("NFD", reading.split(",")[0])[:1].lower() if reading else ""
        letters.append(first if first.isascii() and first.isalpha() else "-")
    return "".join(letters)


if __name__ == "__main__":
    TABLE_PATH.parent.mkdir(exist_ok=True)
    TABLE_PATH.write_text(_generate() + "\n", encoding="ascii")
    print(f"wrote {TABLE_PATH}")
