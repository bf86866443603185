"""How long does the 1st of the month take: invoices for 2 000 organizations in one run?
(issue 11)

`--orgs` organizations (bulk-inserted with Core), a quarter on each plan, and one in two
with `--sms` SMS sent in November (1 or 2 parts, 20 FCFA a part). The clock is set to
1 December 06:00 in Dakar and `payments.invoices.generate_invoices()` runs once, as the
billing job runs it. Figures:

  first run   wall time and SQL statements (a SQLAlchemy `before_cursor_execute`
              listener on the engine), and statements per organization invoiced
  second run  the same month again: nothing to add (idempotent), its cost
  per call    for comparison: the SMS read the per-organization way, one
              notifications.queries.sms_usage() call per organization

    .venv/bin/python bench/invoices.py                      # PostgreSQL and SQLite
    .venv/bin/python bench/invoices.py --backend sqlite --orgs 200
"""

import argparse
import time as wallclock
from contextlib import contextmanager
from datetime import date, datetime, timezone

import harness  # noqa: F401  (sets up the path and environment first)
from harness import database, machine, make_app, print_machine
from sqlalchemy import event, func, insert, select

from smartqueue import clock
from smartqueue.extensions import db
from smartqueue.models import (
    DeliveryChannel,
    Invoice,
    InvoiceLine,
    Notification,
    NotificationKind,
    NotificationStatus,
    Organization,
    OrganizationType,
    Plan,
)
from smartqueue.notifications.queries import sms_usage
from smartqueue.payments import invoices

NOVEMBER = date(2026, 11, 1)
CHUNK = 5000
PLANS = [Plan.FREE, Plan.STARTER, Plan.BUSINESS, Plan.ENTERPRISE]


def fill(orgs: int, sms: int) -> None:
    """The organizations, and one in two's SMS of November."""
    created = datetime(2026, 10, 1, tzinfo=timezone.utc)
    db.session.execute(
        insert(Organization),
        [
            {
                "name": f"Organisation {i:05d}",
                "type": OrganizationType.BANK,
                "plan": PLANS[i % len(PLANS)],
                "email": f"compta{i}@org.sn",
                "is_active": True,
                "created_at": created,
            }
            for i in range(orgs)
        ],
    )
    ids = db.session.scalars(select(Organization.id).order_by(Organization.id)).all()
    rows = [
        {
            "kind": NotificationKind.TICKET_CALLED,
            "channel": DeliveryChannel.SMS,
            "status": NotificationStatus.SENT,
            "recipient": f"+22177{n:07d}",
            "organization_id": org_id,
            "body": "A012 : présentez-vous au guichet 3",
            "segments": 1 + n % 2,
            "cost_fcfa": 20 * (1 + n % 2),
            "created_at": datetime(2026, 11, 1 + n % 30, 10, tzinfo=timezone.utc),
            "attempts": 1,
            "locale": "fr",
        }
        for i, org_id in enumerate(ids)
        if i % 2
        for n in range(sms)
    ]
    for first in range(0, len(rows), CHUNK):
        db.session.execute(insert(Notification), rows[first : first + CHUNK])
    db.session.commit()


@contextmanager
def counting():
    """Count the SQL statements sent while inside (one per cursor execute)."""
    seen = {"statements": 0}

    def count(*_args):
        seen["statements"] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    started = wallclock.perf_counter()
    try:
        yield seen
    finally:
        seen["seconds"] = wallclock.perf_counter() - started
        event.remove(db.engine, "before_cursor_execute", count)


def run(backend: str, args) -> None:
    with database(backend, args.database_url) as url:
        app = make_app(url)
        with app.app_context():
            clock.freeze(datetime(2026, 10, 1, tzinfo=timezone.utc))
            fill(args.orgs, args.sms)
            clock.freeze(datetime(2026, 12, 1, 6, tzinfo=timezone.utc))
            info = machine(url)
            db.session.commit()
            db.session.remove()

            with counting() as first:
                numbers = invoices.generate_invoices()
            db.session.remove()
            with counting() as second:
                again = invoices.generate_invoices(NOVEMBER)
            db.session.remove()
            start, end = invoices.month_moments(NOVEMBER)
            ids = db.session.scalars(select(Organization.id)).all()
            with counting() as per_call:
                for org_id in ids:
                    sms_usage(org_id, start, end)
            db.session.remove()
            made, total = db.session.execute(
                select(func.count(), func.sum(Invoice.total_fcfa))
            ).one()
            lines = db.session.scalar(select(func.count()).select_from(InvoiceLine))
            last = db.session.scalar(
                select(Invoice.number).order_by(Invoice.id.desc()).limit(1)
            )
            db.session.remove()
            db.engine.dispose()

        print(
            f"\n{backend}: invoices for {args.orgs} organizations "
            f"({args.sms} SMS each for one in two)"
        )
        print_machine(info)
        print(
            f"  first run:  {first['seconds']:.2f} s, {first['statements']} statements "
            f"for {len(numbers)} invoices ({lines} lines, last {last}, "
            f"{total:,} FCFA): {first['statements'] / max(len(numbers), 1):.4f} "
            f"statements an organization, "
            f"{first['seconds'] * 1000 / max(len(numbers), 1):.2f} ms an organization"
        )
        print(
            f"  second run: {second['seconds'] * 1000:.0f} ms, "
            f"{second['statements']} statements, {len(again)} invoices added"
        )
        print(
            f"  per call:   {per_call['seconds']:.2f} s, {per_call['statements']} "
            f"statements to read the same SMS one organization at a time"
        )
        assert made == len(numbers) and not again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--backend", choices=("postgresql", "sqlite"), nargs="+", default=None
    )
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--sms", type=int, default=20, help="SMS of one org in two")
    parser.add_argument("--database-url", help="an existing PostgreSQL server to use")
    args = parser.parse_args()
    for backend in args.backend or ["postgresql", "sqlite"]:
        run(backend, args)
    clock.freeze(None)


if __name__ == "__main__":
    main()
