"""What does the minute expiry job cost, and what does it hold? (issue 16, item 2)

A platform of `--branches` open branches (one service each, a queue expiry of 4 hours)
holding `--waiting` waiting tickets between them, bulk-inserted as issue_ticket would
leave them, after `--history-days` days of as many served tickets. Two situations, for
the job as it is (queueing/expiry.py) and as it was before (`old_expire_tickets` below):

  open     16:00, every branch open, nothing due: the job runs every minute of the day
           like this. Median and p95 of `--runs` runs (the old job: 3) in ms,
           statements per run, and how many live tickets it held locked at once (its
           FOR UPDATE rows).
  closing  17:05, every branch closed: everything is due (once a day). One run each,
           on a fresh copy of the line: total ms, statements, and the most tickets any
           one transaction held.

It also prints the plan of the "what is due" read at 16:00 (EXPLAIN ANALYZE on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite).

    .venv/bin/python bench/expiry_job.py                        # PostgreSQL, 10 000
    .venv/bin/python bench/expiry_job.py --backend sqlite --waiting 2000
    .venv/bin/python bench/expiry_job.py --jobs new --runs 50     # the new job only
"""

import argparse
import statistics
import time as wallclock
from datetime import date, datetime, time, timedelta, timezone

import harness  # noqa: F401  (sets up the path and environment first)
from harness import database, machine, make_app, percentile, print_machine
from sqlalchemy import delete, event, insert, select, text

from smartqueue import clock, events
from smartqueue.extensions import db
from smartqueue.models import (
    Branch,
    Channel,
    Commune,
    OpeningHours,
    Organization,
    OrganizationType,
    Plan,
    Priority,
    Queue,
    Service,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from smartqueue.queueing import expiry
from smartqueue.queueing.operations.history import record_move
from smartqueue.work import begin_write, unit_of_work

DAY = date(2026, 12, 1)
OPENS = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)  # Dakar is UTC+0
OPEN_NOW = datetime(2026, 12, 1, 16, 0, tzinfo=timezone.utc)
CLOSED_NOW = datetime(2026, 12, 1, 17, 5, tzinfo=timezone.utc)
CHUNK = 5000


@unit_of_work
def old_expire_tickets(branch_id: int | None = None) -> int:
    """The job before issue 16 (commit 6ee1004), verbatim, for comparison only."""
    begin_write(db.session)
    now = clock.now()
    query = select(Ticket).where(
        Ticket.status.in_((TicketStatus.WAITING, TicketStatus.CALLED))
    )
    if branch_id is not None:
        query = query.where(Ticket.branch_id == branch_id)
    expired: dict[int, list[int]] = {}
    for ticket in db.session.scalars(query.with_for_update(skip_locked=True)):
        branch = db.session.get(Branch, ticket.branch_id)
        hours = branch.hours_on(clock.local(now).weekday())
        past_day = ticket.day < clock.today()
        after_closing = hours is None or clock.local(now).time() >= hours.closes_at
        queue = ticket.service.queue
        too_old = bool(queue and queue.expiry_minutes) and (
            (now - ticket.arrived_at).total_seconds() > queue.expiry_minutes * 60
        )
        if past_day or after_closing or too_old:
            record_move(ticket, TicketStatus.EXPIRED, "expire")
            ticket.finished_at = now
            expired.setdefault(ticket.branch_id, []).append(ticket.id)
    db.session.commit()
    for branch, ids in expired.items():
        events.announce_tickets(ids, branch, "expire")
    return sum(len(ids) for ids in expired.values())


JOBS = {"new": expiry.expire_tickets, "old": old_expire_tickets}
OLD_RUNS = 3  # the old job takes seconds a run at 10 000 waiting


def make_platform(branches: int) -> list[tuple[int, int]]:
    """One organization, `branches` branches open 08:00-17:00 every day, a service each."""
    org = Organization(
        name="Banque du banc d'essai", type=OrganizationType.BANK, plan=Plan.ENTERPRISE
    )
    place = db.session.scalar(select(Commune).where(Commune.name == "Plateau"))
    services = []
    for n in range(branches):
        branch = Branch(
            organization=org,
            name=f"Agence {n + 1}",
            address="Avenue Léopold Sédar Senghor",
            commune=place,
            department_id=place.department_id,
            region_id=place.department.region_id,
        )
        for day in range(7):
            branch.opening_hours.append(
                OpeningHours(weekday=day, opens_at=time(8), closes_at=time(17))
            )
        services.append(
            Service(
                branch=branch,
                prefix="A",
                name_fr="Ouverture de compte",
                queue=Queue(expiry_minutes=240),
            )
        )
    db.session.add_all([org, *services])
    db.session.commit()
    return [(s.id, s.branch_id) for s in services]


def fill_history(services: list[tuple[int, int]], days: int, per_day: int) -> None:
    """Served tickets of the `days` days before: the table a platform has after a while
    (the planner chooses by it; nothing in it is due)."""
    rows = []
    for back in range(1, days + 1):
        day = DAY - timedelta(days=back)
        moment = OPENS - timedelta(days=back)
        for i in range(per_day):
            service_id, branch_id = services[i % len(services)]
            number = i // len(services) + 1
            rows.append(
                {
                    "token": f"h{back}-{i}",
                    "branch_id": branch_id,
                    "service_id": service_id,
                    "day": day,
                    "number": number,
                    "code": f"A{number:03d}",
                    "status": TicketStatus.SERVED,
                    "priority": Priority.NORMAL,
                    "channel": Channel.KIOSK,
                    "locale": "fr",
                    "rank_key": moment.timestamp(),
                    "arrived_at": moment,
                    "created_at": moment,
                    "finished_at": moment,
                    "recall_count": 0,
                    "pass_count": 0,
                }
            )
            if len(rows) == CHUNK:
                db.session.execute(insert(Ticket), rows)
                rows = []
    if rows:
        db.session.execute(insert(Ticket), rows)
    db.session.commit()


