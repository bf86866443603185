"""How fast is the branch finder near a position? (issue 9: p95 under 30 ms)

A platform of `--branches` branches across Senegal (random positions inside each
region's reference box: the box of its own, its departments' and its communes' reference
points, widened by 0.15 degree), each open around the clock with 1-4 walk-in services,
an open counter for each, 0-15 waiting tickets a service and a few served ones (the
recent means), all bulk-inserted with Core. Then `--queries` searches from random
positions (half in the Dakar region, where the branches crowd, half anywhere), each by a
random travel mode, timed two ways:

  query  what the page calls: orgs.queries.find_fastest (the box read on
         ix_branch_position, exact distances, the trips, the batch reads of the lines)
  page   the whole GET /?lat=..&lon=..&mode=.. through the app (parsing, the query,
         the places' select, rendering), as the test client sends it

p50 / p95 / p99 in ms, the statements a search runs, and how many branches it found.

    .venv/bin/python bench/finder_near.py                         # PostgreSQL and SQLite
    .venv/bin/python bench/finder_near.py --backend sqlite --branches 500 --queries 50
"""

import argparse
import logging
import random
import statistics
import time as wallclock
from datetime import datetime, time, timedelta, timezone

import harness  # noqa: F401  (sets up the path and environment first)
from harness import database, machine, make_app, percentile, print_machine
from sqlalchemy import event, insert, select, text

from smartqueue import clock, events
from smartqueue.extensions import db
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
    Priority,
    Queue,
    Region,
    Service,
    Ticket,
    TicketStatus,
    counter_services,
)
from smartqueue.orgs.queries import find_fastest
from smartqueue.travel import Place, TravelMode

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # a Tuesday, 10:00 in Dakar
DAY = NOW.date()
PADDING = 0.15  # degrees around a region's reference points (~16 km)
ORGANIZATIONS = 40
SERVICE_NAMES = ["Dépôt et retrait", "Ouverture de compte", "Crédit", "Cartes"]
CHUNK = 5_000


def region_boxes() -> dict[str, tuple[float, float, float, float]]:
    """(south, north, west, east) of each region's reference points, padded."""
    points: dict[str, list[tuple[float, float]]] = {}
    for region, lat, lon in db.session.execute(
        select(Region.name, Region.latitude, Region.longitude)
    ):
        points.setdefault(region, []).append((lat, lon))
    for region, lat, lon in db.session.execute(
        select(Region.name, Department.latitude, Department.longitude).join(
            Department, Department.region_id == Region.id
        )
    ):
        points[region].append((lat, lon))
    for region, lat, lon in db.session.execute(
        select(Region.name, Commune.latitude, Commune.longitude)
        .join(Department, Department.region_id == Region.id)
        .join(Commune, Commune.department_id == Department.id)
    ):
        points[region].append((lat, lon))
    return {
        region: (
            min(p[0] for p in pts) - PADDING,
            max(p[0] for p in pts) + PADDING,
            min(p[1] for p in pts) - PADDING,
            max(p[1] for p in pts) + PADDING,
        )
        for region, pts in points.items()
    }


def random_point(rng: random.Random, box) -> tuple[float, float]:
    south, north, west, east = box
    return rng.uniform(south, north), rng.uniform(west, east)


def _bulk(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])


def make_platform(branches: int, rng: random.Random, boxes) -> None:
    """The branches, their services, queues, counters, hours and tickets, by Core bulk
    inserts with ids chosen here (the tables are empty)."""
    departments = {
        region: (department_id, region_id)
        for department_id, region_id, region in db.session.execute(
            select(Department.id, Department.region_id, Region.name).join(
                Region, Department.region_id == Region.id
            )
        )
    }
    _bulk(
        Organization.__table__,
        [
            {"id": n, "name": f"Organisation {n}", "type": OrganizationType.BANK}
            for n in range(1, ORGANIZATIONS + 1)
        ],
    )
    regions = sorted(boxes)
    rows = {name: [] for name in ("branch", "hours", "service", "queue", "counter")}
    links, tickets = [], []
    service_id = 0
    for branch_id in range(1, branches + 1):
        region = regions[branch_id % len(regions)]
        lat, lon = random_point(rng, boxes[region])
        department_id, region_id = departments[region]
        rows["branch"].append(
            {
                "id": branch_id,
                "organization_id": branch_id % ORGANIZATIONS + 1,
                "name": f"Agence {branch_id}",
                "address": "Route nationale",
                "region_id": region_id,
                "department_id": department_id,
                "latitude": lat,
                "longitude": lon,
            }
        )
        rows["hours"] += [
            {
                "branch_id": branch_id,
                "weekday": d,
                "opens_at": time(0),
                "closes_at": time(0),
            }
            for d in range(7)
        ]
        for number, name in enumerate(SERVICE_NAMES[: rng.randint(1, 4)], start=1):
            service_id += 1
            rows["service"].append(
                {
                    "id": service_id,
                    "branch_id": branch_id,
                    "name_fr": name,
                    "prefix": "ABCD"[number - 1],
                    "estimated_minutes": rng.choice((5, 10, 15, 20)),
                }
            )
            rows["queue"].append({"service_id": service_id})
            rows["counter"].append(
                {
                    "id": service_id,
                    "branch_id": branch_id,
                    "number": number,
                    "status": CounterStatus.OPEN,
                }
            )
            links.append({"counter_id": service_id, "service_id": service_id})
            tickets += _tickets(rng, branch_id, service_id, rng.randint(0, 15))
    _bulk(Branch.__table__, rows["branch"])
    _bulk(OpeningHours.__table__, rows["hours"])
    _bulk(Service.__table__, rows["service"])
    _bulk(Queue.__table__, rows["queue"])
    _bulk(Counter.__table__, rows["counter"])
    _bulk(counter_services, links)
    _bulk(Ticket.__table__, tickets)
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return service_id, len(tickets)


