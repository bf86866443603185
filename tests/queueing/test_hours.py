"""Hours across midnight and around the clock: issuing, the expiry job, the day's numbers,
the stored constraint, and the next opening the customer screens show."""

from datetime import time

import pytest
from sqlalchemy.exc import IntegrityError

from smartqueue.models import BranchClosure, Channel, OpeningHours, Ticket, TicketStatus
from smartqueue.orgs import operations as orgs
from smartqueue.orgs.errors import InvalidHours
from smartqueue.queueing import expiry
from smartqueue.queueing import operations as ops
from smartqueue.queueing.errors import QueueUnavailable
from smartqueue.queueing.rules import branch_states
from tests.conftest import at

# 1 December 2026 is a Tuesday (weekday 1); the 5th a Saturday, the 7th a Monday.
NIGHT = (time(20), time(2))
ALL_DAY = (time(0), time(0))


def _issue(service):
    return ops.issue_ticket(service, channel=Channel.KIOSK)


def _status(db, ticket):
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id).status


def _hours(branch, **days):
    """Set the week: weekday number -> (opens, closes); the other days closed."""
    orgs.set_opening_hours(branch, {d: days.get(f"d{d}") for d in range(7)})


def _label(branch, moment):
    state = branch_states([branch.id], moment)[branch.id]
    return state.open, str(state.label) if state.label else None


def test_an_overnight_shift_issues_past_midnight_and_expires_when_it_ends(
    db, backend, frozen, make_branch, make_service
):
    branch = make_branch()
    service = make_service(branch)
    _hours(branch, d1=NIGHT)  # Tuesday 20:00 to Wednesday 02:00 only

    frozen.set(at(1, 19, 59))
    with pytest.raises(QueueUnavailable, match="ouverte de 20:00 à 02:00"):
        _issue(service)
    frozen.set(at(1, 23, 30))
    late = _issue(service)
    assert late.code == "A001"

    frozen.set(at(2, 0, 30))  # Wednesday, a day without hours of its own
    assert expiry.expire_tickets() == 0  # not at midnight: the shift goes on
    assert _status(db, late) is TicketStatus.WAITING
    after_midnight = _issue(service)
    # The Dakar calendar day numbers tickets: a new day starts at midnight.
    assert after_midnight.code == "A001"
    assert after_midnight.day.isoformat() == "2026-12-02"

    frozen.set(at(2, 2, 0))
    with pytest.raises(QueueUnavailable, match="fermée aujourd'hui"):
        _issue(service)
    assert expiry.expire_tickets() == 2
    assert _status(db, late) is TicketStatus.EXPIRED
    assert _status(db, after_midnight) is TicketStatus.EXPIRED


def test_around_the_clock_keeps_yesterdays_tickets_across_midnight(
    db, backend, frozen, make_branch, make_service
):
    branch = make_branch()
    service = make_service(branch)
    _hours(branch, **{f"d{d}": ALL_DAY for d in range(7)})

    frozen.set(at(6, 3))  # Sunday 03:00
    first = _issue(service)
    frozen.set(at(6, 23, 50))
    evening = _issue(service)
    assert evening.code == "A002"
    frozen.set(at(7, 0, 5))
    assert expiry.expire_tickets() == 0
    assert _status(db, first) is TicketStatus.WAITING
    assert _issue(service).code == "A001"
    assert _label(branch, at(7, 0, 5)) == (True, None)


def test_a_24_hour_day_followed_by_office_hours_expires_at_midnight(
    db, backend, frozen, make_branch, make_service
):
    branch = make_branch()
    service = make_service(branch)
    _hours(branch, d1=ALL_DAY, d2=(time(8), time(17)))
    frozen.set(at(1, 23))
    ticket = _issue(service)
    frozen.set(at(2, 0, 1))
    assert expiry.expire_tickets() == 1
    assert _status(db, ticket) is TicketStatus.EXPIRED


