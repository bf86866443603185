"""A Monday morning at a prefecture, end to end (issue 14).

One branch, 40 counters, 4 services (counters spread over them, 8 serving two), 2 000
tickets arriving on a morning curve (a rush at 08:00 of the people who queued outside, a
peak from 09:00 to 10:00, tailing off until 12:00), from kiosks, phones and an "SMS-like"
gateway; 40 agents calling and serving; every ticket's live page open while it waits (up to
--phones at once), 5 TV boards and the 40 counter screens open. The morning runs faster
than life by --speed (24: four hours in ten minutes), every waiting time divided by it;
after 12:00 the agents serve whoever is still waiting (at most --drain-hours more).
Seeded random draws (--seed): the same morning each run.

The stack is production's: one gunicorn as the Procfile's web line starts it (gevent, 2
worker processes), one RQ worker (`flask worker`, the Procfile's worker line), PostgreSQL
and Redis (bench/_live.py's Stack: private servers, migrated and seeded as on release).

The HTTP users are Locust's (bench/monday/locustfile.py, run headless in its own
virtualenv, bench/monday/.venv, made from bench/monday/requirements.txt at the first run,
because Locust's own pins of Flask and gevent are not the app's). Locust is the load tool
the issue names: its users are plain Python, it runs thousands of gevent users in one
process, and it writes its statistics as CSV. The websocket clients are bench/_ws.py's
WsClient (asyncio + wsproto) in their own processes: this one sends them, from the events
Locust appends to a file, which ticket pages to open (each new ticket, as a phone that
scanned it or followed its link would) and to close (once served or gone).

Reported:
- p50/p99 of every HTTP action (Locust's statistics: kiosk pages and "take a ticket",
  phones' branch page, "take a ticket" and ticket page, the gateway's ticket, the agents'
  call next, recall, no-show, start, finish);
- the lag of every kind of screen, from the send of the action that must change it to the
  first message the screen receives after that send (any message: the screens' formats are
  changing, so a message is not parsed), within 10 s, else counted as "no update":
    phone, own call     the ticket's page, after the call of that ticket;
    phone, line moved   each open page of a waiting ticket, after each call in its service
                        (a page whose position the call did not change may rightly get
                        nothing: those are "no update", not errors);
    board               each of the 5 boards, after each call;
    counter screen      each screen of a counter serving the service, after each ticket
                        taken for it;
  (with actions every fraction of a second, "the first message after" may belong to an
  earlier action still on its way: the figures are a lower bound near their p50);
- errors: Locust's failures (any status outside 2xx/3xx, an unexpected answer, an
  exception), websockets refused or closed by the server, tracebacks in the server logs;
  must be 0;
- CPU seconds (/proc/<pid>/stat, utime+stime, with reaped children) and memory (VmRSS;
  PostgreSQL as the sum of its processes' Pss, its shared buffers counted once) of each
  server process: web worker 1 and 2 (and their master), the RQ worker, PostgreSQL, Redis;
- branches one 2-vCPU machine would carry: 2 cores x 3600 s / (server CPU seconds per
  simulated hour of this branch's morning).

Compressing time compresses the costs that flow with time, not with actions: an idle
socket's wake-ups and an idle agent's look at the screen (at least 1 s apart, so at high
speed-ups idle agents call more often than people would) are under- or over-counted by the
factor; what each action costs is not. The web processes run the working tree as it is.

    .venv/bin/python bench/monday/run.py         # the full morning: 10 min + <= 75 s + ~1 min
    .venv/bin/python bench/monday/run.py --tickets 200 --phones 100 --speed 120  # 3 min
    make bench-monday                            # the same as the first line
"""

import argparse
import asyncio
import bisect
import csv
import json
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/

from _live import (  # noqa: E402
    PASSWORD,
    HttpClient,
    Stack,
    command_line,
    csrf_token,
    machine_facts,
    now_text,
    percentile,
)
from _ws import WsClient  # noqa: E402
from sqlalchemy import select  # noqa: E402

