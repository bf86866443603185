"""Periodic jobs: RQ's cron scheduler with Redis, a thread in the embedded process."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from smartqueue.models import Channel, Ticket, TicketStatus
from smartqueue.queueing import operations as ops
from tests.conftest import at

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def open_ticket(db, frozen, make_branch, make_service):
    """A ticket taken on Tuesday at 10:00, the clock then moved past closing time (17:00)."""
    service = make_service(make_branch(), "A")
    ticket = ops.issue_ticket(service, channel=Channel.KIOSK)
    frozen.set(at(1, 17, 30))
    return ticket


def _status(db, ticket):
    db.session.expire_all()
    status = db.session.get(Ticket, ticket.id).status
    db.session.rollback()
    return status


def test_embedded_thread_expires_tickets_after_closing(app, db, open_ticket):
    from smartqueue.jobs.schedule import start_embedded

    stop = threading.Event()
    thread = start_embedded(app, stop)  # runs every job at once, then on its interval
    try:
        deadline = time.monotonic() + 10
        while (
            time.monotonic() < deadline
            and _status(db, open_ticket) is TicketStatus.WAITING
        ):
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)
    assert _status(db, open_ticket) is TicketStatus.EXPIRED


@pytest.mark.backends("postgresql")
def test_flask_cron_enqueues_the_expiry_job_for_the_workers(
    app_config, redis_url, backend
):
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    env = dict(
        os.environ,
        FLASK_APP="wsgi.py",
        REDIS_URL=redis_url,
        DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=app_config["SECRET_KEY"],
    )
    cron = subprocess.Popen(
        [sys.executable, "-m", "flask", "cron"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        queue = Queue("default", connection=connection)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not queue.job_ids:
            time.sleep(0.1)
        jobs = queue.get_jobs()
        assert (
            jobs and jobs[0].func_name == "smartqueue.jobs.schedule.expire_due_tickets"
        )
    finally:
        cron.terminate()
        cron.wait(10)