def test_a_closure_cancels_the_shift_that_starts_that_day_not_the_nights_tail(
    db, backend, frozen, make_branch, make_service
):
    branch = make_branch()
    service = make_service(branch)
    _hours(branch, d1=NIGHT, d2=NIGHT)
    db.session.add(BranchClosure(branch_id=branch.id, date=at(2, 0).date()))
    db.session.commit()
    frozen.set(at(2, 1))  # the tail of Tuesday's night, on the closure day
    ticket = _issue(service)
    frozen.set(at(2, 21))  # Wednesday's own night is cancelled
    with pytest.raises(QueueUnavailable, match="fermée aujourd'hui"):
        _issue(service)
    assert expiry.expire_tickets() == 1
    assert _status(db, ticket) is TicketStatus.EXPIRED


def test_the_database_takes_overnight_and_24_hours_but_no_empty_span(
    db, backend, make_branch
):
    branch = make_branch()
    table = OpeningHours.__table__
    db.session.execute(
        table.update()
        .where(table.c.branch_id == branch.id, table.c.weekday == 0)
        .values(opens_at=time(20), closes_at=time(2))
    )
    db.session.execute(
        table.update()
        .where(table.c.branch_id == branch.id, table.c.weekday == 1)
        .values(opens_at=time(0), closes_at=time(0))
    )
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(
            table.update()
            .where(table.c.branch_id == branch.id, table.c.weekday == 2)
            .values(opens_at=time(8), closes_at=time(8))
        )
        db.session.commit()
    db.session.rollback()


def test_set_opening_hours_takes_overnight_and_24_hours_refuses_an_empty_span(
    db, backend, make_branch
):
    branch = make_branch()
    _hours(branch, d0=NIGHT, d6=ALL_DAY)
    db.session.expire_all()
    assert branch.hours_on(0).overnight and branch.hours_on(6).around_the_clock
    with pytest.raises(InvalidHours, match="24 h/24") as refused:
        _hours(branch, d3=(time(9), time(9)))
    assert refused.value.field == "day_3"


@pytest.mark.parametrize(
    "moment,expected",
    [
        (at(1, 7), (False, "Fermé · ouvre à 08:00")),  # later today
        (at(1, 10), (True, None)),
        (at(1, 17), (False, "Fermé · ouvre demain à 08:00")),  # tomorrow
        (at(5, 13), (False, "Fermé · ouvre lundi à 08:00")),  # over the weekend
    ],
)
def test_next_opening(db, backend, make_branch, moment, expected):
    branch = make_branch()  # Monday to Saturday 08:00-17:00 ...
    _hours(branch, **{f"d{d}": (time(8), time(17)) for d in range(5)})  # ... weekdays
    assert _label(branch, moment) == expected


def test_next_opening_skips_closures_and_says_closed_today_beyond_a_week(
    db, backend, make_branch
):
    branch = make_branch()
    _hours(branch, d2=(time(8), time(17)), d3=(time(9), time(12)))  # Wed, Thu
    db.session.add(BranchClosure(branch_id=branch.id, date=at(2, 0).date()))
    db.session.commit()
    # Wednesday the 2nd is closed: Thursday's hours come next.
    assert _label(branch, at(1, 10)) == (False, "Fermé · ouvre jeudi à 09:00")
    _hours(branch, d2=(time(8), time(17)))  # Wednesdays only
    # The next open Wednesday is 8 days ahead: beyond the week looked at.
    assert _label(branch, at(1, 10)) == (False, "Fermé aujourd'hui")
    _hours(branch)  # no hours at all
    assert _label(branch, at(1, 10)) == (False, "Fermé aujourd'hui")


def test_next_opening_of_an_overnight_branch(db, backend, make_branch):
    branch = make_branch()
    _hours(branch, d1=NIGHT)
    assert _label(branch, at(1, 10)) == (False, "Fermé · ouvre à 20:00")
    assert _label(branch, at(1, 21)) == (True, None)
    assert _label(branch, at(2, 1, 59)) == (True, None)
    assert _label(branch, at(2, 2)) == (False, "Fermé · ouvre mardi à 20:00")