from smartqueue import clock  # noqa: E402
from smartqueue.extensions import db  # noqa: E402
from smartqueue.models import (  # noqa: E402
    Counter,
    DeviceKind,
    Strategy,
    Ticket,
    User,
)
from smartqueue.queueing import rules  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LOCUST_VENV = HERE / ".venv"
LAG_WINDOW = 10.0  # seconds: a screen that has not moved by then "got no update"

# (prefix, name, estimated minutes, share of the tickets): a prefecture's morning.
SERVICES = [
    ("A", "Carte nationale d'identité", 6, 0.35),
    ("B", "Passeport", 8, 0.20),
    ("C", "Légalisation", 3, 0.30),
    ("D", "Renseignements", 2, 0.15),
]
# Counters by the services they handle (indexes in SERVICES): 40 counters.
COUNTERS = [[0]] * 12 + [[1]] * 8 + [[2]] * 8 + [[3]] * 4 + [[0, 2]] * 4 + [[1, 3]] * 4
CHANNELS = {"kiosk": 0.55, "phone": 0.30, "sms": 0.15}
# The arrival rate through the morning, relative, at hours after 08:00 (linear between):
# the crowd at the door at opening, a climb to the 09:00-10:00 peak, a long tail.
CURVE = [(0.0, 3.0), (0.25, 1.3), (1.0, 2.2), (2.0, 2.2), (3.0, 1.0), (4.0, 0.3)]
KIOSKS, BOARDS = 3, 5


# --- the plan --------------------------------------------------------------------------


def arrival_times(count: int, hours: float, rng: random.Random) -> list[float]:
    """`count` arrival times (simulated seconds after opening) drawn from CURVE."""
    step = 10.0
    scale = hours / CURVE[-1][0]
    cumulative, total, t = [], 0.0, 0.0
    while t < hours * 3600:
        h = t / 3600 / scale
        for (h0, r0), (h1, r1) in zip(CURVE, CURVE[1:], strict=False):
            if h0 <= h <= h1:
                total += r0 + (r1 - r0) * (h - h0) / (h1 - h0)
                break
        cumulative.append(total)
        t += step
    times = []
    for _ in range(count):
        i = bisect.bisect_left(cumulative, rng.random() * total)
        times.append((i + rng.random()) * step)
    return sorted(times)


def make_arrivals(args, desk, kiosks, rng) -> list[dict]:
    services = [s.id for s in desk.services]
    shares = [share for *_, share in SERVICES]
    channels, weights = list(CHANNELS), list(CHANNELS.values())
    arrivals, customers = [], 0
    for i, at in enumerate(arrival_times(args.tickets, args.hours, rng)):
        channel = rng.choices(channels, weights)[0]
        arrival = {"at": at, "channel": channel}
        arrival["service"] = rng.choices(services, shares)[0]
        if channel == "kiosk":
            arrival["kiosk"] = kiosks[i % len(kiosks)]
            arrival["high"] = rng.random() < 0.05  # elderly, pregnant, disabled
        elif channel == "phone":
            arrival["customer"] = customers
            customers += 1
        arrivals.append(arrival)
    return arrivals


def seed_customers(count: int) -> list[str]:
    """Verified customer accounts (one per phone arrival: one active ticket each)."""
    from smartqueue.accounts.secrets import hash_password

    hashed = hash_password(PASSWORD)  # the seeding app hashes at its cheapest
    emails = [f"usager{i}@banc.sn" for i in range(count)]
    db.session.add_all(
        User(email=e, password_hash=hashed, email_verified_at=clock.now())
        for e in emails
    )
    db.session.commit()
    return emails


