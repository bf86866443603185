"""Does the ticket-level export stream with flat memory? (issue 12)

One branch (the harness's desk) gets `--sizes` served tickets spread over November
2026 (Core bulk inserts, added size after size); after each size, its organization admin
asks the app for the month's ticket CSV,

    GET /manage/organizations/<id>/analytics/tickets.csv?period=month&start=2026-11-01

through Werkzeug's test client, unbuffered, in this process, reading the stream chunk by
chunk as a browser would. Figures per size: lines and megabytes received, wall time, this
process's resident memory before the request (VmRSS) and its peak during it (VmHWM,
reset just before through /proc/self/clear_refs), and the growth. `--gathered` also
shows, for contrast, the peak of holding the same rows in a list.

    .venv/bin/python bench/export_memory.py                  # 10 000 then 100 000, PostgreSQL
    .venv/bin/python bench/export_memory.py --backend sqlite --sizes 2000 20000
"""

import argparse
import logging
import secrets
import time as wallclock
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import harness  # noqa: F401  (sets up the path and environment first)
from harness import database, machine, make_desk, print_machine
from sqlalchemy import insert

from smartqueue import clock, create_app
from smartqueue.accounts.secrets import hash_password
from smartqueue.analytics import queries
from smartqueue.analytics.report import Scope
from smartqueue.extensions import db
from smartqueue.models import (
    Channel,
    Membership,
    Priority,
    Role,
    Strategy,
    Ticket,
    TicketStatus,
    User,
)

NOVEMBER = date(2026, 11, 1)
DAYS = 30
CHUNK = 5000
PASSWORD = "bench-password-42"
ADMIN_EMAIL = "admin@bench.sn"
URL = "/manage/organizations/{org}/analytics/tickets.csv?period=month&start=2026-11-01"


def _kib(field: str) -> int:
    """A VmRSS / VmHWM line of /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    # "5" resets the peak resident set size (VmHWM) to the current one (Linux >= 4.0).
    Path("/proc/self/clear_refs").write_text("5")


def make_app(url: str):
    """The harness's app, with forms accepted without their CSRF token (one sign-in)."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "MAIL_SERVER": None,
            "EMBEDDED_SCHEDULER": False,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )


def fill(ids: dict, start: int, count: int) -> None:
    """`count` served tickets, numbered from `start`, spread over November's days."""
    rows = []
    for n in range(start, start + count):
        day = NOVEMBER + timedelta(days=n % DAYS)
        number = n // DAYS + 1
        arrived = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(
            hours=8, seconds=(number * 37) % 30000
        )
        called = arrived + timedelta(minutes=3 + n % 40)
        serving = called + timedelta(seconds=40)
        rows.append(
            {
                "token": secrets.token_hex(8) + f"{n:x}",
                "branch_id": ids["branch"],
                "service_id": ids["service"],
                "day": day,
                "number": number,
                "code": f"A{number % 1000:03d}",
                "status": TicketStatus.SERVED,
                "priority": Priority.NORMAL,
                "channel": (Channel.KIOSK, Channel.WEB, Channel.SMS)[n % 3],
                "locale": "fr",
                "rank_key": float(n),
                "arrived_at": arrived,
                "created_at": arrived,
                "called_at": called,
                "serving_at": serving,
                "finished_at": serving + timedelta(minutes=2 + n % 9),
                "counter_id": ids["counter"],
                "agent_id": ids["agent"],
                "recall_count": 0,
                "pass_count": 0,
                "told_minutes": 10,
                "told_low": 5,
                "told_high": 15,
            }
        )
        if len(rows) == CHUNK:
            db.session.execute(insert(Ticket), rows)
            rows.clear()
    if rows:
        db.session.execute(insert(Ticket), rows)
    db.session.commit()


