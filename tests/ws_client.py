"""A WebSocket client for tests: connect to /ws with a token, read typed events with a timeout."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
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


class StalledClient:
    """A client that stops reading, as a phone on a dead network does: a raw socket with a tiny receive buffer
    (set before connecting, so the window stays small), upgraded to /ws and then left unread until `drain`."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    async def connect(cls, base_url: str, token: str, receive_buffer: int = 4096) -> StalledClient:
        host, port = base_url.removeprefix("http://").split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, (host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        await loop.sock_sendall(sock, (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode())
        client = cls(sock)
        head = b""
        while b"\r\n\r\n" not in head:
            head += await loop.sock_recv(sock, 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        hello = await client._frame()
        assert hello is not None and json.loads(hello[1])["type"] == "hello"
        return client

    async def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = await asyncio.get_running_loop().sock_recv(self.sock, size - len(data))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            data += chunk
        return data

    async def _frame(self) -> tuple[int, bytes] | None:
        """(opcode, payload) of the next frame the server sent (server frames are never masked)."""
        first, second = await self._exactly(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", await self._exactly(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", await self._exactly(8))[0]
        return first & 0x0F, await self._exactly(length)

    async def drain(self, quiet: float = 5) -> tuple[list[int], int | None]:
        """Reads everything the server had sent: the event ids, and the close code it ended with (None when the
        connection ended without one, or nothing more came for `quiet` seconds)."""
        ids: list[int] = []
        while True:
            try:
                frame = await asyncio.wait_for(self._frame(), quiet)
            except (ConnectionError, TimeoutError):
                return ids, None
            opcode, payload = frame  # type: ignore[misc]
            if opcode == 0x8:
                return ids, struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
            if opcode == 0x1:
                ids.append(json.loads(payload)["id"])

    def close(self) -> None:
        self.sock.close()
