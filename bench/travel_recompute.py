"""What does the periodic recomputation of travel times cost? (issue 9)

Every 5 minutes `jobs.travel.recompute_trips` recomputes the trip and the advice of every
waiting ticket that has an origin (the traffic factor changes by the hour, the line
moves) and tells those now due. This script builds a platform of `--branches` branches
in Dakar's communes (open around the clock, one service, one open counter each) holding
`--waiting` waiting tickets between them, every one with an origin (a position around
Dakar, a random travel mode), all bulk-inserted with Core, then times the job's ticket
part (`recompute_waiting_trips`), the embedded estimator (no OSRM_URL), with a private
Redis so that the mails of the holders told go to RQ as in production:

  first   the first round: every trip computed, and every holder already due told
          (a compare-and-set and its mail job written to the outbox)
  again   `--runs` more rounds, nothing new to tell: the steady cost every 5 minutes

For each: wall time, this process's CPU time, statements (counted on the engine), and
both per ticket.

    .venv/bin/python bench/travel_recompute.py                          # PostgreSQL
    .venv/bin/python bench/travel_recompute.py --backend sqlite --waiting 2000
"""

import argparse
import logging
import random
import statistics
import time as wallclock
from datetime import date, datetime, time, timedelta, timezone

import harness  # noqa: F401  (sets up the path and environment first)
from harness import database, machine, make_app, print_machine
from sqlalchemy import event, insert, select, text

from smartqueue import clock
from smartqueue.extensions import db
from smartqueue.jobs import travel as travel_jobs
from smartqueue.models import (
    Branch,
    Channel,
    Commune,
    Counter,
    CounterStatus,
    Department,
    OpeningHours,
    Organization,
    OrganizationType,
    Plan,
    Priority,
    Queue,
    Region,
    Service,
    Ticket,
    TicketStatus,
    TravelPlan,
)
from smartqueue.travel import TravelMode

DAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # a Tuesday; Dakar is UTC+0
CHUNK = 5000
# Where the customers come from: around Dakar, Pikine and Rufisque.
AROUND = ((14.66, 14.80), (-17.50, -17.20))


def make_platform(branches: int) -> list[tuple[int, int]]:
    """One organization, `branches` branches at Dakar's communes, a service and an open
    counter each: (service id, branch id)."""
    org = Organization(
        name="Banque du banc d'essai", type=OrganizationType.BANK, plan=Plan.ENTERPRISE
    )
    communes = db.session.scalars(
        select(Commune)
        .join(Department, Commune.department_id == Department.id)
        .join(Region, Department.region_id == Region.id)
        .where(Region.name == "Dakar")
        .order_by(Commune.id)
    ).all()
    services = []
    for n in range(branches):
        place = communes[n % len(communes)]
        branch = Branch(
            organization=org,
            name=f"Agence {n + 1}",
            address="Avenue Cheikh Anta Diop",
            commune=place,
            department_id=place.department_id,
            region_id=place.department.region_id,
            latitude=place.latitude,
            longitude=place.longitude,
        )
        for day in range(7):
            branch.opening_hours.append(
                OpeningHours(weekday=day, opens_at=time(0), closes_at=time(23, 59))
            )
        service = Service(
            branch=branch, prefix="A", name_fr="Ouverture de compte", queue=Queue()
        )
        counter = Counter(branch=branch, number=1, status=CounterStatus.OPEN)
        counter.services.append(service)
        services.append(service)
        db.session.add(counter)
    db.session.add_all([org, *services])
    db.session.commit()
    return [(s.id, s.branch_id) for s in services]


