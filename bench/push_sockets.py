"""Push at scale: 5,000 authenticated /ws connections to a real `oa serve --demo`, opened from separate client
processes, then one dispatch to every unit.

Every unit's 收发员 (1,346 people at scale 1) logs in once over HTTP; their Bearer tokens are spread over
the sockets (several sockets per person), and the sockets over `--clients` child processes of this
script, so neither the server nor this process shares an event loop with the sockets. Then the city
government's 收发员 dispatches a fresh document to every unit; each recipient unit's 收发员 gets an
`exchange.received` frame on each of their sockets (the sender's an `exchange.delivered`).

Reported: the client-observed time from the dispatch's HTTP response to the first and the last frame
of it (and per socket), the RSS of the `oa serve` process (not its database child) with the sockets
open (before the dispatch, right after it, and `--settle` seconds later), and the server's own figures
per frame (web/push_timing.py, OA_BENCH_PUSH_TIMING): from the event's `at` (written inside its
transaction) and from its transaction's commit (the change stream's wallTime) to the frame being written.

5,000 sockets need as many file descriptors in the server and in the clients: this script raises its
soft RLIMIT_NOFILE (inherited by both) with resource.setrlimit, up to the hard limit, and says so.

Run by hand:  python bench/push_sockets.py [--scale N] [--sockets 5000] [--clients 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from oa_process import (  # bench/ is on sys.path when run as a script
    CITY_CLERK,
    ROOT,
    Api,
    OaServe,
    demo_accounts,
    demo_scale,
    dispatch_and_wait,
    median,
    mib,
    numbered_document,
    percentile,
    recipients_of_everyone,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

FD_MARGIN = 2048  # database connections, files, the client side of HTTP calls


def out(text: str = "") -> None:
    print(text, flush=True)


def raise_open_files(wanted: int) -> str:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return f"RLIMIT_NOFILE soft {soft} (hard {hard}) already covers {wanted}; left as it is"
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as error:
        return f"RLIMIT_NOFILE soft {soft} (hard {hard}): could not raise it to {wanted} ({error}); sockets may fail"
    note = f"RLIMIT_NOFILE soft raised from {soft} to {target} (hard {hard}) with resource.setrlimit"
    return note if target >= wanted else note + f"; the hard limit is below the {wanted} wanted, so sockets may fail"


# A client process ----------------------------------------------------------------------------------

async def client(spec_path: Path, index: int) -> None:
    """Open this client's sockets, say so, then wait for a dispatch id on stdin and time its frames."""
    spec = json.loads(spec_path.read_text())
    tokens: list[str] = spec["shares"][index]
    url = spec["base"].replace("http://", "ws://") + "/ws"
    gate = asyncio.Semaphore(spec["concurrency"])
    frames: list[list[tuple[float, str | None]]] = [[] for _ in tokens]
    closed: list[Any] = [None] * len(tokens)
    connections: list[WebSocketClientConnection | None] = [None] * len(tokens)
    readers: list[asyncio.Task[None]] = []
    errors: list[str] = []

    async def read(slot: int, connection: WebSocketClientConnection) -> None:
        while True:
            message = await connection.read_message()
            if message is None:
                closed[slot] = [connection.close_code, connection.close_reason]
                return
            event = json.loads(message)
            data = event.get("data") or {}
            frames[slot].append((time.monotonic(), data.get("dispatch_id") if isinstance(data, dict) else None))

    async def open_one(slot: int, token: str) -> None:
        async with gate:
            for attempt in range(3):
                try:
                    # Offering permessage-deflate, as browsers do: the server decides whether sockets are compressed.
                    connection = await websocket_connect(HTTPRequest(
                        url, headers={"Authorization": f"Bearer {token}"}, connect_timeout=300, request_timeout=300),
                        compression_options={})
                    hello = json.loads(await asyncio.wait_for(connection.read_message(), 300))  # type: ignore[arg-type]
                    assert hello["type"] == "hello", hello
                    connections[slot] = connection
                    readers.append(asyncio.create_task(read(slot, connection)))
                    return
                except Exception as error:  # refused, reset, timed out: try again, then count it
                    if attempt == 2:
                        errors.append(repr(error)[:200])
                    await asyncio.sleep(1)

    started = time.monotonic()
    await asyncio.gather(*(open_one(slot, token) for slot, token in enumerate(tokens)))
    opened = [slot for slot, connection in enumerate(connections) if connection is not None]
    print(json.dumps({"open": len(opened), "failed": len(errors), "errors": errors[:3],
                      "seconds": time.monotonic() - started}), flush=True)

    dispatch_id = (await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)).strip()
    deadline = time.monotonic() + spec["wait_s"]

    def heard(slot: int) -> bool:
        return any(about == dispatch_id for _, about in frames[slot])

    while time.monotonic() < deadline and not all(heard(slot) or closed[slot] for slot in opened):
        await asyncio.sleep(0.05)
    times = [at for slot in opened for at, about in frames[slot] if about == dispatch_id]
    firsts = [min(at for at, about in frames[slot] if about == dispatch_id) for slot in opened if heard(slot)]
    print(json.dumps({"frames": len(times), "sockets_heard": len(firsts), "open": len(opened),
                      "closed": [closed[slot] for slot in opened if closed[slot]][:3],
                      "closed_count": sum(1 for slot in opened if closed[slot]),
                      "first": min(times, default=None), "last": max(times, default=None), "firsts": firsts}),
          flush=True)
    # The sockets stay open until the driver has read the server's memory a while later.
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for connection in connections:
        if connection is not None:
            connection.close()
    await asyncio.sleep(0.5)


