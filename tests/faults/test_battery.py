"""The fault battery: the production set-up (two gunicorn processes, `flask worker`, `flask
cron`, PostgreSQL, a private Redis, an SMTP server) run through the faults a deployment
meets, over HTTP and websockets as the screens use them.

- Redis stopped for a few seconds while kiosks issue tickets and agents call and finish on
  both web processes: no 5xx, no ticket lost or numbered twice, every "called" mail sent
  exactly once after Redis is back, and the screens follow again.
- The worker killed (SIGKILL) while mail is held up by a slow SMTP server: every mail
  arrives, exactly one each.
"""

import asyncio
import re
import signal
import threading
import time
from datetime import time as t

import pytest
from aiosmtpd.controller import Controller
from simple_websocket import Client, ConnectionClosed
from sqlalchemy import func, select

from smartqueue import clock
from smartqueue.extensions import db
from smartqueue.models import CounterStatus, DeviceKind, OutboxJob, Ticket, TicketStatus
from smartqueue.orgs.operations import set_opening_hours
from smartqueue.queueing.devices import create_device
from tests.mailbox import Mailbox
from tests.processes import (
    Browser,
    production_env,
    run_flask,
    serve_web,
    stop,
)
from tests.services import RedisServer, free_port

pytestmark = pytest.mark.backends("postgresql")

PASSWORD = "correct-horse-42"
CALLED = "C'est votre tour"
NEAR = "Votre tour approche"


@pytest.fixture
def outage_redis(app_config):
    """A private Redis this test may stop and restart (the run's own Redis stays up)."""
    server = RedisServer()
    app_config["REDIS_URL"] = server.start()
    yield server
    server.stop()


@pytest.fixture
def branch(outage_redis, db, make_branch, make_service, make_counter, make_user):
    """A branch open around the clock: service A, open counters 1 and 2 with an agent
    each, a board and a kiosk link."""
    branch = make_branch()
    set_opening_hours(branch, {d: (t(0), t(23, 59, 59)) for d in range(7)})
    service = make_service(branch, "A")
    counters = [make_counter(branch, n, [service]) for n in (1, 2)]
    for counter in counters:
        counter.status = CounterStatus.OPEN
    agents = [
        make_user(email=f"agent{n}@example.sn", role="agent", branch=branch)
        for n in (1, 2)
    ]
    db.session.commit()
    _, board = create_device(branch, DeviceKind.BOARD, "Salle", by=agents[0])
    _, kiosk = create_device(branch, DeviceKind.KIOSK, "Entrée", by=agents[0])

    class Branch:
        id = branch.id
        service_id = service.id
        counter_ids = [c.id for c in counters]
        board_token = board
        kiosk_token = kiosk

    return Branch


