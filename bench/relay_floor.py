"""The floor of a live page's cost on this stack: what waking an open socket and writing it
one frame costs, with nothing computed (issue 14).

bench/phones.py measures the web CPU of a call as the number of open ticket pages grows.
Each call moves every waiting page, so each page must be woken and sent a frame of its
own; this script measures that part alone, so that phones.py's per-page figure can be
read against it. Two gunicorn processes (gevent, one worker each, as phones.py starts
them) serve bench/_bare_app.py's `/ws/floor`: the app's Redis broker (one listener a
process) and a greenlet a socket, as the app's sockets; for each message published on its
channel the socket sends a constant 300-byte frame ("send"), or only wakes ("wake"). No
session, no database, no template. For N open sockets (half on each process) it publishes
--messages messages of each kind, --spacing seconds apart, and reads the CPU of both
workers (/proc/<pid>/stat) around each one, after every client has its frame.

    .venv/bin/python bench/relay_floor.py                  # 10 and 1 000 sockets
    .venv/bin/python bench/relay_floor.py --sockets 10,1000,5000
"""

import argparse
import asyncio
import multiprocessing
import time

from _live import Stack, command_line, cpu_seconds, machine_facts, now_text
from _ws import WsClient
from redis import Redis

CHANNEL = "sq:bench:floor"


def client_process(conn, port: int, count: int) -> None:
    asyncio.run(_clients(conn, port, count))


async def _clients(conn, port, count):
    loop = asyncio.get_running_loop()
    frames = [0]
    clients = []
    for first in range(0, count, 100):
        group = [
            WsClient("127.0.0.1", port, "/ws/floor", _counter(frames))
            for _ in range(min(100, count - first))
        ]
        clients += group
        for client in group:
            asyncio.create_task(client.run())
        await asyncio.gather(*(c.first.wait() for c in group))
    conn.send(sum(1 for c in clients if not c.closed.is_set()))
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "count":
            conn.send(frames[0])
        else:
            break
    await asyncio.gather(*(c.close() for c in clients))
    conn.send("closed")


def _counter(frames):
    def on_message(text, at):
        if text != "hello":
            frames[0] += 1

    return on_message


def measure(stack, sockets: int, messages: int, spacing: float) -> dict:
    per_process = sockets // 2
    connections = max(1000, per_process + 100)
    webs = [
        stack.gunicorn(
            "_bare_app:app",
            workers=1,
            pythonpath="bench",
            worker_connections=connections,
        )
        for _ in range(2)
    ]
    for web in webs:
        web.__enter__()
    try:
        workers = [pid for web in webs for pid in web.worker_pids()]
        pipes, procs = [], []
        for web in webs:
            mine, theirs = multiprocessing.Pipe()
            proc = multiprocessing.Process(
                target=client_process, args=(theirs, web.port, per_process)
            )
            proc.start()
            pipes.append(mine)
            procs.append(proc)
        opened = sum(pipe.recv() for pipe in pipes)
        redis = Redis.from_url(stack.redis_url)
        time.sleep(1.0)
        result = {"sockets": opened, "connections": connections}
        for kind in ("wake", "send"):
            costs = []
            for _ in range(messages):
                before = sum(cpu_seconds(pid) for pid in workers)
                redis.publish(CHANNEL, kind)
                time.sleep(spacing)
                costs.append(sum(cpu_seconds(pid) for pid in workers) - before)
            result[kind] = sorted(costs)[len(costs) // 2] * 1000  # median, ms
        for pipe in pipes:
            pipe.send("count")
        result["frames"] = sum(pipe.recv() for pipe in pipes)
        for pipe in pipes:
            pipe.send("stop")
            pipe.recv()
        for proc in procs:
            proc.join(10)
        return result
    finally:
        for web in webs:
            web.__exit__(None, None, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", default="10,1000", help="comma-separated")
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--spacing", type=float, default=0.5)
    args = parser.parse_args()
    sizes = [int(n) for n in args.sockets.split(",")]
    print(f"command: {command_line()}\ndate: {now_text()}")
    with Stack() as stack:
        print(f"machine: {machine_facts(stack)}")
        rows = []
        for n in sizes:
            r = measure(stack, n, args.messages, args.spacing)
            rows.append((n, r))
            print(
                f"  {r['sockets']} sockets (2 processes, --worker-connections "
                f"{r['connections']}): web CPU a message, median of {args.messages}: "
                f"wake only {r['wake']:.1f} ms, wake + 300-byte frame {r['send']:.1f} ms; "
                f"{r['frames']} frames received of {r['sockets'] * args.messages}"
            )
        if len(rows) > 1:
            (n0, r0), (n1, r1) = rows[0], rows[-1]
            for kind in ("wake", "send"):
                per_page = (r1[kind] - r0[kind]) / max(n1 - n0, 1) * 1000
                print(f"  floor a page ({kind}): {per_page:.0f} µs of web CPU")


if __name__ == "__main__":
    main()
