"""Call-to-board latency with 500 display-board sockets over 2 web processes, and the memory
of a web process holding 250 of them.

Production's stack: PostgreSQL + Redis, two gunicorn processes started like the Procfile's
web line (`-k gevent --worker-connections 1000 --no-control-socket`), each with one worker
(`-w 1`) on its own port, so that a call made anywhere reaches both only through Redis.
500 clients (asyncio + wsproto, bench/_ws.py, in 2 client processes) open the board socket
/ws/board/<token>, 250 on each web process, and wait for their snapshot. Then this process
drives the engine as a web process or a worker would (an app on the same database and
Redis): --calls times operations.call_next at one counter, --spacing seconds apart, and
finish() half-way between calls. For each call the clock starts just before its commit
(SQLAlchemy's before_commit event) and stops when a client has read the whole fragment
announcing that ticket (data-stamp="<ticket id>-..."): p50 and p99 over all (call, client)
pairs; target p99 < 250 ms. Also: the caller's own share (commit -> fragment published on
Redis: rendering the board), and VmRSS (/proc/<pid>/status) of each web process when idle
(booted, then after one page and one socket: warmed) and holding its 250 sockets.

Everything shares this machine's cores: the clients' own reading time is in the figures.

    .venv/bin/python bench/ws_fanout.py
    .venv/bin/python bench/ws_fanout.py --clients 500 --calls 30 --spacing 0.3
"""

import argparse
import asyncio
import multiprocessing
import re
import sys
import time
from collections import defaultdict

from _live import (
    HttpClient,
    Stack,
    command_line,
    machine_facts,
    now_text,
    percentile,
    rss_kib,
)
from _ws import WsClient, first_message
from sqlalchemy import event
from sqlalchemy.orm import Session

from smartqueue.extensions import db
from smartqueue.models import Counter, DeviceKind, Strategy, Ticket, User
from smartqueue.queueing import operations as ops
from smartqueue.realtime import channels
from smartqueue.realtime.broker import get_broker

STAMP = re.compile(r'data-stamp="(\d+)-')


# --- the client processes ---------------------------------------------------------------


def client_process(conn, port: int, path: str, count: int, batch: int) -> None:
    """Hold `count` board sockets on one web process; report what each one received."""
    asyncio.run(_clients(conn, port, path, count, batch))


async def _clients(conn, port, path, count, batch):
    loop = asyncio.get_running_loop()
    received = defaultdict(
        list
    )  # ticket id -> [monotonic time of each client's first reading of it]
    other = [0]

    def reader():
        """A client's handler: a later fragment that still shows a call (the board's
        list of recent calls, redrawn by the finish) is not a new reading; the board
        announces each stamp once too."""
        seen = set()

        def on_message(text, at):
            match = STAMP.search(text)
            if match and int(match.group(1)) not in seen:
                seen.add(int(match.group(1)))
                received[int(match.group(1))].append(at)
            elif not match:
                other[0] += 1

        return on_message

    clients, tasks = [], []
    started = time.monotonic()
    for first in range(0, count, batch):
        group = [
            WsClient("127.0.0.1", port, path, reader())
            for _ in range(min(batch, count - first))
        ]
        clients += group
        tasks += [asyncio.create_task(c.run()) for c in group]
        await asyncio.wait_for(
            asyncio.gather(*(c.first.wait() for c in group)), timeout=60
        )
    await asyncio.sleep(1.0)  # a socket the server drops right after opening shows now
    failed = [c.error for c in clients if c.error or c.closed.is_set()]
    conn.send(
        {
            "connected": sum(1 for c in clients if not c.closed.is_set()),
            "failed": len(failed),
            "failure": sorted(set(str(f) for f in failed))[:3],
            "seconds": time.monotonic() - started,
            "snapshot_bytes": clients[0].first_size if clients else 0,
        }
    )
    await loop.run_in_executor(None, conn.recv)  # "stop"
    still_open = sum(1 for c in clients if not c.closed.is_set())
    await asyncio.gather(*(c.close() for c in clients))
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.send(
        {
            "received": dict(received),
            "other_messages": other[0],
            "still_open": still_open,
        }
    )


