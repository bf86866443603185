"""Ticket pages at scale (issue 14, "Phones"): N customers keep their ticket page open on
one service while an agent calls and finishes; what each change costs and how late the
phones hear of it, for N = 10, 100, 1 000 (and 10 000 where the machine allows).

Production's stack (bench/_live.py): a private PostgreSQL + Redis, migrated; two gunicorn
processes started like the Procfile's web line (gevent), one worker each (`-w 1`) on its
own port, so that the pages split exactly in two and a change made on one process reaches
the other only through Redis. `--worker-connections` stays at the Procfile's 1 000 unless
one process must hold more sockets than that (10 000 pages: 5 000 a process); the output
says which.

Per N, on a fresh stack: one branch, one service (FIFO), one counter, its agent; a line of
1 + cycles + N + spare waiting tickets. The first ticket is called by an unmeasured warm-up
cycle; about a tenth of the pages (at most one a call) belong to tickets the series calls,
so that a called page gets its own call; the other pages stay waiting through the series,
so every call moves about N pages. Each page is a client (asyncio + wsproto, bench/_ws.py;
one client process per web process) opening `/ws/ticket/<token>` with the Origin a browser
would send (the guard compares it with the Host; no cookie: the socket uses the session
only for the language and the cancel form's CSRF token) and waiting for its snapshot.

Then `--idle` seconds with nothing happening (web CPU, statements, messages), then
`--cycles` cycles: the agent, signed in on web process 1, POSTs the counter screen's own
routes as htmx does (`/agent/counters/<id>/call`, then `.../finish` with the ticket the
answer shows). A call is followed by its finish, and the finish by the next call, no sooner
than `--spacing`/2 and not before every page has been quiet for `--quiet` seconds, so that
each message belongs to the change that caused it (the mean cycle is printed).

What is measured, format-agnostic (other work changes what a message holds):
- The clock of a call starts when the bench SENDS its request: an upper bound on the time
  from the commit (the request's own parsing, session and locking are inside it).
- A page is "updated by call k" when it receives any message after call k's request was
  sent. "Call to last phone": per call, the slowest page still waiting (the called ticket's
  own page is excluded: it gets its own fragment); p50 and p99 over calls, and p50/p99 of
  every (call, page). A waiting page with no message before the finish is counted missed.
- Messages and bytes each page receives per call and per finish (a finish that moves no
  page's content may send nothing), and the mean size of a message.
- The agent's answer time (request sent to answer read) for call and finish.
- SQL statements per call and per finish, counted across all processes: PostgreSQL's log
  with log_statement = 'all', between marks written by the bench's own connection, whose
  statements are left out (bench/_live.py StatementLog). BEGIN, COMMIT, ROLLBACK and
  the pool's pre-ping (an empty statement, ";") count: each is a round trip.
- Web CPU (utime + stime of both gunicorn workers, /proc/<pid>/stat) per call and per
  finish; idle CPU as a share of one core; VmRSS growth per open socket; Redis connections
  per web process (CLIENT LIST, matched to the process holding each one).

Everything shares this machine's cores: the clients' own reading time is in the figures.

`--agent-apart` signs the agent in on a third web process that holds no socket, as a
deployment serving `/ws/` from processes of their own would (README); the CPU figures
then count all three processes.

Targets (issue 14): statements per call the same at 10 and 1 000 pages; web CPU per call
within 2x from 10 to 1 000; call to last phone p99 < 500 ms at 1 000 (< 2 s at 10 000);
the agent's answer unaffected by the number of pages; idle CPU of 1 000 pages < 2 % of a
core.

    .venv/bin/python bench/phones.py --pages 10,100
    .venv/bin/python bench/phones.py                  # 10, 100, 1 000 and 10 000
"""

import argparse
import asyncio
import multiprocessing
import os
import re
import resource
import sys
import time
from pathlib import Path
from statistics import mean, median

