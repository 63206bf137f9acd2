"""`web.push.write_frame`: frames sent straight to the kernel, or through the stream once it is backed up,
reach the client whole and in order.

A dispatch writes each idle socket's frame straight to the kernel; a socket whose client reads slowly
fills its kernel buffer, the rest of a frame and every later one go through Tornado's buffer, and the
direct path must not overtake them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import struct

import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket

from web.push import write_frame

FRAMES = 600
PAD = "公" * 700  # ~2 KB a frame: the kernel's buffer fills after a few dozen


class Handler(tornado.websocket.WebSocketHandler):
    opened: asyncio.Queue[Handler]

    def get_compression_options(self) -> None:
        return None

    def open(self) -> None:
        assert self.ws_connection is not None
        self.ws_connection.stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        self.opened.put_nowait(self)


class RawClient:
    """A WebSocket client on a plain socket, so a test can take bytes off the wire between two writes of the
    server without giving the event loop (and so Tornado's own flushing) a turn."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.data = sock, b""

    @classmethod
    async def connect(cls, port: int) -> RawClient:
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        await loop.sock_sendall(sock, (
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(b'0123456789abcdef').decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        client = cls(sock)
        while b"\r\n\r\n" not in client.data:
            client.data += await loop.sock_recv(sock, 65536)
        head, client.data = client.data.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101")
        return client

    def take_waiting(self) -> None:
        """Whatever the kernel holds for this client, now (the loop gets no turn)."""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except BlockingIOError:
                return
            self.data += chunk

    async def frames(self, count: int) -> list[dict]:
        loop, out = asyncio.get_running_loop(), []
        while len(out) < count:
            frame = self._next()
            if frame is None:
                self.data += await asyncio.wait_for(loop.sock_recv(self.sock, 65536), 10)
            else:
                out.append(frame)
        return out

    def _next(self) -> dict | None:
        if len(self.data) < 2:
            return None
        assert self.data[0] == 0x81, f"not a whole text frame: {self.data[:8]!r}"
        size, start = self.data[1] & 0x7F, 2
        if size == 126:
            size, start = struct.unpack("!H", self.data[2:4])[0], 4
        elif size == 127:
            size, start = struct.unpack("!Q", self.data[2:10])[0], 10
        if len(self.data) < start + size:
            return None
        payload, self.data = self.data[start:start + size], self.data[start + size:]
        return json.loads(payload)


async def test_frames_arrive_whole_and_in_order_when_the_socket_backs_up() -> None:
    opened: asyncio.Queue[Handler] = asyncio.Queue()
    [listener] = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/ws", Handler)]))
    Handler.opened = opened
    server.add_sockets([listener])
    client = await RawClient.connect(listener.getsockname()[1])
    try:
        handler = await opened.get()

        def write(numbers: range) -> list[asyncio.Future[None] | None]:
            return [write_frame(handler, json.dumps({"n": n, "pad": PAD}, ensure_ascii=False)) for n in numbers]

        half = FRAMES // 2
        flushes = write(range(half))
        direct = sum(flush is None for flush in flushes)
        assert 0 < direct < half  # some went straight to the kernel, the rest wait in the stream
        # The client takes what the kernel holds: the kernel has room again while the stream still holds
        # frames; the next frames must queue behind those, not go past them.
        client.take_waiting()
        flushes += write(range(half, FRAMES))
        received = await client.frames(FRAMES)
        assert [frame["n"] for frame in received] == list(range(FRAMES))
        assert all(frame["pad"] == PAD for frame in received)
        await asyncio.gather(*(flush for flush in flushes if flush is not None))
        # Once the stream has drained, the next frame goes straight to the kernel again.
        assert write_frame(handler, json.dumps({"n": FRAMES})) is None
        assert await client.frames(1) == [{"n": FRAMES}]
    finally:
        client.sock.close()
        server.stop()