# --- this process: the caller -----------------------------------------------------------


class CommitClock:
    """The monotonic time of a call's commit in this process, and of the board fragment
    published after it (the caller's share: rendering the board, publishing on Redis)."""

    def __init__(self, branch_id: int):
        self.commit = self.published = 0.0
        event.listen(Session, "before_commit", self._on_commit)
        broker = get_broker()
        publish_many = broker.publish_many  # a change's messages go out together
        board = channels.board(branch_id)

        def timed_publish_many(messages):
            publish_many(messages)
            if any(channel == board for channel, _ in messages):
                self.published = time.monotonic()

        broker.publish_many = timed_publish_many

    def reset(self) -> None:
        self.commit = self.published = 0.0

    def _on_commit(self, session):
        # The call's own commit: the first after reset() (a listener of the engine, the
        # appointments' follower, ends its read with a commit after it).
        if not self.commit:
            self.commit = time.monotonic()


def run_calls(
    counter_id: int, agent_id: int, branch_id: int, calls: int, spacing: float
):
    """call_next, then finish half-way to the next call; {ticket id: (commit, published)}."""
    clock = CommitClock(branch_id)
    marks = {}
    next_at = time.monotonic()
    for _ in range(calls):
        _sleep_until(next_at)
        counter = db.session.get(Counter, counter_id)
        agent = db.session.get(User, agent_id)
        clock.reset()
        ticket = ops.call_next(counter, by=agent)
        marks[ticket.id] = (clock.commit, clock.published)
        _sleep_until(next_at + spacing / 2)
        ops.finish(db.session.get(Ticket, ticket.id), by=agent)
        db.session.remove()
        next_at += spacing
    _sleep_until(next_at + 1.0)  # the last fragments arrive
    return marks


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=500, help="sockets in all")
    parser.add_argument("--processes", type=int, default=2, help="web processes")
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--spacing", type=float, default=0.3, help="seconds")
    parser.add_argument("--batch", type=int, default=25, help="sockets opened at once")
    parser.add_argument(
        "--redis-url-query",
        default="",
        metavar="QUERY",
        help="appended to the web processes' REDIS_URL after '?', e.g. "
        "max_connections=1000 (redis-py 8 caps a client's pool at 100 connections "
        "by default, and each open socket holds one for its subscription)",
    )
    args = parser.parse_args(argv)
    per_process = args.clients // args.processes

    print(f"command: {command_line()}")
    with Stack() as stack:
        print(f"date: {now_text()}")
        print(f"machine: {machine_facts(stack)}")
        desk = stack.seed_branch([("A", "Dépôts", 10, Strategy.FIFO)], [[0]])
        board = stack.device(desk.branch, DeviceKind.BOARD)
        stack.fill(desk.services[0], args.calls + 50)
        ids = desk.counters[0].id, desk.agents[0].id, desk.branch.id
        path = f"/ws/board/{board}"
        db.session.remove()
        db.engine.dispose()  # no inherited database connection in the client processes

        env = {}
        if args.redis_url_query:
            env["REDIS_URL"] = f"{stack.redis_url}?{args.redis_url_query}"
            print(f"web processes' REDIS_URL: {env['REDIS_URL']}")
        webs = [
            stack.gunicorn("wsgi:app", workers=1, env=env)
            for _ in range(args.processes)
        ]
        for web in webs:
            web.__enter__()
        try:
            for web in webs:
                print(f"web process: {web.command} (worker pid {web.worker_pids()[0]})")
            time.sleep(1.0)
            boot = [rss_kib(web.worker_pids()[0]) for web in webs]
            for web in webs:  # warm: one board page, one socket, then idle again
                http = HttpClient(web.port)
                status, _, _ = http.request("GET", f"/board/{board}")
                http.close()
                asyncio.run(first_message("127.0.0.1", web.port, path))
            time.sleep(2.0)
            idle = [rss_kib(web.worker_pids()[0]) for web in webs]

            mp = multiprocessing.get_context("fork")
            pipes, procs = [], []
            for web in webs:
                mine, theirs = mp.Pipe()
                proc = mp.Process(
                    target=client_process,
                    args=(theirs, web.port, path, per_process, args.batch),
                )
                proc.start()
                pipes.append(mine)
                procs.append(proc)
            opened = [pipe.recv() for pipe in pipes]
            for web, o in zip(webs, opened, strict=True):
                print(
                    f"  :{web.port}: {o['connected']} sockets open in {o['seconds']:.1f} s "
                    f"({o['failed']} failed {o['failure'] or ''}), snapshot "
                    f"{o['snapshot_bytes']} bytes"
                )
            if any(o["failed"] for o in opened):
                print("  the web processes' log says: " + _log_errors(webs))
            time.sleep(2.0)
            holding = [rss_kib(web.worker_pids()[0]) for web in webs]
            redis_clients = _redis_clients(stack)

            marks = run_calls(*ids, args.calls, args.spacing)

            for pipe in pipes:
                pipe.send("stop")
            reports = [pipe.recv() for pipe in pipes]
            for proc in procs:
                proc.join(10)
        finally:
            for web in webs:
                web.__exit__(None, None, None)

    delays, caller, missing = [], [], 0
    connected = sum(o["connected"] for o in opened)
    for ticket_id, (committed, published) in marks.items():
        caller.append((published - committed) * 1000)
        got = 0
        for report in reports:
            for at in report["received"].get(ticket_id, ()):
                delays.append((at - committed) * 1000)
                got += 1
        missing += connected - got
    still_open = sum(r["still_open"] for r in reports)

    print("\nresults")
    print(
        f"  sockets: {connected} of {args.clients} open over {args.processes} web "
        f"processes ({still_open} still open at the end); Redis connected_clients "
        f"while holding them: {redis_clients}"
    )
    print(
        f"  {len(marks)} calls x {connected} boards = {len(delays)} fragments received, "
        f"{missing} missing"
    )
    p50, p99 = percentile(delays, 50), percentile(delays, 99)
    print(
        f"  call -> board (commit to fragment read): p50 {p50:.1f} ms, "
        f"p90 {percentile(delays, 90):.1f} ms, p99 {p99:.1f} ms, "
        f"max {max(delays):.1f} ms  (target p99 < 250 ms)"
    )
    print(
        f"  of which the caller (commit -> fragment published): p50 "
        f"{percentile(caller, 50):.1f} ms, max {max(caller):.1f} ms"
    )
    for i in range(len(webs)):
        print(
            f"  web process {i + 1} VmRSS: booted {boot[i] / 1024:.1f} MiB, idle (warmed) "
            f"{idle[i] / 1024:.1f} MiB, holding {opened[i]['connected']} sockets "
            f"{holding[i] / 1024:.1f} MiB: +{(holding[i] - idle[i]) / 1024:.1f} MiB, "
            f"{(holding[i] - idle[i]) / max(opened[i]['connected'], 1):.0f} KiB a socket"
        )
    ok = p99 < 250 and missing == 0 and connected == args.clients
    print(f"  target {'met' if ok else 'NOT met'}")
    return 0


def _log_errors(webs) -> str:
    """The exceptions the web processes logged, most frequent first."""
    counts = defaultdict(int)
    for web in webs:
        for line in web.log_tail(100_000).splitlines():
            if re.match(r"^[a-z_.]+\.[A-Za-z]*(Error|Exception)\b", line):
                counts[line.strip()[:120]] += 1
    return (
        "; ".join(
            f"{n} x {line}"
            for line, n in sorted(counts.items(), key=lambda x: -x[1])[:3]
        )
        or "nothing"
    )


def _redis_clients(stack) -> int:
    from smartqueue.extensions import get_redis

    return get_redis().info("clients")["connected_clients"]


if __name__ == "__main__":
    sys.exit(main())
