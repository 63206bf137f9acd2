"""End-to-end figures of a real `oa serve --demo` process, driven over HTTP from this (separate) process:

- one approval (核稿 of a 发文) against the bare database writes it makes, replayed from here in one
  transaction on the same server, and its database round trips by command and collection;
- one dispatch to every unit against its bare writes, then 20 consecutive dispatches (stalls);
- people search (`GET /api/users?q=`), 200 queries;
- RSS of the `oa serve` process (not its database child) and start to healthy.

The service runs twice on one temporary data directory: first with OA_BENCH_COMMAND_LOG set, so it logs
every database command (storage/command_log.py; it must be registered where storage/mongo.py creates
the client), for the approvals, one dispatch and their replays; then restarted without the log for the
consecutive dispatches, the search and the approvals again (the log's own cost shows in the difference).

Run by hand:  python bench/scale_actions.py [--scale N]   (scale 2 needs load_demo(..., scale=); else 1)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

from command_replay import (  # bench/ is on sys.path
    CommandLog,
    Replayer,
    round_trips,
    transactions_of,
    write_summary,
    writes_of,
)
from oa_process import (
    CITY_CLERK,
    EVERYONE,
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

DRAFTER, OFFICE_HEAD = "sg-szfb.ky1", "sg-szfb.bgszr1"  # 市政府办公室: a 科员 drafts, the 秘书科科长 does 核稿
COUNTERSIGN_UNITS = ["sg-jiaoyu", "sg-caizheng"]
SEARCHER = "sg-szfb.sfy1"  # an ordinary 收发员 looking people up
WARM_UP = 2


def out(text: str = "") -> None:
    print(text, flush=True)


def figures(label: str, samples: list[float], unit: str = "ms") -> None:
    out(f"  {label:<58} n={len(samples):<4} median {median(samples):8.1f} {unit}   "
        f"p95 {percentile(samples, 95):8.1f} {unit}   max {max(samples):8.1f} {unit}")


def memory_line(label: str, server: OaServe) -> None:
    memory = server.memory()
    out(f"  RSS of oa serve (pid {server.pid}) {label:<32} VmRSS {mib(memory['VmRSS']):>8}   "
        f"peak (VmHWM) {mib(memory['VmHWM']):>8}")


# Approvals -------------------------------------------------------------------------------------------

async def review_task(api: Api, tokens: dict[str, str], number: int) -> str:
    """A new document with a 发文 flow started on it; returns its 核稿 task."""
    created = await api.ok("POST", "/api/documents", {
        "doc_type": "通知", "title": f"关于做好冬季森林防火工作的通知（{number}）", "issuers": [{"unit_id": "sg-szf"}],
        "main_to": [{"group": "grp-county-govs"}], "body": [{"level": 0, "text": "现将有关事项通知如下。"}],
        "written_date": "2026-11-23"}, tokens[DRAFTER])
    started = await api.ok("POST", "/api/instances", {"flow": "fawen", "document_id": created["id"],
                                                      "variables": {"countersign_units": COUNTERSIGN_UNITS}},
                           tokens[DRAFTER])
    view = await api.ok("GET", f"/api/instances/{started['id']}", token=tokens[DRAFTER])
    return str(next(task["id"] for task in view["tasks"] if task["node_name"] == "核稿" and task["status"] == "active"))


async def approvals(api: Api, tokens: dict[str, str], count: int,
                    log: CommandLog | None) -> tuple[list[float], list[list[dict[str, Any]]]]:
    """`count` 核稿 approvals, each on its own flow; (ms each, the commands each sent, if logged)."""
    times: list[float] = []
    recorded: list[list[dict[str, Any]]] = []
    for number in range(count):
        task_id = await review_task(api, tokens, number)
        if log is not None:
            log.wait_quiet(0.1)
            log.skip_to_end()
        t0 = time.time()
        started = time.perf_counter()
        await api.ok("POST", f"/api/tasks/{task_id}/approve", {"opinion": "已核"}, tokens[OFFICE_HEAD])
        times.append((time.perf_counter() - started) * 1000)
        t1 = time.time()
        if log is not None:
            mine, _ = log.window(t0, t1)
            recorded.append(mine)
    return times, recorded


def print_round_trips(label: str, recorded: list[list[dict[str, Any]]]) -> None:
    totals = [len(commands) for commands in recorded]
    typical = min(recorded, key=lambda commands: abs(len(commands) - median(totals)))
    db_ms = [sum(entry["ms"] for entry in commands) for commands in recorded]
    writes = [sum(entry["name"] in ("insert", "update", "delete", "findAndModify") for entry in commands)
              for commands in recorded]
    out(f"  database round trips per {label}: median {median(totals):.0f} (min {min(totals)}, max {max(totals)}); "
        f"write commands median {median(writes):.0f}; summed command time median {median(db_ms):.1f} ms")
    out(f"  a typical {label} ({len(typical)} commands), by command and collection (count, summed duration):")
    for key, count, ms in round_trips(typical):
        out(f"      {count:>4}  {key:<36} {ms:9.1f} ms")


async def replay_all(replayer: Replayer, recorded: list[list[dict[str, Any]]]) -> tuple[list[float], str, str]:
    """Replay each action's writes; (ms each, what one replay sends, notes on statements that did not apply)."""
    times: list[float] = []
    matched_nothing = skipped = errors = 0
    summary = ""
    for commands in recorded:
        writes = writes_of(commands)
        summary = write_summary(writes)
        prepared = await replayer.prepare(writes)
        outcome = await replayer.run(prepared)
        times.append(outcome.ms)
        matched_nothing += outcome.matched_nothing
        skipped += prepared.skipped
        errors += len(outcome.errors)
    notes = []
    if matched_nothing:
        notes.append(f"{matched_nothing} replayed statements matched no document")
    if skipped:
        notes.append(f"{skipped} statements left out (no equality filter to retarget)")
    if errors:
        notes.append(f"{errors} write errors")
    return times, summary, "; ".join(notes)


