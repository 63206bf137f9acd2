"""What the flow engine's automatic steps need from the exchange, as interfaces the exchange implements.

分发 sends the issued document and 归档 of a 收文 closes its receipt; the engine does not import the
exchange, and the exchange does not import the engine: `web/services.py` plugs one into the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class Dispatcher(Protocol):
    async def do_dispatch(self, document_id: str, user: dict[str, Any], *, main: list[dict[str, Any]],
                          copy: list[dict[str, Any]], idempotency_key: str) -> dict[str, Any]:
        """Send the document to the units the 主送/抄送 selectors resolve to, once per key."""
        ...


class ReceiptCloser(Protocol):
    async def close_after_flow(self, receipt_id: str, instance_id: str, actor: dict[str, Any],
                               now: datetime) -> Any:
        """The 收文 flow on this receipt has ended: the receipt is done."""
        ...