def sign_in(port: int, email: str) -> dict:
    """The cookies of a fresh sign-in (phones and agents are signed in before 08:00)."""
    http = HttpClient(port)
    try:
        status, _, html = http.request("GET", "/auth/login")
        form = {"csrf_token": csrf_token(html), "email": email, "password": PASSWORD}
        status, _, _ = http.request("POST", "/auth/login", form=form)
        if status not in (302, 303):
            raise RuntimeError(f"sign-in of {email}: HTTP {status}")
        return dict(http.cookies)
    finally:
        http.close()


# --- the websocket clients (their own processes) ---------------------------------------


def ws_process(conn, port: int, fixed: list[tuple[str, str, dict]]) -> None:
    asyncio.run(_ws_main(conn, port, fixed))


async def _ws_main(conn, port, fixed):
    loop = asyncio.get_running_loop()
    sockets: dict[str, tuple[WsClient, asyncio.Task]] = {}
    times: dict[str, list[float]] = defaultdict(list)
    opened_at, errors = {}, []
    most_open = [0]

    def open_socket(key: str, path: str, headers=None) -> WsClient:
        client = WsClient(
            "127.0.0.1", port, path, lambda text, at: times[key].append(at), headers
        )
        opened_at[key] = time.monotonic()
        sockets[key] = (client, asyncio.create_task(client.run()))
        phones = sum(1 for k in sockets if k.startswith("phone:"))
        most_open[0] = max(most_open[0], phones)
        return client

    async def close_socket(key: str) -> None:
        if key not in sockets:
            return
        client, task = sockets.pop(key)
        if client.closed.is_set():  # before we asked: the server closed it
            errors.append(f"{key}: closed by the server ({client.error or 'clean'})")
            return
        await client.close()  # what the client says while closing is not the server's
        await asyncio.gather(task, return_exceptions=True)

    first = [open_socket(key, path, headers) for key, path, headers in fixed]
    await asyncio.gather(*(c.first.wait() for c in first))
    conn.send({"ready": [c.error for c in first if c.error]})
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command[0] == "open":
            _, key, path = command
            open_socket(key, path)
        elif command[0] == "close":
            await close_socket(command[1])
        elif command[0] == "stop":
            break
    # A socket that ended without our asking was closed by the server: an error.
    for key, (client, _task) in list(sockets.items()):
        if client.closed.is_set():
            errors.append(
                f"{key}: closed by the server ({client.error or 'no reason'})"
            )
            sockets.pop(key)
    for key in list(sockets):
        await close_socket(key)
    conn.send(
        {
            "times": dict(times),
            "opened_at": opened_at,
            "errors": errors,
            "most_open_phones": most_open[0],
        }
    )


# --- this process: following the morning ------------------------------------------------


class Hub(threading.Thread):
    """Follows Locust's events file: opens a ticket page for each new ticket (while fewer
    than `phones` are open), closes it once its ticket is finished or gone."""

    def __init__(self, events_path: Path, engine, pipes: list, phones: int):
        super().__init__(daemon=True)
        self.events_path, self.engine, self.pipes, self.phones = (
            events_path,
            engine,
            pipes,
            phones,
        )
        self.events: list[dict] = []
        self.open: dict[int, int] = {}  # ticket id -> the pipe holding its page
        self.over: set[int] = set()
        self.pending: list[str] = []
        self.tokens: dict[str, int] = {}
        self.most_open = 0
        self.stopping = threading.Event()
        self.next_pipe = 0

    def run(self) -> None:
        with open(self.events_path) as events:
            while True:
                line = events.readline()
                if line:
                    self.handle(json.loads(line))
                    continue
                self.resolve()
                if self.stopping.is_set():
                    return
                time.sleep(0.05)

    def handle(self, event: dict) -> None:
        self.events.append(event)
        if event["kind"] == "issue":
            self.pending.append(event["token"])
        elif event["kind"] in ("finish", "no_show"):
            ticket = event["ticket"]
            self.over.add(ticket)
            if ticket in self.open:
                self.pipes[self.open.pop(ticket)].send(("close", f"phone:{ticket}"))

    def resolve(self) -> None:
        if not self.pending:
            return
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Ticket.token, Ticket.id).where(Ticket.token.in_(self.pending))
            ).all()
        self.pending = []
        for token, ticket in rows:
            self.tokens[token] = ticket
            if ticket in self.over or len(self.open) >= self.phones:
                continue
            self.open[ticket] = self.next_pipe
            self.pipes[self.next_pipe].send(
                ("open", f"phone:{ticket}", f"/ws/ticket/{token}")
            )
            self.next_pipe = (self.next_pipe + 1) % len(self.pipes)
            self.most_open = max(self.most_open, len(self.open))


