"""Jobs through faults: Redis stopped and restarted by the test, a worker SIGKILLed mid-send.

Each test runs on PostgreSQL with a private Redis of its own (the run's shared one is never
stopped) and real `flask worker` processes."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import func, select, text, update

from smartqueue.accounts import operations as accounts
from smartqueue.jobs import HEARTBEAT_KEY, drain_outbox, enqueue, mail
from smartqueue.models import Channel, CounterStatus, OutboxJob, Ticket
from smartqueue.models.outbox import real_now
from smartqueue.queueing import operations as queueing
from tests.mailbox import Mailbox
from tests.processes import wait_for
from tests.services import RedisServer, free_port, run_worker

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.backends("postgresql")


@pytest.fixture
def app_config(app_config, private_redis):
    """Production mode on the private Redis; jobs time out after 3 s (so a killed
    worker's job is found abandoned within seconds)."""
    return dict(app_config, REDIS_URL=private_redis.url, JOB_TIMEOUT=3)


def _stop(server: RedisServer) -> None:
    server.stop()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=0.2).close()
        except OSError:
            return
        time.sleep(0.05)
    raise AssertionError("Redis did not stop")


def _start_again(server: RedisServer) -> None:
    """The same server, on the same port, empty (as a Redis without persistence comes back)."""
    server.dir = tempfile.mkdtemp(prefix="sq-redis-")
    server.pidfile = os.path.join(server.dir, "redis.pid")
    server.start()


def _outbox(db) -> list[OutboxJob]:
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxJob).order_by(OutboxJob.id)).all()
    db.session.commit()
    return rows


class Workers:
    """`flask worker` processes (not burst), each in its own process group so that a
    SIGKILL takes its scheduler child down with it, as when its container dies."""

    def __init__(self, app_config, smtp_port, folder):
        self.env = dict(
            os.environ,
            FLASK_APP="wsgi.py",
            DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=app_config["REDIS_URL"],
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(smtp_port),
            SECRET_KEY=app_config["SECRET_KEY"],
        )
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.folder / f"worker-{len(self.started)}.log", "w")
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started.append(process)
        return process

    def log(self, index: int = -1) -> str:
        return (self.folder / f"worker-{index % len(self.started)}.log").read_text()

    def kill(self, process, sig=signal.SIGKILL) -> None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(20)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                self.kill(process, signal.SIGTERM)


@pytest.fixture
def workers(app_config, mailbox, tmp_path):
    pool = Workers(app_config, mailbox.port, tmp_path)
    yield pool
    pool.stop_all()


# --- the outbox contract ---------------------------------------------------------------------


@pytest.mark.backends("sqlite", "postgresql")
def test_a_rolled_back_unit_of_work_leaves_no_outbox_row_and_no_job(
    app, backend, db, private_redis, make_user
):
    user = make_user(verified=False)
    db.session.execute(text("SELECT 1"))  # a unit of work in progress
    enqueue(mail.send_verification_code, user.id, "123456")
    db.session.rollback()
    assert _outbox(db) == []
    assert Queue("default", connection=Redis.from_url(private_redis.url)).count == 0


@pytest.mark.backends("sqlite", "postgresql")
def test_enqueue_writes_one_pending_row_per_key(app, backend, db, private_redis):
    _stop(private_redis)  # nothing leaves the outbox: the rows stay to be seen
    db.session.execute(text("SELECT 1"))
    first = enqueue(mail.send_invitation, 1, "https://x/1", key="invite:1")
    again = enqueue(mail.send_invitation, 1, "https://x/1", key="invite:1")
    db.session.commit()
    assert first is not None and again is None
    rows = _outbox(db)
    assert [(r.func, r.args, r.key) for r in rows] == [
        ("smartqueue.jobs.mail.send_invitation", [1, "https://x/1"], "invite:1")
    ]


def test_a_committed_job_is_pushed_with_its_timeout_retries_and_row_id(
    app, backend, db, private_redis, make_user
):
    user = make_user(verified=False)
    db.session.execute(text("SELECT 1"))
    row_id = enqueue(mail.send_verification_code, user.id, "123456")
    connection = Redis.from_url(private_redis.url)
    assert not Job.exists(f"sq-outbox-{row_id}", connection=connection)
    db.session.commit()
    job = Job.fetch(f"sq-outbox-{row_id}", connection=connection)
    assert job.func_name == "smartqueue.jobs.outbox.run_outbox_job"
    assert list(job.args) == [row_id]
    assert job.timeout == 3  # JOB_TIMEOUT
    assert job.retries_left == 4 and job.retry_intervals == [0, 10, 60, 300]


# --- Redis down ----------------------------------------------------------------------------


def test_call_next_while_redis_is_down_answers_normally_and_mails_once_redis_is_back(
    app,
    app_config,
    backend,
    db,
    client,
    auth,
    frozen,
    mailbox,
    private_redis,
    make_branch,
    make_service,
    make_counter,
    make_user,
):
    branch = make_branch()
    service = make_service(branch, "A")
    counter = make_counter(branch, 1, [service])
    counter.status = CounterStatus.OPEN
    agent = make_user(role="agent", branch=branch)
    db.session.commit()
    ticket = queueing.issue_ticket(
        service, channel=Channel.WEB, contact_email="awa@example.sn"
    )
    auth.login(agent)
    _stop(private_redis)

    response = client.post(f"/agent/counters/{counter.id}/call")

    assert response.status_code == 303  # the call was made, and the agent is told so
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).counter_id == counter.id
    rows = _outbox(db)
    assert [(r.func, r.args) for r in rows] == [
        ("smartqueue.jobs.notices.notify_ticket", [ticket.id, "ticket_called"])
    ]
    assert mailbox.messages("awa@example.sn") == []

    _start_again(private_redis)
    assert drain_outbox(grace=timedelta(0)) == 1
    assert drain_outbox(grace=timedelta(0)) == 0  # looked at: not pushed twice
    result = run_worker(app_config, mailbox.port)

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    [sent] = mailbox.messages("awa@example.sn")
    assert "C'est votre tour" in str(sent["Subject"])
    assert _outbox(db) == []
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).called_notified_at is not None