# Dispatches -----------------------------------------------------------------------------------------

# People search --------------------------------------------------------------------------------------

def search_queries(accounts: list[dict[str, str]], count: int) -> list[tuple[str, str]]:
    """(kind, text): full names, name prefixes (surname; surname + one character), usernames and their
    unit prefixes, in a fixed shuffled order."""
    rng = random.Random(20261129)
    people = sorted({(row["username"], row["display_name"]) for row in accounts})
    names = [name for _, name in people]
    usernames = [username for username, _ in people if "." in username]
    quarter = count // 4
    queries = [("name", name) for name in rng.sample(names, quarter)]
    queries += [("prefix", rng.choice(names)[:1]) for _ in range(quarter // 2)]
    queries += [("prefix", rng.choice(names)[:2]) for _ in range(quarter - quarter // 2)]
    queries += [("username", username) for username in rng.sample(usernames, quarter)]
    queries += [("username prefix", rng.choice(usernames).split(".")[0]) for _ in range(count - 3 * quarter)]
    rng.shuffle(queries)
    return queries


async def people_search(api: Api, token: str, queries: list[tuple[str, str]]) -> None:
    by_kind: dict[str, list[float]] = {}
    found: list[int] = []
    for kind, text in queries:
        started = time.perf_counter()
        page = await api.ok("GET", f"/api/users?q={urllib.parse.quote(text)}", token=token)
        by_kind.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
        found.append(int(page["total"]))
    everything = [value for values in by_kind.values() for value in values]
    out(f"  GET /api/users?q=… as {SEARCHER}, {len(queries)} queries one after another "
        f"(matches per query: median {median(found):.0f}, max {max(found)})")
    out(f"  {'all queries':<58} n={len(everything):<4} p50 {percentile(everything, 50):8.1f} ms   "
        f"p95 {percentile(everything, 95):8.1f} ms   max {max(everything):8.1f} ms")
    for kind, values in by_kind.items():
        out(f"  {'  ' + kind:<58} n={len(values):<4} p50 {percentile(values, 50):8.1f} ms   "
            f"p95 {percentile(values, 95):8.1f} ms   max {max(values):8.1f} ms")


# The two runs ---------------------------------------------------------------------------------------

async def logged_run(server: OaServe, log: CommandLog, args: argparse.Namespace) -> dict[str, float]:
    """With the command log: approvals and one dispatch, and their bare writes replayed."""
    api = Api(server.base)
    tokens = {name: await api.login(name) for name in (DRAFTER, OFFICE_HEAD, CITY_CLERK)}
    reached, active = await recipients_of_everyone(api, tokens[CITY_CLERK])
    out(f"  dispatch selectors {EVERYONE} reach {reached} of {active} active units (the sender among them: "
        f"a dispatch leaves it out)")
    await approvals(api, tokens, WARM_UP, None)
    approval_ms, recorded = await approvals(api, tokens, args.approvals, log)
    out()
    out("Approval (核稿 of a 发文 on the demo: 市政府办公室 drafts, its 秘书科科长 approves), each on its own flow")
    figures("approve request → HTTP response (command log on)", approval_ms)
    result = {"approval": median(approval_ms)}
    logged = [commands for commands in recorded if commands]
    replayer = Replayer(server.mongodb_uri())
    try:
        if len(logged) < len(recorded):
            out("  no command log: storage/mongo.py does not pass storage/command_log.listeners() to the client "
                "yet, so there is nothing to replay or count")
        else:
            bare_ms, summary, notes = await replay_all(replayer, logged)
            figures("its write commands replayed here in one transaction", bare_ms)
            out(f"  replayed per approval: {summary}" + (f"  [{notes}]" if notes else ""))
            out(f"  approval {median(approval_ms):.1f} ms / bare writes {median(bare_ms):.1f} ms = "
                f"{median(approval_ms) / median(bare_ms):.1f}   (medians)")
            result["approval_bare"] = median(bare_ms)
            print_round_trips("approval", logged)

        out()
        out("Dispatch to every other unit, command log on")
        document_id = await numbered_document(api, tokens[CITY_CLERK], "关于做好冬季森林防火工作的通知（分发）")
        log.wait_quiet(0.1)
        log.skip_to_end()
        t0 = time.time()
        dispatch, to_response, to_complete = await dispatch_and_wait(api, tokens[CITY_CLERK], document_id)
        t1 = time.time()
        out(f"  dispatch request → HTTP response {to_response:8.0f} ms;  → delivered (GET says so) "
            f"{to_complete:8.0f} ms   ({dispatch['total']} receipts)")
        result["dispatch_logged"] = to_complete
        mine, others = log.window(t0, t1)
        if mine:
            writes = writes_of(mine)
            prepared = await replayer.prepare(writes)
            outcome = await replayer.run(prepared)
            out(f"  its write commands replayed here in one transaction: {outcome.ms:8.0f} ms   "
                f"({outcome.commands} commands, {outcome.statements} documents/statements"
                + (f"; {outcome.matched_nothing} matched nothing" if outcome.matched_nothing else "")
                + (f"; {prepared.skipped} left out" if prepared.skipped else "") + ")")
            out(f"  replayed: {write_summary(writes)}")
            out(f"  dispatch {to_complete:.0f} ms / bare writes {outcome.ms:.0f} ms = {to_complete / outcome.ms:.1f}")
            result["dispatch_bare"] = outcome.ms
            print_round_trips("dispatch", [mine])
            out("  the same writes, summed duration in the service against the replay (ms):")
            service = {key: ms for key, _, ms in round_trips(mine)}
            for key, ms in sorted(outcome.by_command.items(), key=lambda row: -row[1]):
                out(f"    {key:<40} service {service.get(key, 0):9.1f}   replay {ms:9.1f}")
            out("  the database's other work meanwhile (the change stream, the 消息 writer…), summed duration:")
            background: dict[str, float] = {}
            for entry in others:
                key = f"{entry['name']} {entry['collection'] or ''} ({entry.get('coro') or '?'})"
                background[key] = background.get(key, 0.0) + entry["ms"]
            for key, ms in sorted(background.items(), key=lambda row: -row[1])[:8]:
                out(f"    {key:<64} {ms:9.1f}")
            await asyncio.sleep(8)  # the service has taken in the replay (search index, 消息) before the next one
            groups = [writes_of(group) for group in transactions_of(mine)]
            groups = [group for group in groups if group]
            prepared_each = [await replayer.prepare(group) for group in groups]
            started = time.perf_counter()
            for prepared_one in prepared_each:
                await replayer.run(prepared_one)
            each_ms = (time.perf_counter() - started) * 1000
            out(f"  the same writes replayed in the service's own {len(groups)} transactions, one after another: "
                f"{each_ms:8.0f} ms  (dispatch / this = {to_complete / each_ms:.2f})")
            result["dispatch_bare_each"] = each_ms
    finally:
        await replayer.close()
    return result


async def plain_run(server: OaServe, args: argparse.Namespace, earlier: dict[str, float]) -> None:
    """Without the command log: approvals again, consecutive dispatches, people search."""
    api = Api(server.base)
    tokens = {name: await api.login(name) for name in (DRAFTER, OFFICE_HEAD, CITY_CLERK, SEARCHER)}
    await approvals(api, tokens, WARM_UP, None)
    approval_ms, _ = await approvals(api, tokens, args.approvals, None)
    out()
    out("Approval again, command log off")
    figures("approve request → HTTP response", approval_ms)
    if "approval_bare" in earlier:
        out(f"  approval {median(approval_ms):.1f} ms / bare writes {earlier['approval_bare']:.1f} ms = "
            f"{median(approval_ms) / earlier['approval_bare']:.1f}   (bare writes from the first run)")

    out()
    out(f"{args.dispatches} consecutive dispatches to every unit, each a fresh document, command log off")
    times = []
    for number in range(args.dispatches):
        title = f"关于做好冬季森林防火工作的通知（第{number + 1}次）"
        document_id = await numbered_document(api, tokens[CITY_CLERK], title)
        dispatch, to_response, to_complete = await dispatch_and_wait(api, tokens[CITY_CLERK], document_id)
        times.append(to_complete)
        out(f"  dispatch {number + 1:>2}: {to_complete:8.0f} ms to delivered (response {to_response:8.0f} ms, "
            f"{dispatch['total']} receipts)")
    middle = median(times)
    stalls = [index + 1 for index, value in enumerate(times) if value > 2 * middle]
    out(f"  median {middle:.0f} ms, worst {max(times):.0f} ms, worst/median = {max(times) / middle:.2f}; "
        f"stalls (> 2× median): {len(stalls)}" + (f" (dispatch {', '.join(map(str, stalls))})" if stalls else ""))
    if "dispatch_bare" in earlier:
        out(f"  dispatch {middle:.0f} ms (median) / bare writes {earlier['dispatch_bare']:.0f} ms = "
            f"{middle / earlier['dispatch_bare']:.1f}   (bare writes from the first run)")

    out()
    out("People search")
    await people_search(api, tokens[SEARCHER], search_queries(demo_accounts(server.data_dir), args.queries))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1, help="demo scale (default 1: 1,324 units, 6,558 people)")
    parser.add_argument("--approvals", type=int, default=24, help="measured approvals per run (default 24)")
    parser.add_argument("--dispatches", type=int, default=20, help="consecutive dispatches (default 20)")
    parser.add_argument("--queries", type=int, default=200, help="people searches (default 200)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    parser.add_argument("--log-second-run", metavar="PATH", help="log the second run's commands to PATH too")
    args = parser.parse_args()
    _, serve_args, note = demo_scale(args.scale)
    tmp = Path(tempfile.mkdtemp(prefix="scale-actions-"))
    try:
        run(tmp, serve_args, note, args)
    finally:
        if args.keep:
            out(f"\nkept {tmp} (service log: serve.log, command log: commands.jsonl)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(tmp: Path, serve_args: list[str], note: str, args: argparse.Namespace) -> None:
    data_dir = tmp / "var"
    log = CommandLog(tmp / "commands.jsonl")
    out(f"oa serve --demo, {note}; this process drives it over HTTP (data in {tmp})")
    out()
    out("First run: fresh data directory, OA_BENCH_COMMAND_LOG on")
    server = OaServe(data_dir, serve_args, {"OA_BENCH_COMMAND_LOG": str(log.path)})
    healthy = server.start()
    try:
        out(f"  start to healthy (first start, loads the demo): {healthy:.1f} s")
        memory_line("after start", server)
        earlier = asyncio.run(logged_run(server, log, args))
        out()
        memory_line("after the first run", server)
    finally:
        stopped = server.stop()
    out(f"  stopped in {stopped:.1f} s after SIGTERM")

    out()
    out("Second run: the same data directory, no command log")
    # For finding where the second run's time goes; its figures then include the log's cost.
    second_env = {"OA_BENCH_COMMAND_LOG": args.log_second_run} if args.log_second_run else None
    server = OaServe(data_dir, serve_args, second_env)
    healthy = server.start()
    try:
        out(f"  start to healthy (restart, data kept): {healthy:.1f} s")
        memory_line("after start", server)
        asyncio.run(plain_run(server, args, earlier))
        out()
        memory_line("after the second run", server)
    finally:
        server.stop()

if __name__ == "__main__":
    main()