from _live import (
    PASSWORD,
    HttpClient,
    Stack,
    StatementLog,
    command_line,
    cpu_seconds,
    csrf_token,
    machine_facts,
    now_text,
    percentile,
    redis_clients_by_process,
    rss_kib,
)
from _ws import WsClient, first_message
from sqlalchemy import select

from smartqueue.extensions import db, get_redis
from smartqueue.models import Strategy, Ticket

TICKET_ID = re.compile(rb'name="ticket" value="(\d+)"')
PROCESSES = 2
SETTLE_CAP = 30.0  # seconds a change may take to reach every page before we go on


# --- the client processes ---------------------------------------------------------------


def client_process(conn, port: int, tokens: list[str], batch: int, last_at) -> None:
    """Hold one ticket page socket per token on one web process; report every message."""
    asyncio.run(_clients(conn, port, tokens, batch, last_at))


async def _clients(conn, port, tokens, batch, last_at):
    loop = asyncio.get_running_loop()
    # token -> [(monotonic time read, bytes)] of every message after the snapshot
    received: dict[str, list] = {token: [] for token in tokens}
    origin = [("Origin", f"http://127.0.0.1:{port}")]  # what the page's browser sends

    def listener(token):
        box, snapshot_seen = received[token], [False]

        def on_message(text, at):
            last_at.value = at  # the driver waits for quiet before the next change
            if snapshot_seen[0]:
                box.append((at, len(text.encode())))
            else:
                snapshot_seen[0] = True

        return on_message

    clients, tasks = {}, []
    started = time.monotonic()
    for first in range(0, len(tokens), batch):
        group = {
            token: WsClient(
                "127.0.0.1", port, f"/ws/ticket/{token}", listener(token), origin
            )
            for token in tokens[first : first + batch]
        }
        clients.update(group)
        tasks += [asyncio.create_task(c.run()) for c in group.values()]
        await asyncio.wait_for(
            asyncio.gather(*(c.first.wait() for c in group.values())), timeout=120
        )
    await asyncio.sleep(1.0)  # a socket the server drops right after opening shows now
    failed = [c.error for c in clients.values() if c.error or c.closed.is_set()]
    sizes = [c.first_size for c in clients.values() if c.first_size]
    conn.send(
        {
            "connected": sum(1 for c in clients.values() if not c.closed.is_set()),
            "failed": len(failed),
            "failure": sorted(set(str(f) for f in failed))[:3],
            "seconds": time.monotonic() - started,
            "snapshot_bytes": mean(sizes) if sizes else 0,
        }
    )
    await loop.run_in_executor(None, conn.recv)  # "stop"
    still_open = sum(1 for c in clients.values() if not c.closed.is_set())
    await asyncio.gather(*(c.close() for c in clients.values()))
    await asyncio.gather(*tasks, return_exceptions=True)
    conn.send({"received": received, "still_open": still_open})


# --- this process: the line, the agent, the clock ---------------------------------------