@pytest.fixture
def processes(app_config, tmp_path):
    """Start processes as the Procfile does; stops whatever was started."""
    started = []

    def start(kind: str, env: dict, port: int | None = None):
        if kind == "web":
            process = serve_web(env, port)
        else:
            process = run_flask(env, kind, log=tmp_path / f"{kind}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        stop(process)


def _visible_words(html: str) -> list[str]:
    return re.sub(r"<[^>]+>", " ", html).split()


def _receive_until(socket, wanted: str, seconds: float) -> str:
    deadline, seen = time.monotonic() + seconds, ""
    while time.monotonic() < deadline and wanted not in _visible_words(seen):
        seen = socket.receive(timeout=max(deadline - time.monotonic(), 0.1)) or ""
    return seen


def _close(socket) -> None:
    try:
        socket.close()
    except ConnectionClosed:
        pass


def _take_ticket(kiosk: Browser, branch, email: str) -> int:
    base = f"/kiosk/{branch.kiosk_token}/services/{branch.service_id}"
    return kiosk.post(
        f"{base}/tickets",
        {"priority": "normal", "contact": email, "submit": "Valider"},
        f"{base}/contact",
    )


def _sign_in(agent: Browser, email: str) -> int:
    return agent.post(
        "/auth/login", {"email": email, "password": PASSWORD}, "/auth/login"
    )


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s for {what}")


def _outbox_empty() -> bool:
    db.session.rollback()  # a fresh snapshot
    return db.session.scalar(select(func.count()).select_from(OutboxJob)) == 0


def test_redis_stopped_while_two_processes_issue_call_and_finish(
    app, app_config, db, branch, outage_redis, processes, mailbox
):
    clock.freeze(None)
    env = production_env(app_config, RATELIMIT_ENABLED="1")
    ports = [free_port(), free_port()]
    for port in ports:
        processes("web", env, port)
    processes("worker", env)
    processes("cron", env)
    kiosks = [Browser(f"http://127.0.0.1:{port}") for port in ports]
    agents = [Browser(f"http://127.0.0.1:{port}") for port in ports]
    statuses: list[int] = []  # the agents' and sign-in's answers
    kiosk_statuses: list[int] = []  # a kiosk link's own rate limit may say 429
    issued = 0

    for n, agent in enumerate(agents, start=1):
        assert _sign_in(agent, f"agent{n}@example.sn") == 200
    for n in range(4):
        status = _take_ticket(kiosks[n % 2], branch, f"before{n}@example.sn")
        assert status == 200
        issued += 1
    board = Client.connect(f"ws://127.0.0.1:{ports[1]}/ws/board/{branch.board_token}")
    board.receive(timeout=10)

    outage_redis.halt()
    try:
        for round_ in range(3):
            for side in (0, 1):
                status = _take_ticket(kiosks[side], branch, f"out{round_}{side}@ex.sn")
                kiosk_statuses.append(status)
                issued += status == 200
                counter_id = branch.counter_ids[side]
                # The last round's customers stay called: their "your turn" mail must
                # still go out (a finished ticket's would be stale and is not sent).
                moves = ("call", "finish") if round_ < 2 else ("call",)
                for move in moves:
                    statuses.append(
                        agents[side].post(
                            f"/agent/counters/{counter_id}/{move}",
                            {},
                            f"/agent/counters/{counter_id}",
                        )
                    )
        # Signing in goes through the rate limiter, which kept its counters in Redis.
        statuses.append(
            _sign_in(Browser(f"http://127.0.0.1:{ports[0]}"), "agent1@example.sn")
        )
    finally:
        outage_redis.start()
    _close(board)  # the server may have closed it during the outage (the page retries)

    assert [s for s in statuses + kiosk_statuses if s >= 500] == []
    assert all(s == 200 for s in statuses), statuses
    assert set(kiosk_statuses) <= {200, 429} and kiosk_statuses.count(200) >= 2

    # Nothing lost: every ticket answered for is there, numbered without gap or double.
    db.session.expire_all()
    numbers = db.session.scalars(
        select(Ticket.number).where(Ticket.service_id == branch.service_id)
    ).all()
    assert sorted(numbers) == list(range(1, issued + 1))
    assert (
        db.session.scalar(
            select(func.count()).where(
                Ticket.service_id == branch.service_id, Ticket.called_at.is_not(None)
            )
        )
        == 6  # three rounds of a call on each process
    )
    called = db.session.scalars(
        select(Ticket.contact_email).where(
            Ticket.service_id == branch.service_id,
            Ticket.status == TicketStatus.CALLED,
        )
    ).all()
    assert len(called) == 2  # the last round's, one at each counter

    # Every "called" mail, queued while Redis was down, is sent once Redis is back.
    _wait_for(
        lambda: all(
            any(CALLED in str(m["Subject"]) for m in mailbox.messages(to))
            for to in called
        ),
        60,
        "the called mails",
    )

    # The screens follow again: a board that reconnects gets the state, then live calls.
    fresh = Client.connect(f"ws://127.0.0.1:{ports[1]}/ws/board/{branch.board_token}")
    try:
        fresh.receive(timeout=10)
        agent = agents[0]
        counter_id = branch.counter_ids[0]
        for move in ("finish", "call"):
            assert (
                agent.post(
                    f"/agent/counters/{counter_id}/{move}",
                    {},
                    f"/agent/counters/{counter_id}",
                )
                == 200
            )
        db.session.expire_all()
        code = db.session.scalar(
            select(Ticket.code).where(
                Ticket.counter_id == counter_id, Ticket.status == TicketStatus.CALLED
            )
        )
        assert code in _visible_words(_receive_until(fresh, code, 10))
    finally:
        _close(fresh)

    # Exactly once: count when the outbox is empty (every job has run).
    _wait_for(_outbox_empty, 60, "an empty outbox")
    for to in called:
        sent = [m for m in mailbox.messages(to) if CALLED in str(m["Subject"])]
        assert len(sent) == 1, (to, len(sent))
    for message in mailbox.messages():
        to = str(message["To"])
        near = [m for m in mailbox.messages(to) if NEAR in str(m["Subject"])]
        assert len(near) <= 1, (to, len(near))


class SlowMailbox(Mailbox):
    """An SMTP server that makes each message wait at RCPT (before any content is sent),
    so that a worker can be killed while it holds a mail not yet delivered."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay
        self.busy = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, options):
        self.busy.set()
        await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def slow_mailbox():
    box = SlowMailbox(delay=1.5)
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def test_a_worker_killed_mid_mail_loses_nothing_and_sends_once(
    app, app_config, db, outage_redis, processes, slow_mailbox
):
    box, smtp_port = slow_mailbox
    # A short job timeout: the killed job is found abandoned 5 s past it (jobs/worker.py).
    env = production_env(app_config, MAIL_PORT=str(smtp_port), JOB_TIMEOUT="5")
    port = free_port()
    processes("web", env, port)
    people = [f"newcomer{n}@example.sn" for n in range(6)]
    for email in people:
        visitor = Browser(f"http://127.0.0.1:{port}")
        status = visitor.post(
            "/auth/register",
            {
                "email": email,
                "password": PASSWORD,
                "confirm": PASSWORD,
                "full_name": "Awa Diop",
                "locale": "fr",
            },
            "/auth/register",
        )
        assert status == 200

    first = processes("worker", env)
    assert box.busy.wait(30), "the worker never reached the SMTP server"
    stop(first, signal.SIGKILL)  # mid-mail: the server has not received its content
    processes("worker", env)

    _wait_for(lambda: all(box.messages(to) for to in people), 120, "all six mails")
    _wait_for(_outbox_empty, 60, "an empty outbox")  # nothing left to run twice
    assert {to: len(box.messages(to)) for to in people} == {to: 1 for to in people}