# --- processes' CPU and memory ------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its reaped children and its live descendants."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = sum(int(fields[i]) for i in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")
    return own + sum(tree_cpu(child) for child in _children(pid))


def _status_kib(pid: int, field: str, path: str = "status") -> int:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory(pid: int, pss: bool = False) -> int:
    """KiB: VmRSS of the process and its descendants, or their summed Pss."""
    own = _status_kib(pid, "Pss", "smaps_rollup") if pss else _status_kib(pid, "VmRSS")
    return own + sum(tree_memory(c, pss) for c in _children(pid))


class Processes:
    """The server processes by role: {role: (pid, whole tree?, Pss?)}."""

    def __init__(self, web, worker, stack):
        master = web.proc.pid
        workers = sorted(web.worker_pids())
        postmaster = int(Path(stack.pg.data, "postmaster.pid").read_text().split()[0])
        redis = int(Path(stack.redis.pidfile).read_text().split()[0])
        self.roles = {
            "web worker 1": (workers[0], False, False),
            "web worker 2": (workers[1], False, False),
            "gunicorn master": (master, False, False),
            "RQ worker": (worker.pid, True, False),
            "PostgreSQL": (postmaster, True, True),
            "Redis": (redis, False, False),
        }
        self.peak = defaultdict(int)

    def cpu(self) -> dict[str, float]:
        out = {}
        for role, (pid, _tree, _pss) in self.roles.items():
            if role == "gunicorn master":  # its own only: the workers have their line
                out[role] = tree_cpu(pid) - sum(tree_cpu(c) for c in _children(pid))
            else:
                out[role] = tree_cpu(pid)
        return out

    def memory(self) -> dict[str, int]:
        out = {}
        for role, (pid, tree, pss) in self.roles.items():
            out[role] = tree_memory(pid, pss) if tree else _status_kib(pid, "VmRSS")
            self.peak[role] = max(self.peak[role], out[role])
        return out


