"""What the exchange needs from the flow engine, as an interface the engine implements.

The exchange (公文交换) hands a registered document to a 收文 or 传阅 flow; it does not import the
engine, and the engine does not import the exchange: `web/services.py` plugs one into the other.
"""

from __future__ import annotations

from typing import Any, Protocol


class ReceivingFlows(Protocol):
    async def start_on_received(self, key: str, document_id: str, variables: dict[str, Any], user: dict[str, Any],
                                channel: str, unit_id: str, receipt_id: str, first_node: str,
                                note: str) -> dict[str, Any]:
        """Start flow `key` in `unit_id` on a document it received (`receipt_id`); if `user` holds the
        flow's `first_node` step, it is done at once with `note`. Returns the instance."""
        ...
