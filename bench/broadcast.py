"""How long does a manager's urgent message take to reach 5 000 waiting holders? (issue 10)

A branch with `--waiting` waiting tickets, each holder with a phone number (bulk-inserted
with Core). Its manager posts an urgent message through the real manage page (Flask's
test client, signed in). Three figures:

  request  the manage request's own time: it writes the message and one job, and answers
  queued   from the request until every holder's SMS is written (the fan-out job)
  sent     from the request until every SMS is sent through the embedded SMS adapter
           (FileSmsGateway: printed and saved under a folder, as `make run` does)

Modes:
  production  PostgreSQL, a private Redis, `--workers` `flask worker` processes
  embedded    SQLite, no Redis: the fan-out runs in a thread of the web process, and
              its send jobs in that thread, one after the other

    .venv/bin/python bench/broadcast.py                       # production, 2 workers
    .venv/bin/python bench/broadcast.py --mode embedded
"""

import argparse
import contextlib
import logging
import os
import tempfile
import time as wallclock
from datetime import datetime, timedelta
from pathlib import Path

import harness  # noqa: F401  (sets up the path and environment first)
from harness import database, machine, make_app, print_machine
from sqlalchemy import func, insert, select

from smartqueue import clock
from smartqueue.accounts.secrets import hash_password
from smartqueue.extensions import db
from smartqueue.jobs.outbox import join_apart
from smartqueue.models import (
    Channel,
    Membership,
    Notification,
    NotificationStatus,
    Priority,
    Role,
    Strategy,
    Ticket,
    TicketStatus,
    User,
)

CHUNK = 5000
PASSWORD = "bench-pass-123"


def fill(desk, waiting: int) -> None:
    """`waiting` tickets waiting at the desk's one service, each with its own number."""
    service = desk.services[0]
    now = clock.now()
    rows = [
        {
            "token": f"bench{i}",
            "branch_id": desk.branch.id,
            "service_id": service.id,
            "day": clock.today(),
            "number": i + 1,
            "code": f"A{i + 1:03d}",
            "status": TicketStatus.WAITING,
            "priority": Priority.NORMAL,
            "channel": Channel.SMS,
            "contact_phone": f"+22177{i:07d}",
            "locale": "fr" if i % 3 else "wo",
            "rank_key": float(i),
            "arrived_at": now - timedelta(seconds=waiting - i),
            "created_at": now - timedelta(seconds=waiting - i),
            "recall_count": 0,
            "pass_count": 0,
        }
        for i in range(waiting)
    ]
    for first in range(0, len(rows), CHUNK):
        db.session.execute(insert(Ticket), rows[first : first + CHUNK])
    db.session.commit()


def make_manager(desk) -> User:
    manager = User(
        email="manager@bench.sn",
        password_hash=hash_password(PASSWORD),
        email_verified_at=clock.now(),
        locale="fr",
    )
    db.session.add(manager)
    db.session.flush()
    db.session.add(
        Membership(
            user_id=manager.id,
            organization_id=desk.branch.organization_id,
            branch_id=desk.branch.id,
            role=Role.BRANCH_MANAGER,
        )
    )
    db.session.commit()
    return manager


def counts() -> tuple[int, int]:
    """(SMS written, SMS sent) of the urgent messages."""
    written, sent = db.session.execute(
        select(
            func.count(),
            func.count().filter(Notification.status == NotificationStatus.SENT),
        ).where(Notification.broadcast_id.is_not(None))
    ).one()
    db.session.commit()
    return written, sent


