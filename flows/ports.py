"""What the flow engine's automatic steps need from the exchange and the seals, as interfaces they implement.

分发 sends the issued document and 归档 of a 收文 closes its receipt; 生成正式文件 presses and signs the
issuing organs' seals. The engine imports neither the exchange nor the seals package, and they do not
import the engine: `web/services.py` plugs one into the other.
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


class SealPress(Protocol):
    """The issuing organs' seals: their images for the typesetter, their signatures on the PDF, the 用印 register."""

    async def image_png(self, unit_id: str) -> bytes:
        ...

    async def seal_pdf(self, pdf: bytes, placements: list[Any], *, reason: str, location: str | None = None) -> bytes:
        """`pdf` signed by each placement's unit (oa.seals.SealPlacement) in turn."""
        ...

    async def record_use(self, *, document_id: str, document_version: int, unit_ids: list[str], user_id: str,
                         user_name: str, pdf: bytes) -> Any:
        ...