def plan_line(pages: int, cycles: int, spare: int) -> tuple[int, list[int]]:
    """(tickets in the line, the line positions that have a page open). Position 0 is the
    warm-up's; 1..cycles are called by the series."""
    called_pages = min(cycles, max(1, pages // 10))
    with_page = [1 + (i * cycles) // called_pages for i in range(called_pages)]
    waiting_pages = pages - called_pages
    with_page += range(cycles + 1, cycles + 1 + waiting_pages)
    return 1 + cycles + waiting_pages + spare, with_page


class Agent:
    """The counter screen's agent, signed in on one web process, pressing its buttons."""

    def __init__(self, port: int, email: str, counter_id: int):
        self.http = HttpClient(port)
        self.base = f"/agent/counters/{counter_id}"
        status, _, html = self.http.request("GET", "/auth/login")
        form = {"csrf_token": csrf_token(html), "email": email, "password": PASSWORD}
        status, _, _ = self.http.request("POST", "/auth/login", form=form)
        if status not in (302, 303):
            raise RuntimeError(f"agent sign-in: {status}")
        status, _, html = self.http.request("GET", self.base)
        if status != 200:
            raise RuntimeError(f"counter screen: {status}")
        self.csrf = csrf_token(html)
        self.headers = {"HX-Request": "true", "X-CSRFToken": self.csrf}

    def _fresh(self) -> None:
        # gunicorn drops a keep-alive connection idle for 2 s; a browser opens a new
        # one then, and so does this agent before each press (a local connect: ~0.1 ms)
        self.http.conn.close()

    def call(self) -> tuple[float, float, int]:
        """(sent, answered) monotonic times and the called ticket's id."""
        self._fresh()
        sent = time.monotonic()
        status, _, body = self.http.request(
            "POST", f"{self.base}/call", {"csrf_token": self.csrf}, self.headers
        )
        answered = time.monotonic()
        found = TICKET_ID.search(body) if status == 200 else None
        if found is None:
            raise RuntimeError(f"call: {status}, no ticket in the answer")
        return sent, answered, int(found.group(1))

    def finish(self, ticket_id: int) -> tuple[float, float]:
        self._fresh()
        sent = time.monotonic()
        status, _, _ = self.http.request(
            "POST",
            f"{self.base}/finish",
            {"csrf_token": self.csrf, "ticket": str(ticket_id)},
            self.headers,
        )
        answered = time.monotonic()
        if status != 200:
            raise RuntimeError(f"finish: {status}")
        return sent, answered


def wait_settled(not_before: float, last_ats, quiet: float) -> bool:
    """Until `not_before` and every client process quiet for `quiet` s; False if the
    pages were still receiving after SETTLE_CAP s."""
    give_up = not_before + SETTLE_CAP
    while True:
        now = time.monotonic()
        last = max(v.value for v in last_ats)
        if now >= not_before and now - last >= quiet:
            return True
        if now >= give_up:
            return False
        time.sleep(0.02)


def run_one(pages: int, args) -> dict:
    """One N on a fresh stack: everything measured, as a dict."""
    per_process = (pages + PROCESSES - 1) // PROCESSES
    connections = args.worker_connections or max(1000, per_process + 100)
    result = {
        "pages": pages,
        "worker_connections": connections,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    with Stack() as stack:
        result["machine"] = machine_facts(stack)
        desk = stack.seed_branch([("A", "Dépôts", 10, Strategy.FIFO)], [[0]])
        service = desk.services[0]
        total, with_page = plan_line(pages, args.cycles, args.spare)
        stack.fill(service, total)
        line = db.session.execute(
            select(Ticket.id, Ticket.token)
            .where(Ticket.service_id == service.id)
            .order_by(Ticket.rank_key, Ticket.id)
        ).all()
        page_ids = {line[i].id: line[i].token for i in with_page}
        tokens = list(page_ids.values())
        spare_token = line[-1].token  # the warm-up page: no client holds it later
        email, counter_id = desk.agents[0].email, desk.counters[0].id
        db.session.remove()
        db.engine.dispose()  # no inherited database connection in the client processes

        webs = [
            stack.gunicorn("wsgi:app", workers=1, worker_connections=connections)
            for _ in range(PROCESSES)
        ]
        # --agent-apart: the agent's requests go to a web process holding no socket, as
        # a deployment serving /ws/ from processes of its own would have it (README).
        agent_web = None
        if args.agent_apart:
            agent_web = stack.gunicorn(
                "wsgi:app", workers=1, worker_connections=connections
            )
        for web in webs + ([agent_web] if agent_web else []):
            web.__enter__()
        procs = []
        try:
            workers = [web.worker_pids()[0] for web in webs]
            # CPU counts every web process: the agent's too when it has its own
            cpu_pids = workers + ([agent_web.worker_pids()[0]] if agent_web else [])
            result["commands"] = [web.command for web in webs]
            result["agent_command"] = agent_web.command if agent_web else None
            for web in webs:  # warm: the ticket page, its socket, then idle again
                http = HttpClient(web.port)
                http.request("GET", f"/t/{spare_token}")
                http.close()
                asyncio.run(
                    first_message("127.0.0.1", web.port, f"/ws/ticket/{spare_token}")
                )
            agent = Agent((agent_web or webs[0]).port, email, counter_id)
            time.sleep(2.0)
            idle_rss = [rss_kib(pid) for pid in workers]

            mp = multiprocessing.get_context("fork")
            pipes, last_ats = [], []
            for index, web in enumerate(webs):
                mine, theirs = mp.Pipe()
                last_at = mp.RawValue("d", 0.0)
                proc = mp.Process(
                    target=client_process,
                    args=(
                        theirs,
                        web.port,
                        tokens[index::PROCESSES],
                        args.batch,
                        last_at,
                    ),
                )
                proc.start()
                pipes.append(mine)
                procs.append(proc)
                last_ats.append(last_at)
            result["opened"] = [pipe.recv() for pipe in pipes]
            time.sleep(2.0)
            result["rss"] = [
                (idle, rss_kib(pid))
                for idle, pid in zip(idle_rss, workers, strict=True)
            ]
            by_process = redis_clients_by_process(get_redis(), workers)
            result["redis"] = [by_process[pid] for pid in workers]
            result["redis_other"] = by_process[None]

            log = StatementLog(stack)
            log.start()
            log.mark("idle")
            cpu_before = sum(cpu_seconds(pid) for pid in cpu_pids)
            idle_from = time.monotonic()
            time.sleep(args.idle)
            idle_to = time.monotonic()
            result["idle_cpu"] = (
                sum(cpu_seconds(pid) for pid in cpu_pids) - cpu_before
            ) / (idle_to - idle_from)
            result["idle_window"] = (idle_from, idle_to)

            log.mark("warm-up")
            _, _, warm_id = agent.call()
            wait_settled(time.monotonic() + args.spacing / 2, last_ats, args.quiet)
            agent.finish(warm_id)
            wait_settled(time.monotonic() + args.spacing / 2, last_ats, args.quiet)

            cycles, unsettled = [], 0
            for k in range(args.cycles):
                log.mark(f"call {k}")
                cpu_call = sum(cpu_seconds(pid) for pid in cpu_pids)
                call_sent, call_answered, called = agent.call()
                unsettled += not wait_settled(
                    call_sent + args.spacing / 2, last_ats, args.quiet
                )
                log.mark(f"finish {k}")
                cpu_finish = sum(cpu_seconds(pid) for pid in cpu_pids)
                finish_sent, finish_answered = agent.finish(called)
                unsettled += not wait_settled(
                    call_sent + args.spacing, last_ats, args.quiet
                )
                cycles.append(
                    {
                        "called": called,
                        "call": (call_sent, call_answered),
                        "finish": (finish_sent, finish_answered),
                        "cpu_call": cpu_finish - cpu_call,
                        "cpu_finish": sum(cpu_seconds(pid) for pid in cpu_pids)
                        - cpu_finish,
                    }
                )
            result["series_end"] = time.monotonic()
            log.stop()
            result["statements"], result["statement_text"] = log.counts(
                keep=("call 0", "finish 0")
            )
            result["cycles"], result["unsettled"] = cycles, unsettled

            for pipe in pipes:
                pipe.send("stop")
            reports = [pipe.recv() for pipe in pipes]
        finally:
            for proc in procs:
                proc.join(10)
                if proc.is_alive():
                    proc.kill()
            for web in webs + ([agent_web] if agent_web else []):
                web.__exit__(None, None, None)
    result["received"] = {}
    for report in reports:
        result["received"].update(report["received"])
    result["still_open"] = sum(r["still_open"] for r in reports)
    result["page_ids"] = page_ids
    return result


# --- what it means ------------------------------------------------------------------------


def analyse(result: dict) -> dict:
    """The figures of one N from its raw marks and messages."""
    cycles, received = result["cycles"], result["received"]
    token_of = result["page_ids"]
    called_so_far: set[int] = set()
    last_phone, every_page, missed, own_lag = [], [], 0, []
    call_msgs = call_bytes = waiting_page_calls = 0
    finish_msgs = finish_bytes = page_finishes = 0
    for k, cycle in enumerate(cycles):
        called_so_far.add(cycle["called"])
        call_from, finish_from = cycle["call"][0], cycle["finish"][0]
        finish_to = (
            cycles[k + 1]["call"][0] if k + 1 < len(cycles) else result["series_end"]
        )
        slowest = None
        for ticket_id, token in token_of.items():
            in_call = [m for m in received[token] if call_from <= m[0] < finish_from]
            in_finish = [m for m in received[token] if finish_from <= m[0] < finish_to]
            finish_msgs += len(in_finish)
            finish_bytes += sum(size for _, size in in_finish)
            page_finishes += 1
            if ticket_id == cycle["called"]:
                if in_call:
                    own_lag.append((in_call[0][0] - call_from) * 1000)
                continue
            if ticket_id in called_so_far:
                continue  # served earlier: no longer waiting
            waiting_page_calls += 1
            call_msgs += len(in_call)
            call_bytes += sum(size for _, size in in_call)
            if not in_call:
                missed += 1
                continue
            lag = (in_call[0][0] - call_from) * 1000
            every_page.append(lag)
            slowest = lag if slowest is None else max(slowest, lag)
        if slowest is not None:
            last_phone.append(slowest)

    idle_from, idle_to = result["idle_window"]
    idle_messages = sum(
        1 for box in received.values() for at, _ in box if idle_from <= at < idle_to
    )
    statements = result["statements"]
    per = {
        kind: [statements.get(f"{kind} {k}", 0) for k in range(len(cycles))]
        for kind in ("call", "finish")
    }
    return {
        "last_phone": last_phone,
        "every_page": every_page,
        "missed": missed,
        "own_lag": own_lag,
        "waiting_per_call": waiting_page_calls / max(len(cycles), 1),
        "msgs_per_page_call": call_msgs / max(waiting_page_calls, 1),
        "bytes_per_msg_call": call_bytes / max(call_msgs, 1),
        "msgs_per_page_finish": finish_msgs / max(page_finishes, 1),
        "bytes_per_msg_finish": finish_bytes / max(finish_msgs, 1)
        if finish_msgs
        else 0,
        "answer_call": [(c["call"][1] - c["call"][0]) * 1000 for c in cycles],
        "answer_finish": [(c["finish"][1] - c["finish"][0]) * 1000 for c in cycles],
        "cpu_call": [c["cpu_call"] * 1000 for c in cycles],
        "cpu_finish": [c["cpu_finish"] * 1000 for c in cycles],
        "mean_cycle": (
            (cycles[-1]["call"][0] - cycles[0]["call"][0]) / (len(cycles) - 1)
            if len(cycles) > 1
            else float("nan")
        ),
        "sql_call": per["call"],
        "sql_finish": per["finish"],
        "sql_idle": statements.get("idle", 0),
        "idle_messages": idle_messages,
    }


def _p(values, p) -> str:
    return f"{percentile(values, p):.1f}" if values else "-"


def _spread(values) -> str:
    if not values:
        return "-"
    return f"median {median(values):g} (min {min(values)}, max {max(values)})"


def print_one(result: dict, figures: dict, args) -> None:
    n = result["pages"]
    opened = result["opened"]
    connected = sum(o["connected"] for o in opened)
    print(f"\n{n} ticket pages (load average at the start: {result['load']})")
    for command in result["commands"]:
        print(f"  web process: {command}")
    if result.get("agent_command"):
        print(f"  the agent's web process (no socket): {result['agent_command']}")
    for i, o in enumerate(opened):
        print(
            f"  web process {i + 1}: {o['connected']} sockets open in {o['seconds']:.1f} s"
            f" ({o['failed']} failed {o['failure'] or ''}), snapshot "
            f"{o['snapshot_bytes']:.0f} bytes"
        )
    for i, (idle, holding) in enumerate(result["rss"]):
        held = opened[i]["connected"]
        print(
            f"  web process {i + 1} VmRSS: idle (warmed) {idle / 1024:.1f} MiB, holding "
            f"{held} sockets {holding / 1024:.1f} MiB: +{(holding - idle) / 1024:.1f} "
            f"MiB, {(holding - idle) / max(held, 1):.0f} KiB a socket"
        )
    for i, names in enumerate(result["redis"]):
        print(
            f"  web process {i + 1} Redis connections: {len(names)} "
            f"({', '.join(sorted(names)) or 'none'})"
        )
    print(
        f"  idle {args.idle:g} s: web CPU {result['idle_cpu'] * 100:.2f} % of one core "
        f"(both processes), {figures['sql_idle']} statements, "
        f"{figures['idle_messages']} messages"
    )
    print(
        f"  {len(result['cycles'])} cycles (call, then finish), spacing >= "
        f"{args.spacing:g} s, mean cycle {figures['mean_cycle']:.2f} s, "
        f"{result['unsettled']} changes still arriving after {SETTLE_CAP:g} s"
    )
    print(
        f"  agent's answer: call p50 {_p(figures['answer_call'], 50)} ms, p99 "
        f"{_p(figures['answer_call'], 99)} ms; finish p50 "
        f"{_p(figures['answer_finish'], 50)} ms, p99 {_p(figures['answer_finish'], 99)} ms"
    )
    lp, ep = figures["last_phone"], figures["every_page"]
    print(
        f"  call -> last phone (request sent to the slowest waiting page's first "
        f"message): p50 {_p(lp, 50)} ms, p99 {_p(lp, 99)} ms, max "
        f"{max(lp) if lp else float('nan'):.1f} ms"
    )
    print(
        f"  call -> every page: p50 {_p(ep, 50)} ms, p99 {_p(ep, 99)} ms over "
        f"{len(ep)} (call, page); {figures['waiting_per_call']:.0f} waiting pages a call;"
        f" {figures['missed']} missed"
    )
    print(
        f"  called ticket's own page: first message p50 {_p(figures['own_lag'], 50)} ms "
        f"({len(figures['own_lag'])} calls had a page)"
    )
    print(
        f"  messages: a call sends {figures['msgs_per_page_call']:.2f} per waiting page, "
        f"{figures['bytes_per_msg_call']:.0f} bytes each; a finish sends "
        f"{figures['msgs_per_page_finish']:.2f} per page, "
        f"{figures['bytes_per_msg_finish']:.0f} bytes each"
    )
    print(
        f"  SQL statements (all processes): per call {_spread(figures['sql_call'])}; "
        f"per finish {_spread(figures['sql_finish'])}"
    )
    if args.show_statements:
        for label in ("call 0", "finish 0"):
            print(f"  statements of {label}:")
            for statement in result["statement_text"].get(label, ()):
                print(f"    {statement[:110]}")
    cc, cf = figures["cpu_call"], figures["cpu_finish"]
    print(
        f"  web CPU (every web process): per call {mean(cc):.0f} ms, per finish "
        f"{mean(cf):.0f} ms, per cycle {mean(cc) + mean(cf):.0f} ms"
    )
    print(
        f"  sockets: {connected} of {n} open, {result['still_open']} still open at the "
        f"end; gunicorn --worker-connections {result['worker_connections']}"
        + (
            " (raised from the Procfile's 1000: a process holds more sockets)"
            if result["worker_connections"] > 1000
            else ""
        )
    )


def print_summary(rows: list[tuple[dict, dict]]) -> None:
    print("\nsummary")
    print(
        "| pages | a process holds | call to last phone p50 / p99 | every page p99 | "
        "agent call p50 / p99 | SQL per call / finish | web CPU per call / finish | "
        "bytes a message (call) | msgs a page a finish | idle CPU | KiB a socket | "
        "Redis conns a process |"
    )
    print("|" + "---:|" * 12)
    for result, f in rows:
        held = [o["connected"] for o in result["opened"]]
        kib = [
            (h - i) / max(c, 1) for (i, h), c in zip(result["rss"], held, strict=True)
        ]
        print(
            f"| {result['pages']} | {max(held)} | {_p(f['last_phone'], 50)} / "
            f"{_p(f['last_phone'], 99)} ms | {_p(f['every_page'], 99)} ms | "
            f"{_p(f['answer_call'], 50)} / {_p(f['answer_call'], 99)} ms | "
            f"{median(f['sql_call']):g} / {median(f['sql_finish']):g} | "
            f"{mean(f['cpu_call']):.0f} / {mean(f['cpu_finish']):.0f} ms | "
            f"{f['bytes_per_msg_call']:.0f} | {f['msgs_per_page_finish']:.2f} | "
            f"{result['idle_cpu'] * 100:.2f} % | {mean(kib):.0f} | "
            f"{' / '.join(str(len(r)) for r in result['redis'])} |"
        )
    by_n = {r["pages"]: f for r, f in rows}
    if 10 in by_n and 1000 in by_n:
        small, large = by_n[10], by_n[1000]
        print(
            "targets: SQL per call the same at 10 and 1 000: "
            f"{median(small['sql_call']):g} vs {median(large['sql_call']):g}; "
            "CPU per call within 2x: "
            f"x{mean(large['cpu_call']) / max(mean(small['cpu_call']), 1e-9):.2f}; "
            f"p99 to last phone at 1 000 < 500 ms: {_p(large['last_phone'], 99)} ms"
        )


def machine_allows(pages: int) -> str | None:
    """Why this machine cannot hold `pages` sockets, or None."""
    per_process = pages // PROCESSES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < per_process + 500:
        return f"open files limit {hard} < {per_process + 500}"
    if soft < per_process + 500:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children inherit
    available = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            available = int(line.split()[1])
    needed = pages * 400  # KiB: server and client side of a socket, generously
    if available < needed + 2 * 1024 * 1024:
        return (
            f"{available // 1024} MiB available, about {needed // 1024 + 2048} needed"
        )
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pages",
        default="10,100,1000,10000",
        help="open ticket pages, comma-separated (10 000 is skipped, with the reason, "
        "where the machine cannot hold it)",
    )
    parser.add_argument("--cycles", type=int, default=20, help="calls (each finished)")
    parser.add_argument(
        "--spacing", type=float, default=1.0, help="seconds from a call to the next"
    )
    parser.add_argument(
        "--quiet",
        type=float,
        default=0.3,
        help="seconds without any message before the next change",
    )
    parser.add_argument("--idle", type=float, default=30.0, help="idle seconds")
    parser.add_argument(
        "--spare", type=int, default=10, help="tickets behind the pages"
    )
    parser.add_argument("--batch", type=int, default=25, help="sockets opened at once")
    parser.add_argument(
        "--worker-connections",
        type=int,
        default=0,
        help="gunicorn's, for both processes (default: the Procfile's 1000, raised to "
        "a process's share + 100 where it holds more)",
    )
    parser.add_argument(
        "--agent-apart",
        action="store_true",
        help="the agent signs in on a third web process that holds no socket (sockets "
        "served apart, as the README advises), instead of on the first page process",
    )
    parser.add_argument(
        "--show-statements",
        action="store_true",
        help="print the statements of the first call and finish (each N)",
    )
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.pages.split(",") if n.strip()]

    print(f"command: {command_line()}")
    print(f"date: {now_text()}")
    rows = []
    for n in sizes:
        refused = machine_allows(n)
        if refused:
            print(f"\n{n} ticket pages: skipped, {refused}")
            continue
        result = run_one(n, args)
        if not rows:
            print(f"machine: {result['machine']}")
        figures = analyse(result)
        print_one(result, figures, args)
        rows.append((result, figures))
    if rows:
        print_summary(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