def _tickets(rng, branch_id: int, service_id: int, waiting: int) -> list[dict]:
    """`waiting` waiting tickets, and 3 served this morning (the line's recent mean)."""
    made = []
    opened = NOW - timedelta(hours=2)
    for n in range(3 + waiting):
        arrived = opened + timedelta(minutes=4 * n)
        served = n < 3
        made.append(
            {
                "token": f"s{service_id}-{n}",
                "branch_id": branch_id,
                "service_id": service_id,
                "day": DAY,
                "number": n + 1,
                "code": f"A{n + 1:03d}",
                "status": TicketStatus.SERVED if served else TicketStatus.WAITING,
                "priority": Priority.NORMAL,
                "channel": Channel.KIOSK,
                "locale": "fr",
                "rank_key": arrived.timestamp(),
                "arrived_at": arrived,
                "created_at": arrived,
                "serving_at": arrived + timedelta(minutes=2) if served else None,
                "finished_at": arrived + timedelta(minutes=2 + rng.randint(3, 15))
                if served
                else None,
                "recall_count": 0,
                "pass_count": 0,
            }
        )
    return made


def searches(
    rng: random.Random, boxes, count: int
) -> list[tuple[float, float, TravelMode]]:
    modes = list(TravelMode)
    regions = sorted(boxes)
    made = []
    for n in range(count):
        region = "Dakar" if n % 2 == 0 else rng.choice(regions)
        lat, lon = random_point(rng, boxes[region])
        made.append((round(lat, 3), round(lon, 3), rng.choice(modes)))
    return made


def summary(name: str, ms: list[float]) -> str:
    return (
        f"  {name:5}  p50 {percentile(ms, 50):6.1f} ms  p95 {percentile(ms, 95):6.1f} ms"
        f"  p99 {percentile(ms, 99):6.1f} ms  max {max(ms):6.1f} ms"
    )


def run(backend: str, args) -> None:
    rng = random.Random(args.seed)
    with database(backend, args.database_url) as url:
        app = make_app(url)
        with app.app_context(), events.tickets_changed.muted():
            print_machine(machine(url))
            boxes = region_boxes()
            started = wallclock.perf_counter()
            services, tickets = make_platform(args.branches, rng, boxes)
            print(
                f"{backend}: {args.branches} branches in {len(boxes)} regions, "
                f"{services} services, {tickets} tickets "
                f"(inserted in {wallclock.perf_counter() - started:.1f} s)"
            )
            clock.freeze(NOW)
            asked = searches(rng, boxes, args.queries)
            statements, per_search = [], []
            counter = lambda *a: statements.append(1)  # noqa: E731
            query_ms, found = [], []
            for lat, lon, mode in asked[:20]:  # warm-up: statement caches, imports
                find_fastest(Place(lat, lon), mode)
            db.session.remove()
            for lat, lon, mode in asked:
                event.listen(db.engine, "before_cursor_execute", counter)
                statements.clear()
                begun = wallclock.perf_counter()
                results = find_fastest(Place(lat, lon), mode)
                query_ms.append((wallclock.perf_counter() - begun) * 1000)
                event.remove(db.engine, "before_cursor_execute", counter)
                per_search.append(len(statements))
                found.append(len(results))
                db.session.remove()  # each search a request's own session
            client = app.test_client()
            logging.disable(logging.INFO)  # a request line each: not what is measured
            page_ms = []
            for lat, lon, mode in asked:
                begun = wallclock.perf_counter()
                response = client.get(f"/?lat={lat}&lon={lon}&mode={mode.value}")
                page_ms.append((wallclock.perf_counter() - begun) * 1000)
                assert response.status_code == 200, response.status_code
            print(
                f"  {args.queries} searches; branches found: median "
                f"{statistics.median(found):.0f}, max {max(found)}, none for "
                f"{sum(1 for f in found if not f)}; statements a search: "
                f"{min(per_search)}-{max(per_search)}"
            )
            print(summary("query", query_ms))
            print(summary("page", page_ms))
            clock.freeze(None)
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), nargs="+")
    parser.add_argument("--branches", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--database-url", help="an existing PostgreSQL server to use")
    args = parser.parse_args()
    print(
        "command: .venv/bin/python bench/finder_near.py "
        + " ".join(
            f"--{k.replace('_', '-')} {v if not isinstance(v, list) else ' '.join(v)}"
            for k, v in vars(args).items()
            if v is not None and k != "database_url"
        )
    )
    for backend in args.backend or ["postgresql", "sqlite"]:
        run(backend, args)


if __name__ == "__main__":
    main()
