"""Rollups' writes: a branch-day written whole in place of the old one, rebuilt after a
correction, built only once its tickets are ended, built again when rated later."""

from datetime import date

import pytest
from sqlalchemy import func, select

from smartqueue.analytics import rollups
from smartqueue.analytics.queries import period_report
from smartqueue.analytics.report import Scope
from smartqueue.models import RollupRun, TicketStatus
from smartqueue.models.analytics import (
    AGENT_MONTH_SUMMED,
    MONTH_SUMMED,
    agent_day,
    agent_month,
    arrivals_month,
    commune_day,
    commune_month,
    service_day,
    service_month,
)
from tests.conftest import at

pytestmark = pytest.mark.backends("sqlite", "postgresql")

TUESDAY = date(2026, 12, 1)
WEDNESDAY = date(2026, 12, 2)


def row_counts(db) -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(table))
        for table in (service_day, agent_day, commune_day)
    )


def test_build_day_writes_the_day_in_place_of_the_old_one(tuesday, frozen, db):
    frozen.set(at(2, 1))

    assert rollups.build_day(TUESDAY, tuesday.branch.id) == 8
    assert rollups.build_day(TUESDAY, tuesday.branch.id) == 8

    assert row_counts(db) == (2, 2, 1)
    run = db.session.get(RollupRun, (TUESDAY, tuesday.branch.id))
    assert (run.tickets, run.built_at) == (8, at(2, 1))
    issued = db.session.execute(
        select(service_day.c.service_id, service_day.c.issued).order_by(
            service_day.c.service_id
        )
    ).all()
    assert issued == [(tuesday.a.id, 5), (tuesday.b.id, 3)]


def test_rebuild_after_a_correction_changes_the_figures(tuesday, frozen, db):
    frozen.set(at(2, 10))
    rollups.build_closed_days(WEDNESDAY)
    scope = Scope(tuesday.org.id)
    # A correction: t8 was served at 16:59, not left to expire.
    t8 = tuesday.tickets.t8
    t8.status, t8.counter_id = TicketStatus.SERVED, tuesday.counters[2].id
    t8.called_at, t8.serving_at, t8.finished_at = at(1, 17), at(1, 17), at(1, 17, 6)
    db.session.commit()

    before = period_report(scope, TUESDAY, TUESDAY).totals
    done = rollups.rebuild(TUESDAY, TUESDAY)
    after = period_report(scope, TUESDAY, TUESDAY).totals

    assert done == [(TUESDAY, tuesday.branch.id, 8)]
    assert (before.served, before.expired) == (4, 1)
    assert (after.served, after.expired) == (5, 0)
    assert after.service_mean_minutes == pytest.approx((39 + 6) / 5)


def test_rebuild_empties_a_day_whose_tickets_are_gone(tuesday, frozen, db):
    frozen.set(at(3, 10))
    rollups.rebuild(TUESDAY, WEDNESDAY)
    for ticket in vars(tuesday.tickets).values():
        db.session.delete(ticket)
    db.session.commit()

    done = rollups.rebuild(TUESDAY, WEDNESDAY, [tuesday.branch.id])

    # Tuesday had a rollup and appointments still: rebuilt, with no ticket left.
    assert done == [(TUESDAY, tuesday.branch.id, 0)]
    assert row_counts(db) == (1, 0, 0)  # service A's appointments
    report = period_report(Scope(tuesday.org.id), TUESDAY, TUESDAY)
    assert (report.totals.issued, report.totals.appointments) == (0, 2)


def test_a_day_with_tickets_still_in_line_waits_for_their_end(
    tuesday, frozen, make_ticket, db
):
    left = make_ticket(tuesday.a, at(1, 16, 50))  # still waiting after closing
    frozen.set(at(2, 0, 5))

    assert rollups.days_to_build(WEDNESDAY) == []
    left.status = TicketStatus.EXPIRED  # the expiry job's work, after midnight
    db.session.commit()
    assert rollups.days_to_build(WEDNESDAY) == [(TUESDAY, tuesday.branch.id)]


def test_only_closed_days_with_activity_within_the_lookback(
    tuesday, frozen, make_branch, make_ticket
):
    make_branch(tuesday.org)  # no tickets: nothing to build
    make_ticket(tuesday.a, at(2, 9), status=TicketStatus.CANCELLED)
    frozen.set(at(9, 10))

    assert rollups.days_to_build(date(2026, 12, 2)) == [(TUESDAY, tuesday.branch.id)]
    assert rollups.days_to_build(date(2026, 12, 9), lookback=7) == [
        (WEDNESDAY, tuesday.branch.id)
    ]
    assert rollups.days_to_build(date(2026, 12, 9), lookback=8) == [
        (TUESDAY, tuesday.branch.id),
        (WEDNESDAY, tuesday.branch.id),
    ]


def test_a_day_rated_after_its_build_is_built_again(tuesday, frozen, rate):
    frozen.set(at(2, 1))
    rollups.build_closed_days(WEDNESDAY)
    assert rollups.days_to_build(WEDNESDAY) == []

    frozen.set(at(2, 9))
    rate(tuesday.tickets.t7, 2, created_at=at(2, 9))

    assert rollups.days_to_build(WEDNESDAY) == [(TUESDAY, tuesday.branch.id)]
    rollups.build_closed_days(WEDNESDAY)
    report = period_report(Scope(tuesday.org.id), TUESDAY, TUESDAY)
    assert report.totals.ratings == (0, 1, 1, 0, 1)
    assert rollups.days_to_build(WEDNESDAY) == []


def test_the_month_rows_are_the_days_rows_summed(tuesday, frozen, make_ticket, db):
    two, second = tuesday.counters[2], tuesday.second
    make_ticket(tuesday.a, at(2, 9, 0), at(2, 9, 3), at(2, 9, 4), at(2, 9, 9),
                TicketStatus.SERVED, counter=two, agent=second)  # fmt: skip
    frozen.set(at(3, 10))
    rollups.rebuild(TUESDAY, WEDNESDAY)
    month = TUESDAY.replace(day=1)

    def summed(table, keys, columns):
        return sorted(
            tuple(row)
            for row in db.session.execute(
                select(
                    *(table.c[k] for k in keys),
                    *(func.sum(table.c[c]) for c in columns),
                )
                .where(
                    table.c.day.between(month, WEDNESDAY)
                    if "day" in table.c
                    else table.c.month == month
                )
                .group_by(*(table.c[k] for k in keys))
            )
        )

    for day_table, month_table, keys, columns in (
        (service_day, service_month, ("service_id",), MONTH_SUMMED),
        (service_day, arrivals_month, ("service_id", "weekday"), tuple(f"h{h}" for h in range(24))),
        (agent_day, agent_month, ("service_id", "counter_id", "agent_id"), AGENT_MONTH_SUMMED),
        (commune_day, commune_month, ("service_id", "commune_id"), ("tickets",)),
    ):  # fmt: skip
        assert summed(month_table, keys, columns) == summed(day_table, keys, columns)
    issued = dict(
        db.session.execute(
            select(service_month.c.service_id, service_month.c.issued)
        ).all()
    )
    assert issued == {tuesday.a.id: 6, tuesday.b.id: 3}

    # A day built again replaces the month's rows, whatever the other days hold.
    db.session.delete(tuesday.tickets.t8)
    db.session.commit()
    rollups.rebuild(TUESDAY, TUESDAY)
    issued = dict(
        db.session.execute(
            select(service_month.c.service_id, service_month.c.issued)
        ).all()
    )
    assert issued == {tuesday.a.id: 6, tuesday.b.id: 2}