def fill(services: list[tuple[int, int]], waiting: int, seed: int) -> None:
    """`waiting` waiting tickets spread over the services, each with an origin."""
    rng = random.Random(seed)
    communes = db.session.scalars(select(Commune.id)).all()
    modes = [m.value for m in TravelMode]
    tickets, plans = [], []
    start = NOW - timedelta(hours=2)
    for i in range(waiting):
        service_id, branch_id = services[i % len(services)]
        number = i // len(services) + 1
        arrived = start + timedelta(seconds=7200 * i / waiting)
        tickets.append(
            {
                "id": i + 1,
                "token": f"t{i}",
                "branch_id": branch_id,
                "service_id": service_id,
                "day": DAY,
                "number": number,
                "code": f"A{number:03d}",
                "status": TicketStatus.WAITING,
                "priority": Priority.NORMAL,
                "channel": Channel.WEB,
                "contact_email": f"client{i}@example.sn" if i % 3 == 0 else None,
                "locale": "fr",
                "rank_key": arrived.timestamp(),
                "arrived_at": arrived,
                "created_at": arrived,
                "recall_count": 0,
                "pass_count": 0,
            }
        )
        plans.append(
            {
                "ticket_id": i + 1,
                "latitude": round(rng.uniform(*AROUND[0]), 3),
                "longitude": round(rng.uniform(*AROUND[1]), 3),
                "commune_id": rng.choice(communes),
                "mode": rng.choice(modes),
                "origin_set_at": arrived,
            }
        )
    for rows, model in ((tickets, Ticket), (plans, TravelPlan)):
        for first in range(0, len(rows), CHUNK):
            db.session.execute(insert(model), rows[first : first + CHUNK])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval('ticket_id_seq', :n)"), {"n": waiting})
        db.session.execute(text("ANALYZE"))
    db.session.commit()


class Statements:
    def __init__(self):
        self.count = 0

    def before(self, *args):
        self.count += 1

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self.before)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self.before)


def one_round() -> tuple[float, float, int, int]:
    """(wall ms, CPU ms, statements, tickets) of one recomputation."""
    with Statements() as statements:
        cpu, wall = wallclock.process_time(), wallclock.perf_counter()
        done = travel_jobs.recompute_waiting_trips()
        wall, cpu = wallclock.perf_counter() - wall, wallclock.process_time() - cpu
    db.session.remove()
    return wall * 1000, cpu * 1000, statements.count, done


def report(label: str, rounds, waiting: int) -> None:
    wall = statistics.median(r[0] for r in rounds)
    cpu = statistics.median(r[1] for r in rounds)
    statements = statistics.median(r[2] for r in rounds)
    done = rounds[0][3]
    print(
        f"  {label:6} ({len(rounds)} run{'s' if len(rounds) > 1 else ''}, median): "
        f"{wall:.0f} ms wall, {cpu:.0f} ms CPU, {statements:.0f} statements for "
        f"{done} tickets = {wall * 1000 / waiting:.0f} µs wall, "
        f"{cpu * 1000 / waiting:.0f} µs CPU and {statements / waiting:.4f} statements "
        "a ticket"
    )


def run(backend: str, args) -> None:
    from tests.services import RedisServer

    redis = RedisServer()
    with database(backend, args.database_url) as url:
        app = make_app(url)
        # As in production: the mails of the holders told go to RQ (no worker here),
        # not sent in this process as the embedded mode would.
        app.config["REDIS_URL"] = redis.start()
        with app.app_context():
            clock.freeze(NOW)
            try:
                services = make_platform(args.branches)
                fill(services, args.waiting, args.seed)
                info = machine(url)
                print(f"\n{backend}: {args.waiting} waiting tickets with an origin, "
                      f"{args.branches} branches")  # fmt: skip
                print_machine(info)
                logging.disable(logging.WARNING)  # one info line a tell otherwise
                first = [one_round()]
                again = [one_round() for _ in range(args.runs)]
                logging.disable(logging.NOTSET)
                told = db.session.scalar(
                    select(text("count(*)"))
                    .select_from(TravelPlan)
                    .where(TravelPlan.told_at.is_not(None))
                )
                report("first", first, args.waiting)
                report("again", again, args.waiting)
                print(f"  told 'leave now' in the first round: {told}")
            finally:
                clock.freeze(None)
                db.session.remove()
                db.engine.dispose()
                redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), nargs="+")
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="an existing PostgreSQL server to use")
    args = parser.parse_args()
    for backend in args.backend or ["postgresql"]:
        run(backend, args)


if __name__ == "__main__":
    main()