# The driver ----------------------------------------------------------------------------------------

async def log_in_all(api: Api, usernames: list[str], concurrency: int) -> dict[str, str]:
    gate = asyncio.Semaphore(concurrency)
    tokens: dict[str, str] = {}

    async def one(username: str) -> None:
        async with gate:
            tokens[username] = await api.login(username)

    await asyncio.gather(*(one(username) for username in usernames))
    return tokens


def memory_line(label: str, server: OaServe) -> None:
    memory = server.memory()
    out(f"  RSS of oa serve (pid {server.pid}) {label:<36} VmRSS {mib(memory['VmRSS']):>8}   "
        f"peak (VmHWM) {mib(memory['VmHWM']):>8}")


def server_timing(path: Path, since: float) -> None:
    if not path.exists():
        out("  no server-side record: web/push.py does not call web/push_timing.record(event) yet "
            "(OA_BENCH_PUSH_TIMING was set)")
        return
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [row for row in lines if "ms" in row]
    values = [row["ms"] for row in rows if row["t"] >= since]
    if not values:
        out("  the server recorded no frame written after the dispatch began")
        return
    out(f"  server: event written in its transaction → frame written to the socket, per frame (n={len(values)}): "
        f"p50 {percentile(values, 50):.0f} ms   p99 {percentile(values, 99):.0f} ms   max {max(values):.0f} ms")
    committed = [row["commit_ms"] for row in rows if row["t"] >= since and row.get("commit_ms") is not None]
    if committed:
        out(f"  server: its transaction's commit (change stream wallTime) → frame written, per frame "
            f"(n={len(committed)}; {len(values) - len(committed)} frames were read back by a catch-up): "
            f"p50 {percentile(committed, 50):.0f} ms   p99 {percentile(committed, 99):.0f} ms   "
            f"max {max(committed):.0f} ms")
        by_commit: dict[float, list[float]] = {}
        for row in rows:
            if row["t"] >= since and row.get("committed") is not None:
                by_commit.setdefault(row["committed"], []).append(row["t"])
        for at in sorted(by_commit):
            frames = sorted(by_commit[at])
            out(f"    commit at +{at - since:6.3f} s: {len(frames):5} frames, the last "
                f"{(frames[-1] - at) * 1000:6.0f} ms after it (median {(frames[len(frames) // 2] - at) * 1000:.0f} ms)")
    pauses = [row for row in lines if "gc_ms" in row and row["t"] >= since]
    out(f"  full garbage collections in the server since the dispatch began: {len(pauses)}"
        + (f", longest {max(row['gc_ms'] for row in pauses):.0f} ms, over "
           f"{max(row.get('tracked') or 0 for row in pauses):,} tracked objects" if pauses else ""))