def test_a_worker_drains_what_was_committed_while_redis_was_down(
    app, app_config, backend, db, mailbox, private_redis
):
    _stop(private_redis)
    user = accounts.register_user("awa@example.sn", "s3cret-pass")  # answers: no error
    assert len(_outbox(db)) == 1
    _start_again(private_redis)
    # The row is older than the drain's grace by then in production; here, age it.
    db.session.execute(
        update(OutboxJob).values(created_at=real_now() - timedelta(minutes=1))
    )
    db.session.commit()

    result = run_worker(app_config, mailbox.port)  # drains, then runs the job

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    accounts.verify_email(user, mailbox.last_code("awa@example.sn"))
    assert user.is_verified and _outbox(db) == []


# --- a worker killed mid-job ---------------------------------------------------------------


class SlowMailbox(Mailbox):
    """An SMTP server that holds each client at RCPT (before DATA) until released."""

    def __init__(self):
        super().__init__()
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.holding.set()
        deadline = time.monotonic() + 30
        while not self.release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def slow_smtp():
    box = SlowMailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    box.release.set()
    controller.stop()


def test_a_mail_whose_worker_is_killed_mid_send_arrives_once_by_another_worker(
    app, app_config, backend, db, private_redis, slow_smtp, tmp_path
):
    workers = Workers(app_config, slow_smtp.port, tmp_path)
    try:
        first = workers.start()
        accounts.register_user("awa@example.sn", "s3cret-pass")
        assert slow_smtp.holding.wait(30), workers.log()
        workers.kill(first)  # SIGKILL while the mail server holds the send
        slow_smtp.release.set()
        workers.start()

        [message] = slow_smtp.wait_for("awa@example.sn", timeout=60)

        connection = Redis.from_url(private_redis.url)
        queue = Queue("default", connection=connection)

        def settled():  # nothing left that could send it again
            return (
                _outbox(db) == []
                and queue.count == 0
                and StartedJobRegistry(queue=queue).count == 0
                and ScheduledJobRegistry(queue=queue).count == 0
            )

        wait_for(settled, "the job to settle", timeout=30)
        assert len(slow_smtp.messages("awa@example.sn")) == 1
        assert "Votre code SmartQueue" in str(message["Subject"])
    finally:
        workers.stop_all()


# --- a worker through a Redis restart ------------------------------------------------------


def test_a_worker_and_its_scheduler_outlive_a_redis_restart(
    app, app_config, backend, db, mailbox, private_redis, workers, make_user
):
    connection = Redis.from_url(private_redis.url)
    workers.start()
    wait_for(lambda: connection.get(HEARTBEAT_KEY), "the worker to start", timeout=30)

    seen = len(workers.log())
    _stop(private_redis)
    wait_for(
        lambda: "Redis" in workers.log()[seen:], "the worker to notice", timeout=30
    )
    _start_again(private_redis)

    now = accounts.register_user("awa@example.sn", "s3cret-pass")  # pushed at once
    later = make_user(email="moussa@example.sn", verified=False)
    Queue("default", connection=connection).enqueue_in(
        timedelta(seconds=1), mail.send_verification_code, later.id, "424242"
    )

    mailbox.wait_for("awa@example.sn", timeout=60)
    accounts.verify_email(now, mailbox.last_code("awa@example.sn"))
    [scheduled] = mailbox.wait_for("moussa@example.sn", timeout=60)
    assert "424242" in str(scheduled["Subject"])
    assert now.is_verified
    assert (
        workers.started[0].poll() is None
    )  # the same process, never restarted by hand


def test_healthz_reports_the_outbox_backlog(app, backend, client, db, private_redis):
    _stop(private_redis)
    db.session.execute(text("SELECT 1"))
    enqueue(mail.send_invitation, 1, "https://x/1")
    db.session.commit()

    report = client.get("/healthz").get_json()

    assert report["outbox"]["pending"] == 1 and report["outbox"]["failed"] == 0
    assert report["outbox"]["oldest_seconds"] >= 0
    assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == 1


def test_jobs_that_gave_up_run_again_after_retry_failed_jobs(
    app, app_config, backend, db, mailbox, private_redis
):
    user = accounts.register_user("awa@example.sn", "s3cret-pass")
    # Its last try failed (SMTP refused it, say): the row is kept as given up.
    db.session.execute(
        update(OutboxJob).values(
            failed_at=real_now(), created_at=real_now() - timedelta(minutes=1)
        )
    )
    db.session.commit()
    assert run_worker(app_config, mailbox.port).returncode == 0
    assert mailbox.messages("awa@example.sn") == []  # a given-up row does not run

    result = app.test_cli_runner().invoke(args=["retry-failed-jobs"])

    assert "jobs given new tries: 1" in result.output
    db.session.execute(  # past the drain's grace, as a real operator's would be
        update(OutboxJob).values(created_at=real_now() - timedelta(minutes=1))
    )
    db.session.commit()
    assert run_worker(app_config, mailbox.port).returncode == 0
    accounts.verify_email(user, mailbox.last_code("awa@example.sn"))
    assert _outbox(db) == []