def start_worker(stack) -> tuple[subprocess.Popen, object]:
    log = tempfile.NamedTemporaryFile(prefix="sq-worker-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "flask"), "worker"],
        cwd=ROOT,
        env=stack.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, log


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ensure_locust() -> Path:
    locust = LOCUST_VENV / "bin" / "locust"
    if not locust.exists():
        print("making bench/monday/.venv (Locust) ...", flush=True)
        subprocess.run(["python3", "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run(
            [
                str(LOCUST_VENV / "bin" / "pip"),
                "install",
                "-q",
                "-r",
                str(HERE / "requirements.txt"),
            ],
            check=True,
        )
    return locust


# --- the figures ---------------------------------------------------------------------------


def first_after(times: list[float], moment: float) -> float | None:
    i = bisect.bisect_right(times, moment)
    if i < len(times) and times[i] - moment <= LAG_WINDOW:
        return times[i] - moment
    return None


def lags(events, reports, counter_services, ticket_service):
    """{screen kind: ([lag seconds], updates expected but not seen)}."""
    times, opened = {}, {}
    for report in reports:
        for key, values in report["times"].items():
            times[key] = sorted(values)
        opened.update(report["opened_at"])
    out = defaultdict(lambda: ([], [0]))

    def measure(kind, key, moment):
        if key not in opened or opened[key] > moment:
            return
        lag = first_after(times.get(key, []), moment)
        if lag is None:
            out[kind][1][0] += 1
        else:
            out[kind][0].append(lag)

    calls = [e for e in events if e["kind"] == "call"]
    called_at = {e["ticket"]: e["sent"] for e in calls}
    waiting_pages = defaultdict(list)  # service -> [(opened, called or inf, key)]
    for key, at in opened.items():
        if key.startswith("phone:"):
            ticket = int(key.split(":")[1])
            service = ticket_service.get(ticket)
            waiting_pages[service].append(
                (at, called_at.get(ticket, float("inf")), key)
            )
    for call in calls:
        measure("phone, own call", f"phone:{call['ticket']}", call["sent"])
        for i in range(BOARDS):
            measure("board", f"board:{i}", call["sent"])
        for page_opened, page_called, key in waiting_pages[
            ticket_service.get(call["ticket"])
        ]:
            if page_opened < call["sent"] < page_called:
                measure("phone, line moved", key, call["sent"])
    for issue in (e for e in events if e["kind"] == "issue"):
        for counter, services in counter_services.items():
            if issue["service"] in services:
                measure("counter screen", f"counter:{counter}", issue["sent"])
    return out


def read_csv(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def log_errors(text: str) -> list[str]:
    """Each ERROR line of a log, with the exception that ends its traceback."""
    errors, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if " ERROR " in line or "[ERROR]" in line:
            cause = next(
                (
                    later.strip()
                    for later in lines[i + 1 : i + 200]
                    if re.match(r"^[\w.]+(Error|Exception|Timeout)\b", later)
                ),
                "",
            )
            errors.append(f"{line.split(' ERROR ', 1)[-1][:100]} -> {cause[:160]}")
    return errors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument(
        "--phones", type=int, default=1000, help="ticket pages open at most at once"
    )
    parser.add_argument("--hours", type=float, default=4.0, help="of morning (08:00-)")
    parser.add_argument(
        "--speed", type=float, default=24.0, help="speed-up: 24 = 4 h in 10 min"
    )
    parser.add_argument(
        "--drain-hours",
        type=float,
        default=0.5,
        help="simulated time after the last arrival to serve who still waits",
    )
    parser.add_argument("--recall-rate", type=float, default=0.08)
    parser.add_argument("--no-show-share", type=float, default=0.5, help="of recalls")
    parser.add_argument("--arrival-users", type=int, default=40)
    parser.add_argument("--ws-processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the plan, events, Locust's CSV and the logs (their folder is printed)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    locust = ensure_locust()
    work = Path(tempfile.mkdtemp(prefix="sq-monday-"))

    print(f"command: {command_line()}")
    with Stack() as stack:
        print(f"date: {now_text()}")
        print(f"machine: {machine_facts(stack)}")
        desk = stack.seed_branch(
            [(p, n, m, Strategy.FIFO) for p, n, m, _ in SERVICES],
            COUNTERS,
            name="Prefecture",
        )
        kiosks = [stack.device(desk.branch, DeviceKind.KIOSK) for _ in range(KIOSKS)]
        gateway = stack.device(desk.branch, DeviceKind.KIOSK)
        boards = [stack.device(desk.branch, DeviceKind.BOARD) for _ in range(BOARDS)]
        arrivals = make_arrivals(args, desk, kiosks, rng)
        phones = sum(1 for a in arrivals if a["channel"] == "phone")
        customers = seed_customers(phones)
        counter_services = {
            c.id: [s.id for s in c.services]
            for c in db.session.scalars(select(Counter))
        }
        agents = [
            (a.email, c.id) for a, c in zip(desk.agents, desk.counters, strict=True)
        ]
        minutes = {s.id: s.estimated_minutes for s in desk.services}
        branch_id = desk.branch.id
        db.session.remove()
        engine = db.engine
        engine.dispose()  # no inherited database connection in the forked clients

        worker, worker_log = start_worker(stack)
        try:
            with stack.gunicorn("wsgi:app", workers=2) as web:
                print(f"web: {web.command} (workers {web.worker_pids()})")
                print(f"worker: flask worker (pid {worker.pid})")
                started = time.monotonic()
                with ThreadPoolExecutor(4) as pool:
                    agent_cookies = list(
                        pool.map(lambda a: sign_in(web.port, a[0]), agents)
                    )
                    customer_cookies = list(
                        pool.map(lambda e: sign_in(web.port, e), customers)
                    )
                print(
                    f"signed in before 08:00: {len(agents)} agents, {phones} phone "
                    f"customers ({time.monotonic() - started:.0f} s)"
                )
                result = run_morning(
                    args,
                    stack,
                    web,
                    worker,
                    locust,
                    work,
                    engine,
                    {
                        "branch_id": branch_id,
                        "gateway": gateway,
                        "boards": boards,
                        "arrivals": arrivals,
                        "customers": customer_cookies,
                        "agents": [
                            {
                                "counter": counter,
                                "cookies": cookies,
                                "minutes": [
                                    minutes[s] for s in counter_services[counter]
                                ],
                            }
                            for (_, counter), cookies in zip(
                                agents, agent_cookies, strict=True
                            )
                        ],
                    },
                )
                web_log = web.log_tail(1_000_000)
                (work / "web.log").write_text(web_log)
        finally:
            stop_process(worker)
            worker_log.close()
            worker_text = Path(worker_log.name).read_text(errors="replace")
            Path(worker_log.name).unlink(missing_ok=True)
        with engine.connect() as conn:
            rows = conn.execute(
                select(Ticket.id, Ticket.service_id, Ticket.status)
            ).all()
    ticket_service = {ticket: service for ticket, service, _ in rows}
    statuses = defaultdict(int)
    for _, _, status in rows:
        statuses[status.value] += 1
    if args.keep:
        print(
            f"kept: {work} (plan.json, events.jsonl, locust_*.csv, locust.log, web.log)"
        )
    else:
        shutil.rmtree(work, ignore_errors=True)
    report(
        args,
        result,
        counter_services,
        ticket_service,
        statuses,
        log_errors(web_log),
        log_errors(worker_text),
    )
    return 0


def run_morning(args, stack, web, worker, locust, work, engine, plan) -> dict:
    events_path = work / "events.jsonl"
    events_path.touch()
    mp = multiprocessing.get_context("fork")
    fixed = [
        (f"board:{i}", f"/ws/board/{t}", None) for i, t in enumerate(plan["boards"])
    ]
    fixed += [
        (
            f"counter:{a['counter']}",
            f"/ws/counter/{a['counter']}",
            [("Cookie", "; ".join(f"{k}={v}" for k, v in a["cookies"].items()))],
        )
        for a in plan["agents"]
    ]
    pipes, procs = [], []
    for i in range(args.ws_processes):
        mine, theirs = mp.Pipe()
        proc = mp.Process(
            target=ws_process, args=(theirs, web.port, fixed if i == 0 else [])
        )
        proc.start()
        pipes.append(mine)
        procs.append(proc)
    ready = [pipe.recv()["ready"] for pipe in pipes]
    refused = [e for r in ready for e in r]
    print(
        f"open: {BOARDS} boards, {len(plan['agents'])} counter screens"
        + (f" ({len(refused)} refused: {refused[:3]})" if refused else "")
    )

    lead = 8.0  # Locust starts, spawns its users, the agents load their screens
    start_at = time.monotonic() + lead
    morning = args.hours * 3600 / args.speed
    stop_at = start_at + (args.hours + args.drain_hours) * 3600 / args.speed
    plan.update(
        speed=args.speed,
        start_at=start_at,
        stop_at=stop_at,
        events_path=str(events_path),
        arrival_users=args.arrival_users,
        recall_rate=args.recall_rate,
        max_recalls=rules.MAX_RECALLS,
        no_show_share_of_recalls=args.no_show_share,
        seed=args.seed,
    )
    plan_path = work / "plan.json"
    plan_path.write_text(json.dumps(plan))
    hub = Hub(events_path, engine, pipes, args.phones)
    hub.start()
    users = args.arrival_users + len(plan["agents"])
    prefix = str(work / "locust")
    locust_log = open(work / "locust.log", "w")
    command = [
        str(locust),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "--host",
        f"http://127.0.0.1:{web.port}",
        "--run-time",
        f"{int(stop_at - time.monotonic() + 60)}s",
        "--csv",
        prefix,
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    version = subprocess.run([locust, "--version"], capture_output=True, text=True)
    print(
        f"load: locust -f bench/monday/locustfile.py --headless -u {users} -r {users} "
        f"({version.stdout.split(' from ')[0]})"
    )
    print(
        f"morning: {args.tickets} tickets over {args.hours:g} h at x{args.speed:g} "
        f"= {morning / 60:.1f} min, then up to {args.drain_hours:g} h to serve who waits"
        f" ({(stop_at - start_at) / 60:.1f} min in all at most)",
        flush=True,
    )
    load = subprocess.Popen(
        command,
        cwd=HERE,
        env={**os.environ, "MONDAY_PLAN": str(plan_path)},
        stdout=locust_log,
        stderr=subprocess.STDOUT,
    )
    processes = Processes(web, worker, stack)
    while time.monotonic() < start_at:
        time.sleep(0.05)
    cpu_before = processes.cpu()
    next_report = start_at + 60
    # The morning ends when the last agent has nobody left to call (Locust logs "end").
    while load.poll() is None and not any(e["kind"] == "end" for e in hub.events[-5:]):
        processes.memory()
        time.sleep(2.0)
        if time.monotonic() > next_report:
            simulated = (time.monotonic() - start_at) * args.speed / 3600
            h, m = 8 + int(simulated), int(simulated % 1 * 60)
            print(
                f"  {h:02d}:{m:02d}  events {len(hub.events)}, ticket pages open "
                f"{len(hub.open)}",
                flush=True,
            )
            next_report += 60
    ended = time.monotonic()
    cpu_after = processes.cpu()
    memory_end = processes.memory()
    try:
        load.wait(60)
    except subprocess.TimeoutExpired:
        load.kill()
        load.wait()
    locust_log.close()
    hub.stopping.set()
    hub.join()
    for pipe in pipes:
        pipe.send(("stop",))
    reports = [pipe.recv() for pipe in pipes]
    for proc in procs:
        proc.join(30)
    return {
        "start_at": start_at,
        "ended": ended,
        "cpu": {k: cpu_after[k] - cpu_before[k] for k in cpu_before},
        "memory_end": memory_end,
        "memory_peak": dict(processes.peak),
        "events": hub.events,
        "reports": reports,
        "stats": read_csv(f"{prefix}_stats.csv"),
        "failures": read_csv(f"{prefix}_failures.csv"),
        "exceptions": read_csv(f"{prefix}_exceptions.csv"),
        "refused": refused,
        "most_open": max(hub.most_open, 0),
        "locust_exit": load.returncode,
        "locust_log": (work / "locust.log").read_text(errors="replace"),
    }


def report(
    args, r, counter_services, ticket_service, statuses, web_errors, worker_errors
):
    print("\nresults")
    events = r["events"]
    kinds = defaultdict(int)
    for e in events:
        kinds[e["kind"]] += 1
    by_channel = defaultdict(int)
    for e in events:
        if e["kind"] == "issue":
            by_channel[e["channel"]] += 1
    simulated_hours = (r["ended"] - r["start_at"]) * args.speed / 3600
    print(
        f"  simulated {simulated_hours:.2f} h (08:00 to "
        f"{8 + int(simulated_hours):02d}:{int(simulated_hours % 1 * 60):02d}) in "
        f"{(r['ended'] - r['start_at']) / 60:.1f} min; tickets taken "
        f"{kinds['issue']} ({', '.join(f'{k} {v}' for k, v in sorted(by_channel.items()))}); "
        f"calls {kinds['call']}, recalls {kinds['recall']}, no-shows {kinds['no_show']}, "
        f"finished {kinds['finish']}; tickets by status at the end: "
        + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
    )
    print(f"  ticket pages open at most at once: {r['most_open']} (cap {args.phones})")

    print("\n  HTTP actions (Locust), ms:")
    print(f"    {'action':<30} {'n':>6} {'fail':>5} {'p50':>7} {'p99':>7} {'max':>7}")
    for row in r["stats"]:
        if row["Name"] == "Aggregated":
            continue
        print(
            f"    {row['Name']:<30} {row['Request Count']:>6} {row['Failure Count']:>5} "
            f"{row['50%']:>7} {row['99%']:>7} {float(row['Max Response Time']):>7.0f}"
        )

    print("\n  screens: action sent -> first message after it, ms:")
    measured = lags(events, r["reports"], counter_services, ticket_service)
    for kind in ("phone, own call", "phone, line moved", "board", "counter screen"):
        values, missing = measured[kind]
        values = [v * 1000 for v in values]
        if values:
            print(
                f"    {kind:<20} n={len(values):<7} p50 {percentile(values, 50):7.1f}  "
                f"p99 {percentile(values, 99):7.1f}  max {max(values):7.1f}   "
                f"no update within {LAG_WINDOW:g} s: {missing[0]}"
            )
        else:
            print(f"    {kind:<20} nothing measured (no update: {missing[0]})")

    errors = []
    for row in r["failures"]:
        errors.append(
            f"HTTP {row['Method']} {row['Name']}: {row['Error']} x {row['Occurrences']}"
        )
    for row in r["exceptions"]:
        errors.append(f"Locust task: {row['Message']} x {row['Count']}")
    for report_ in r["reports"]:
        errors += [f"websocket {e}" for e in report_["errors"]]
    errors += [f"websocket refused: {e}" for e in r["refused"]]
    errors += [f"web log: {e}" for e in web_errors]
    errors += [f"worker log: {e}" for e in worker_errors]
    print(f"\n  errors: {len(errors)}" + (" (target 0)" if errors else ""))
    counted = defaultdict(int)
    for error in errors:
        counted[re.sub(r"\[req \w+\] |/kiosk/[\w-]+/|:\d+\b", "", error)] += 1
    for error, times in sorted(counted.items(), key=lambda x: -x[1])[:30]:
        print(f"    {times} x {error}")
    if r["locust_exit"] not in (0, 1):
        print(f"  locust exited {r['locust_exit']}:\n{r['locust_log'][-2000:]}")

    print("\n  server processes (CPU over the morning; memory at its end and peak):")
    total = 0.0
    for role, cpu in r["cpu"].items():
        total += cpu
        print(
            f"    {role:<16} CPU {cpu:7.1f} s  "
            f"({cpu / max(r['ended'] - r['start_at'], 1e-9):5.1%} of a core)  "
            f"memory {r['memory_end'][role] / 1024:6.1f} MiB, peak "
            f"{r['memory_peak'][role] / 1024:6.1f} MiB"
        )
    per_branch_hour = total / simulated_hours
    print(
        f"    all             CPU {total:7.1f} s over {simulated_hours:.2f} simulated h: "
        f"{per_branch_hour:.1f} CPU s per branch-hour"
    )
    print(
        f"\n  branches one 2-vCPU machine would carry: 2 x 3600 / {per_branch_hour:.1f} = "
        f"{7200 / per_branch_hour:.0f} (at 100% of both cores; "
        f"{0.6 * 7200 / per_branch_hour:.0f} at 60%)"
    )


if __name__ == "__main__":
    sys.exit(main())