def fill(services: list[tuple[int, int]], waiting: int) -> None:
    """`waiting` waiting tickets spread over the (service, branch) ids, arrived 12:00-16:00 (within
    their queue's 4 hours at 16:00)."""
    db.session.execute(delete(TicketEvent))
    db.session.execute(delete(Ticket).where(Ticket.day == DAY))
    arrived_from = OPENS + timedelta(hours=4)
    rows = []
    for i in range(waiting):
        service_id, branch_id = services[i % len(services)]
        number = i // len(services) + 1
        arrived = arrived_from + timedelta(seconds=4 * 3600 * i / waiting)
        rows.append(
            {
                "token": f"b{i}",
                "branch_id": branch_id,
                "service_id": service_id,
                "day": DAY,
                "number": number,
                "code": f"A{number:03d}",
                "status": TicketStatus.WAITING,
                "priority": Priority.NORMAL,
                "channel": Channel.KIOSK,
                "locale": "fr",
                "rank_key": arrived.timestamp(),
                "arrived_at": arrived,
                "created_at": arrived,
                "recall_count": 0,
                "pass_count": 0,
            }
        )
        if len(rows) == CHUNK:
            db.session.execute(insert(Ticket), rows)
            rows = []
    if rows:
        db.session.execute(insert(Ticket), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


class Watch:
    """Statements run, and the most live tickets one transaction held (FOR UPDATE rows:
    SKIP LOCKED reads on PostgreSQL; on SQLite the whole write lock is held anyway)."""

    def __init__(self):
        self.statements = 0
        self.most_held = 0
        self._held = 0

    def before(self, conn, cursor, statement, parameters, context, executemany):
        self.statements += 1

    def after(self, conn, cursor, statement, parameters, context, executemany):
        if "FOR UPDATE" in statement:
            self._held += max(cursor.rowcount, 0)
            self.most_held = max(self.most_held, self._held)

    def commit(self, conn):
        self._held = 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self.before)
        event.listen(db.engine, "after_cursor_execute", self.after)
        event.listen(db.engine, "commit", self.commit)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self.before)
        event.remove(db.engine, "after_cursor_execute", self.after)
        event.remove(db.engine, "commit", self.commit)


def timed(job) -> tuple[float, int, Watch]:
    db.session.expire_all()
    with Watch() as watch:
        started = wallclock.perf_counter()
        expired = job()
        elapsed = (wallclock.perf_counter() - started) * 1000
    db.session.remove()
    return elapsed, expired, watch


def explain_due() -> str:
    """The plan of the "what is due" read at 16:00, run through the job's own binding."""
    explain = (
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) "
        if db.engine.dialect.name == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )

    def prefix(conn, cursor, statement, parameters, context, executemany):
        return explain + statement, parameters

    event.listen(db.engine, "before_cursor_execute", prefix, retval=True)
    try:
        local = clock.local(OPEN_NOW)
        rows = db.session.execute(
            expiry._due(False),
            {
                "today": local.date(),
                "weekday": local.weekday(),
                "local_time": local.time(),
                "now": OPEN_NOW,
            },
        ).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", prefix)
    db.session.rollback()
    return "\n".join("    " + " | ".join(str(c) for c in row) for row in rows)


def run(backend: str, args) -> None:
    with database(backend, args.database_url) as url:
        app = make_app(url)
        with app.app_context(), events.tickets_changed.muted():
            print_machine(machine(url))
            services = make_platform(args.branches)
            fill_history(services, args.history_days, args.waiting)
            fill(services, args.waiting)
            print(
                f"{backend}: {args.waiting} waiting tickets over {args.branches} open "
                f"branches, and {args.history_days} past days of as many served"
            )
            clock.freeze(OPEN_NOW)
            jobs = {name: JOBS[name] for name in args.jobs}
            for name, job in jobs.items():
                timed(job)  # warm-up
                runs = args.runs if name == "new" else min(args.runs, OLD_RUNS)
                results = [timed(job) for _ in range(runs)]
                ms = [r[0] for r in results]
                assert all(r[1] == 0 for r in results), "nothing is due at 16:00"
                watch = results[-1][2]
                print(
                    f"  open     {name}: median {statistics.median(ms):8.1f} ms, "
                    f"p95 {percentile(ms, 95):8.1f} ms, {watch.statements} statements,"
                    f" {watch.most_held} live tickets held"
                )
            print("  plan of the due read (open, 16:00):")
            print(explain_due())
            clock.freeze(CLOSED_NOW)
            for name, job in jobs.items():
                fill(services, args.waiting)
                elapsed, expired, watch = timed(job)
                print(
                    f"  closing  {name}: {elapsed:8.1f} ms for {expired} expired, "
                    f"{watch.statements} statements, at most {watch.most_held} "
                    "tickets held by one transaction"
                )
            clock.freeze(None)
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), nargs="+")
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--history-days", type=int, default=10)
    parser.add_argument("--jobs", choices=tuple(JOBS), nargs="+", default=tuple(JOBS))
    parser.add_argument("--database-url", help="an existing PostgreSQL server to use")
    args = parser.parse_args()
    for backend in args.backend or ["postgresql"]:
        run(backend, args)


if __name__ == "__main__":
    main()
