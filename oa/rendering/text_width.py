"""How wide a text is in 一字 (one full-width character), as a typesetter counts it."""

from __future__ import annotations

import re

# Characters that a typesetter counts as a full 一字; Latin letters, digits and ASCII punctuation are half.
_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
                   r"\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u2014\u2026\u201c\u201d]")


def text_width(text: str) -> float:
    """Width in 一字 units: CJK characters and full-width punctuation count 1, everything else ½."""
    wide = len(_WIDE.findall(text))
    return wide + (len(text) - wide) / 2