async def drive(args: argparse.Namespace, tmp: Path) -> None:
    out(raise_open_files(args.sockets + FD_MARGIN))
    _, serve_args, note = demo_scale(args.scale)
    timing_path = tmp / "push_timing.jsonl"
    server = OaServe(tmp / "var", serve_args, {"OA_BENCH_PUSH_TIMING": str(timing_path)})
    out(f"oa serve --demo, {note}; {args.sockets} WebSocket connections from {args.clients} client processes")
    healthy = server.start()
    clients: list[asyncio.subprocess.Process] = []
    try:
        out(f"  start to healthy: {healthy:.1f} s")
        memory_line("after start", server)
        if args.restart:  # as a deployment runs: the data made once, then a process that only loads it
            server.stop()
            healthy = server.start()
            out(f"  restarted on the same data: healthy in {healthy:.1f} s")
            memory_line("after the restart", server)
        api = Api(server.base)
        clerks = sorted({row["username"] for row in demo_accounts(server.data_dir) if row["post"] == "收发员"})
        started = time.monotonic()
        tokens = await log_in_all(api, clerks, args.logins)
        out(f"  logged in {len(tokens)} 收发员 (every unit's; one session each) in {time.monotonic() - started:.0f} s, "
            f"{args.logins} at a time")
        per_socket = [tokens[clerks[slot % len(clerks)]] for slot in range(args.sockets)]
        shares = [per_socket[index::args.clients] for index in range(args.clients)]
        spec = tmp / "clients.json"
        spec.write_text(json.dumps({"base": server.base, "shares": shares, "concurrency": args.concurrency,
                                    "wait_s": args.wait}))
        started = time.monotonic()
        for index in range(args.clients):
            clients.append(await asyncio.create_subprocess_exec(
                sys.executable, str(Path(__file__).resolve()), "--client", str(spec), "--index", str(index),
                cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=64 * 1024 * 1024))
        ready = [json.loads(await process.stdout.readline()) for process in clients]  # type: ignore[union-attr]
        opened = sum(row["open"] for row in ready)
        out(f"  {opened} of {args.sockets} sockets open after {time.monotonic() - started:.0f} s "
            f"({sum(row['failed'] for row in ready)} failed" +
            (f": {ready[0]['errors'] or ready[-1]['errors']}" if any(row["failed"] for row in ready) else "") + ")")
        await asyncio.sleep(3)
        memory_line(f"with {opened} sockets open", server)

        city = tokens.get(CITY_CLERK) or await api.login(CITY_CLERK)
        reached, _ = await recipients_of_everyone(api, city)
        document_id = await numbered_document(api, city, "关于做好冬季森林防火工作的通知（推送）")
        since = time.time()
        sent = time.monotonic()
        dispatch, to_response, to_complete = await dispatch_and_wait(api, city, document_id)
        answered = sent + to_response / 1000
        for process in clients:
            process.stdin.write(f"{dispatch['id']}\n".encode())  # type: ignore[union-attr]
            await process.stdin.drain()  # type: ignore[union-attr]
        results = [json.loads(await process.stdout.readline()) for process in clients]  # type: ignore[union-attr]
        out()
        out(f"Dispatch to every unit ({dispatch['total']} receipts; selectors reach {reached} units with the sender)")
        out(f"  request → HTTP response {to_response:.0f} ms;  → delivered (GET says so) {to_complete:.0f} ms")
        frames = sum(row["frames"] for row in results)
        heard = sum(row["sockets_heard"] for row in results)
        closed = sum(row["closed_count"] for row in results)
        out(f"  frames of this dispatch received: {frames}, on {heard} of {opened} open sockets"
            + (f"; {closed} sockets were closed by the server: {[row['closed'] for row in results]}" if closed else ""))
        firsts = [value for row in results for value in row["firsts"]]
        if firsts:
            first = min(row["first"] for row in results if row["first"] is not None)
            last = max(row["last"] for row in results if row["last"] is not None)
            out(f"  first frame: {(first - answered) * 1000:+8.0f} ms after the HTTP response "
                f"({(first - sent) * 1000:.0f} ms after the request was sent)")
            out(f"  last frame:  {(last - answered) * 1000:+8.0f} ms after the HTTP response "
                f"({(last - sent) * 1000:.0f} ms after the request was sent)")
            relative = [(value - answered) * 1000 for value in firsts]
            out(f"  per socket, its frame after the HTTP response: p50 {percentile(relative, 50):+.0f} ms   "
                f"p99 {percentile(relative, 99):+.0f} ms   max {max(relative):+.0f} ms   "
                f"(median after the request: {median((value - sent) * 1000 for value in firsts):.0f} ms)")
        memory_line("after the dispatch", server)
        await asyncio.sleep(1)  # the server writes its timing lines a moment after each burst of frames
        server_timing(timing_path, since)
        if args.settle > 0:  # the collector's next round (every 60 s) gives freed memory back
            await asyncio.sleep(args.settle)
            memory_line(f"{args.settle:.0f} s after the dispatch, sockets open", server)
        for process in clients:
            process.stdin.write(b"close\n")  # type: ignore[union-attr]
            await process.stdin.drain()  # type: ignore[union-attr]
    finally:
        for process in clients:
            if process.returncode is None:
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.kill()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="demo scale (default 1)")
    parser.add_argument("--sockets", type=int, default=5000, help="WebSocket connections (default 5000)")
    parser.add_argument("--clients", type=int, default=2, help="client processes holding them (default 2)")
    parser.add_argument("--concurrency", type=int, default=50, help="connections being opened at once, per client")
    parser.add_argument("--logins", type=int, default=6, help="logins at once (default 6)")
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for every socket's frame")
    parser.add_argument("--settle", type=float, default=75,
                        help="seconds after the dispatch to read the server's memory again, sockets open (default 75)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    parser.add_argument("--restart", action="store_true",
                        help="restart oa serve after it made the demo, and measure the restarted process")
    parser.add_argument("--client", type=Path, help=argparse.SUPPRESS)  # a client process (run by this script)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(client(args.client, args.index))
        return
    tmp = Path(tempfile.mkdtemp(prefix="push-sockets-"))
    try:
        asyncio.run(drive(args, tmp))
    finally:
        if args.keep:
            out(f"\nkept {tmp} (service log: serve.log, server push timing: push_timing.jsonl)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
