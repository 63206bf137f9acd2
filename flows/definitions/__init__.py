"""The built-in flows every unit can use as they are or claim with local adjustments."""

from __future__ import annotations

from typing import Any

from flows.definitions.chuanyue import CHUANYUE
from flows.definitions.fawen import FAWEN
from flows.definitions.shouwen import SHOUWEN

BUILTIN_FLOWS: list[dict[str, Any]] = [FAWEN, SHOUWEN, CHUANYUE]
