"""A WebSocket client for tests: connect to /ws with a token, read typed events with a timeout."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect


class Push:
    def __init__(self, connection: WebSocketClientConnection, hello: dict[str, Any]) -> None:
        self.connection = connection
        self.hello = hello
        self.last_id = int(hello["last_id"])

    @classmethod
    async def connect(cls, base_url: str, token: str, last_id: int | None = None) -> Push:
        query = f"?last_id={last_id}" if last_id is not None else ""
        url = base_url.replace("http://", "ws://") + "/ws" + query
        connection = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"Bearer {token}"}))
        hello = json.loads(await asyncio.wait_for(connection.read_message(), 10))  # type: ignore[arg-type]
        assert hello["type"] == "hello", hello
        return cls(connection, hello)

    async def next(self, timeout: float = 10) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.read_message(), timeout)
        if raw is None:
            raise ConnectionError(f"closed: {self.connection.close_code} {self.connection.close_reason}")
        event = json.loads(raw)
        self.last_id = event["id"]
        return dict(event)

    async def next_of(self, kind: str, timeout: float = 10) -> dict[str, Any]:
        while True:
            event = await self.next(timeout)
            if event["type"] == kind:
                return event

    async def nothing_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.connection.read_message(), seconds)
        except TimeoutError:
            return True
        return False

    def close(self) -> None:
        self.connection.close()


async def refused_status(base_url: str, headers: dict[str, str]) -> int:
    url = base_url.replace("http://", "ws://") + "/ws"
    try:
        connection = await websocket_connect(HTTPRequest(url, headers=headers))
    except HTTPClientError as error:
        return error.code
    connection.close()
    return 101
