"""One small HTTP client for the channel adapters: JSON in, JSON out, failures as DeliveryFailed.

Every outside service is reached through here, so timeouts and the meaning of an unreachable
server (retryable) are decided once.
"""

from __future__ import annotations

import json
from typing import Any

from oa.errors import DeliveryFailed

TIMEOUT_S = 10.0


async def request_json(method: str, url: str, *, service: str, params: dict[str, str] | None = None,
                       json_body: Any = None, form: dict[str, str] | None = None,
                       timeout_s: float = TIMEOUT_S) -> tuple[int, dict[str, Any]]:
    """Send one request and return (status, the JSON object answered). A network failure, a timeout or
    an answer that is not a JSON object raise DeliveryFailed (retryable: the service may be back later)."""
    import aiohttp  # about 10 MiB: loaded by the first notification sent, not by every process at start
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session, \
                session.request(method, url, params=params, json=json_body, data=form) as response:
            text = await response.text()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as failure:
        raise DeliveryFailed(f"{service}: could not reach {url.split('?')[0]} ({type(failure).__name__})",
                             retryable=True) from None
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DeliveryFailed(f"{service}: answered HTTP {status} without a JSON object", retryable=status >= 500)
    return status, body