def run(args) -> None:
    from tests.processes import run_flask, stop
    from tests.services import RedisServer

    backend = "postgresql" if args.mode == "production" else "sqlite"
    redis = RedisServer() if args.mode == "production" else None
    sms_dir = tempfile.mkdtemp(prefix="sq-bench-sms-")
    workers = []
    with database(backend, args.database_url) as url:
        app = make_app(url)
        app.config.update(
            WTF_CSRF_ENABLED=False,
            SMS_PROVIDER="file",
            SMS_ENABLED=True,
            SMS_DIR=sms_dir,
            SMS_PER_NUMBER_PER_HOUR=0,
            PASSWORD_HASH_PROFILE="CHEAPEST",
        )
        if redis is not None:
            app.config["REDIS_URL"] = redis.start()
        logging.disable(logging.WARNING)
        try:
            with app.app_context():
                desk = harness.make_desk(
                    [("A", "Dépôts", 5, Strategy.FIFO)],
                    [[0]],
                    opens=datetime.min.time(),
                    closes=datetime.max.time().replace(microsecond=0),
                )
                fill(desk, args.waiting)
                manager_email = make_manager(desk).email
                branch_id = desk.branch.id
                info = machine(url)
            if redis is not None:
                env = dict(
                    os.environ,
                    FLASK_APP="wsgi.py",
                    DATABASE_URL=url,
                    REDIS_URL=app.config["REDIS_URL"],
                    SMS_PROVIDER="file",
                    SMS_PER_NUMBER_PER_HOUR="0",
                    SECRET_KEY=app.config["SECRET_KEY"],
                )
                env["SMARTQUEUE_INSTANCE"] = sms_dir  # its sms/ folder is the adapter's
                log = Path(sms_dir) / "workers.log"
                workers = [
                    run_flask(env, "worker", log=log) for _ in range(args.workers)
                ]
                wallclock.sleep(3)  # started and listening
            client = app.test_client()
            login = client.post(
                "/auth/login", data={"email": manager_email, "password": PASSWORD}
            )
            assert login.status_code in (302, 303), login.status_code
            print(
                f"\n{args.mode} ({backend}"
                + (f", {args.workers} workers" if workers else "")
                + f"): an urgent message to {args.waiting} waiting holders by SMS"
            )
            print_machine(info)
            quiet = open(os.devnull, "w")  # the embedded adapter prints every SMS
            redirect = contextlib.redirect_stdout(quiet)
            redirect.__enter__()
            started = wallclock.perf_counter()
            response = client.post(
                f"/manage/branches/{branch_id}/messages",
                data={"text": "Coupure de courant : les guichets reprennent à 14 h."},
            )
            request = wallclock.perf_counter() - started
            assert response.status_code in (200, 302, 303), response.status_code
            queued = sent = None
            with app.app_context():
                while wallclock.perf_counter() - started < args.timeout:
                    written, done = counts()
                    now = wallclock.perf_counter() - started
                    if queued is None and written >= args.waiting:
                        queued = now
                    if done >= args.waiting:
                        sent = now
                        break
                    wallclock.sleep(0.1)
                join_apart(args.timeout)
                written, done = counts()
            redirect.__exit__(None, None, None)
            files = len(list(Path(sms_dir).rglob("*.txt"))) or len(
                [p for p in Path(sms_dir).rglob("*") if p.is_file()]
            )
            print(f"  request: {request * 1000:.0f} ms (the manage page's POST)")
            print(f"  queued:  {queued:.1f} s (every holder's SMS written)")
            if sent is None:
                print(f"  sent:    not all after {args.timeout} s ({done}/{written})")
            else:
                print(
                    f"  sent:    {sent:.1f} s ({args.waiting / sent:.0f} SMS/s through the "
                    f"embedded adapter; {files} files written)"
                )
        finally:
            logging.disable(logging.NOTSET)
            for process in workers:
                stop(process)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            if redis is not None:
                redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("production", "embedded"), nargs="+")
    parser.add_argument("--waiting", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--database-url", help="an existing PostgreSQL server to use")
    args = parser.parse_args()
    for mode in args.mode or ["production"]:
        run(argparse.Namespace(**{**vars(args), "mode": mode}))


if __name__ == "__main__":
    clock.freeze(None)
    main()
