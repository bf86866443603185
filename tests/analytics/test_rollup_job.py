"""The hourly job rolling up closed days, and `flask analytics` (rebuild, roll-up)."""

from datetime import date

import pytest
from sqlalchemy import select

from smartqueue.jobs.analytics import roll_up_closed_days
from smartqueue.jobs.schedule import PERIODIC
from smartqueue.models import RollupRun
from tests.conftest import at

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def runs(db, quiet=False) -> list[tuple]:
    """The branch-days rolled up with tickets (or, quiet=True, those marked empty)."""
    return db.session.execute(
        select(RollupRun.day, RollupRun.branch_id, RollupRun.tickets)
        .where((RollupRun.tickets == 0) if quiet else (RollupRun.tickets > 0))
        .order_by(RollupRun.day)
    ).all()


def test_the_job_builds_closed_days_once(tuesday, frozen, make_ticket, db):
    make_ticket(tuesday.b, at(2, 9))  # Wednesday's: today, still waiting
    frozen.set(at(2, 3))

    assert roll_up_closed_days() == 1
    assert roll_up_closed_days() == 0
    assert runs(db) == [(date(2026, 12, 1), tuesday.branch.id, 8)]
    # The week's quiet days are marked, so reports never probe their tickets again.
    assert [day for day, _, _ in runs(db, quiet=True)] == [
        date(2026, 11, d) for d in range(25, 31)
    ]
    assert (roll_up_closed_days, 3600) in PERIODIC


def test_flask_analytics_rebuild_and_roll_up(tuesday, frozen, app, db):
    frozen.set(at(3, 3))
    cli = app.test_cli_runner()

    rolled = cli.invoke(args=["analytics", "roll-up"])
    rebuilt = cli.invoke(
        args=[
            "analytics",
            "rebuild",
            "--from",
            "2026-11-30",
            "--to",
            "2026-12-02",
            "--branch",
            str(tuesday.branch.id),
        ]
    )
    backwards = cli.invoke(
        args=["analytics", "rebuild", "--from", "2026-12-02", "--to", "2026-12-01"]
    )

    assert rolled.exit_code == 0, rolled.output
    assert "branch-days rolled up: 1" in rolled.output
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"2026-12-01  branch {tuesday.branch.id}: 8 tickets" in rebuilt.output
    assert "branch-days rebuilt: 1" in rebuilt.output
    assert backwards.exit_code != 0
    assert runs(db) == [(date(2026, 12, 1), tuesday.branch.id, 8)]
