"""Memory of one open WebSocket in a bare Tornado server: plain, with a send task and queue per socket, and with
permessage-deflate accepted (as browsers ask for it), for N sockets opened by a second process.

Run by hand:  python bench/ws_socket_memory.py [--sockets 2000]   (results go into BENCHMARKS.md)
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time

SERVER = """
import asyncio, sys, tornado.web, tornado.websocket
MODE = sys.argv[2]
class Handler(tornado.websocket.WebSocketHandler):
    def get_compression_options(self):
        return {} if MODE == "deflate" else None
    def open(self):
        if MODE == "task":
            self.queue = asyncio.Queue()
            self.task = asyncio.create_task(self.loop())
    async def loop(self):
        while True:
            await self.queue.get()
async def main():
    tornado.web.Application([(r"/ws", Handler)]).listen(int(sys.argv[1]))
    await asyncio.Event().wait()
asyncio.run(main())
"""

CLIENT = """
import asyncio, sys
from tornado.websocket import websocket_connect
async def main():
    gate, opened = asyncio.Semaphore(100), []
    async def one():
        async with gate:
            opened.append(await websocket_connect(f"ws://127.0.0.1:{sys.argv[1]}/ws", compression_options={}))
    await asyncio.gather(*(one() for _ in range(int(sys.argv[2]))))
    print("open", flush=True)
    await asyncio.sleep(3600)
asyncio.run(main())
"""


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure(mode: str, sockets: int) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), mode])
    time.sleep(1.0)
    before = rss_kib(server.pid)
    client = subprocess.Popen([sys.executable, "-c", CLIENT, str(port), str(sockets)], stdout=subprocess.PIPE,
                              text=True)
    assert client.stdout is not None and client.stdout.readline().strip() == "open"
    time.sleep(2.0)
    grown = rss_kib(server.pid) - before
    print(f"{mode:>8}: {grown / 1024:6.1f} MiB for {sockets} sockets, {grown / sockets:5.1f} KiB each")
    client.kill()
    server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=2000)
    args = parser.parse_args()
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.sockets * 2 + 100)), hard))
    for mode in ("plain", "task", "deflate"):
        measure(mode, args.sockets)


if __name__ == "__main__":
    main()