def stream(client, org_id: int) -> dict:
    """Ask for the month's ticket CSV and read it chunk by chunk: lines, bytes, time,
    and this process's memory before and at its peak."""
    before = _kib("VmRSS")
    _reset_peak()
    started = wallclock.perf_counter()
    response = client.get(URL.format(org=org_id), buffered=False)
    assert response.status_code == 200, response.status_code
    assert response.is_streamed
    lines = size = 0
    for chunk in response.response:
        lines += chunk.count(b"\n")
        size += len(chunk)
    response.close()
    seconds = wallclock.perf_counter() - started
    peak = _kib("VmHWM")
    return {
        "lines": lines,
        "mb": size / 1e6,
        "seconds": seconds,
        "rss_mb": before / 1024,
        "peak_mb": peak / 1024,
        "growth_mb": (peak - before) / 1024,
    }


def gathered(org_id: int) -> dict:
    """For contrast: the peak of holding the same rows in a list."""
    db.session.remove()
    before = _kib("VmRSS")
    _reset_peak()
    rows = list(
        queries.ticket_rows(Scope(org_id), NOVEMBER, NOVEMBER + timedelta(days=29))
    )
    peak = _kib("VmHWM")
    count = len(rows)
    del rows
    return {"rows": count, "growth_mb": (peak - before) / 1024}


def setup() -> tuple[int, dict]:
    """The branch and its organization's admin; returns the organization's id and the
    ids the tickets need (ids only: objects end with their session)."""
    desk = make_desk([("A", "Dépôts et retraits", 5, Strategy.FIFO)], [[0]])
    admin = User(
        email=ADMIN_EMAIL,
        password_hash=hash_password(PASSWORD),
        email_verified_at=clock.now(),
        locale="fr",
    )
    org_id = desk.branch.organization_id
    admin.memberships.append(Membership(organization_id=org_id, role=Role.ORG_ADMIN))
    db.session.add(admin)
    db.session.commit()
    return org_id, {
        "branch": desk.branch.id,
        "service": desk.services[0].id,
        "counter": desk.counters[0].id,
        "agent": desk.agents[0].id,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--backend", choices=("postgresql", "sqlite"), default="postgresql"
    )
    parser.add_argument("--postgres-url", help="a running PostgreSQL server to use")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--gathered", action="store_true", help="also hold the rows")
    args = parser.parse_args()

    logging.getLogger("smartqueue.requests").setLevel(logging.WARNING)
    with database(args.backend, args.postgres_url) as url:
        print_machine(machine(url))
        app = make_app(url)
        clock.freeze(datetime(2026, 12, 3, 10, tzinfo=timezone.utc))
        with app.app_context():
            org_id, ids = setup()
        # Requests run outside any context of ours, each in its own (as on a server:
        # the signed-in user is cached on the request's context).
        client = app.test_client()
        signed_in = client.post(
            "/auth/login", data={"email": ADMIN_EMAIL, "password": PASSWORD}
        )
        assert signed_in.status_code == 302, signed_in.status_code
        print(
            f"{'tickets':>9} {'lines':>9} {'MB':>6} {'s':>6} "
            f"{'RSS MB':>7} {'peak MB':>8} {'growth MB':>10}"
        )
        filled = 0
        for size in sorted(args.sizes):
            with app.app_context():
                fill(ids, filled, size - filled)
            filled = size
            stream(client, org_id)  # once to warm up imports and caches
            f = stream(client, org_id)
            print(
                f"{size:>9} {f['lines']:>9} {f['mb']:>6.1f} {f['seconds']:>6.2f} "
                f"{f['rss_mb']:>7.1f} {f['peak_mb']:>8.1f} {f['growth_mb']:>10.1f}"
            )
            if args.gathered:
                with app.app_context():
                    g = gathered(org_id)
                print(
                    f"{'':>9} held in a list instead: {g['rows']} rows, "
                    f"growth {g['growth_mb']:.1f} MB"
                )
        clock.freeze(None)


if __name__ == "__main__":
    main()
