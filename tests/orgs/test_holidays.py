"""Senegal's public holidays as branch closures (orgs.holidays): on SQLite and PostgreSQL.

The clock is `frozen` on Tuesday 1 December 2026: Christmas (a Friday) is within the
booking window; 2027's Korité is listed at an estimated Tuesday 9 March.
"""

from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import func, select

from smartqueue.appointments import operations as appointments
from smartqueue.appointments import queries as slots
from smartqueue.appointments.errors import SlotUnavailable
from smartqueue.extensions import db
from smartqueue.models import BranchClosure, OpeningHours
from smartqueue.models.orgs import BranchHoliday, ClosureSource, HolidayStatus
from smartqueue.orgs import holiday_calendar, holidays
from smartqueue.orgs import operations as ops
from smartqueue.orgs.holidays import HolidayError
from smartqueue.queueing import rules
from tests.appointments.helpers import open_all_week
from tests.conftest import at

CHRISTMAS = date(2026, 12, 25)
KORITE = date(2027, 3, 9)  # the library's estimate


def dakar(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)  # Dakar is UTC+0


@pytest.fixture
def bookable(db, frozen, make_branch, make_service, make_user):
    """A branch open every day whose service A takes appointments, and a customer."""
    branch = make_branch()
    service = make_service(branch, "A")
    open_all_week(branch, service)
    return branch, service, make_user()


def _closed_days(branch) -> set[date]:
    return set(
        db.session.scalars(
            select(BranchClosure.date).where(BranchClosure.branch_id == branch.id)
        )
    )


def _holiday(branch, year: int, key: str) -> BranchHoliday:
    return db.session.scalar(
        select(BranchHoliday).where(
            BranchHoliday.branch_id == branch.id,
            BranchHoliday.year == year,
            BranchHoliday.key == key,
        )
    )


def _is_open(branch, moment: datetime) -> bool:
    db.session.expire_all()
    return rules.branch_states([branch.id], moment)[branch.id].open


def test_library_lists_moving_muslim_holidays_as_estimated():
    listed = {h.key: h for h in holiday_calendar.list_public_holidays(2027)}
    moving = {"eid_al_fitr", "eid_al_adha", "ashura", "prophet_s_birthday"}
    assert moving | {"grand_magal_of_touba"} <= {
        k for k, h in listed.items() if h.is_estimated
    }
    fixed = [
        ("new_year_s_day", date(2027, 1, 1)),
        ("independence_day", date(2027, 4, 4)),
        ("labor_day", date(2027, 5, 1)),
        ("assumption_day", date(2027, 8, 15)),
        ("christmas_day", date(2027, 12, 25)),
        ("easter_monday", date(2027, 3, 29)),
        ("ascension_day", date(2027, 5, 6)),
        ("pentecost_monday", date(2027, 5, 17)),
    ]
    for key, day in fixed:
        assert listed[key].day == day and not listed[key].is_estimated
    assert listed["eid_al_fitr"].day == KORITE


def test_prefill_is_idempotent(db, frozen, make_branch):
    branch = make_branch()
    first = holidays.prefill_holidays(branch, 2027)
    again = holidays.prefill_holidays(branch, 2027)
    assert len(first.closed) == 9 and len(first.proposed) == 6
    assert again.closed == [] and again.proposed == []
    rows = db.session.scalar(
        select(func.count(BranchHoliday.id)).where(BranchHoliday.branch_id == branch.id)
    )
    assert rows == len(holiday_calendar.list_public_holidays(2027))
    # Whit Monday and Tabaski's Monday share 17 May: one closure, Tabaski's proposed.
    assert len(_closed_days(branch)) == 9
    assert _holiday(branch, 2027, "eid_al_adha_observed").status is (
        HolidayStatus.PROPOSED
    )


def test_fixed_holiday_closes_the_branch_and_refuses_booking(bookable):
    branch, service, customer = bookable
    assert slots.list_available_times(service, CHRISTMAS)
    holidays.prefill_holidays(branch, 2026)
    assert CHRISTMAS in _closed_days(branch)
    assert not _is_open(branch, dakar(CHRISTMAS, 10))
    assert slots.list_available_times(service, CHRISTMAS) == []
    with pytest.raises(SlotUnavailable):
        appointments.book_appointment(customer, service, dakar(CHRISTMAS, 10))
    # Holidays already past this year are recorded, never closures.
    assert _holiday(branch, 2026, "new_year_s_day").status is HolidayStatus.PASSED
    assert date(2026, 1, 1) not in _closed_days(branch)


def test_estimated_holiday_is_bookable_until_a_manager_confirms_it(
    bookable, frozen, make_user
):
    branch, service, customer = bookable
    manager = make_user(role="branch_manager", branch=branch)
    holidays.prefill_holidays(branch, 2027)
    korite = _holiday(branch, 2027, "eid_al_fitr")
    assert korite.status is HolidayStatus.PROPOSED and korite.closure is None
    frozen.set(dakar(date(2027, 3, 1), 10))
    assert _is_open(branch, dakar(KORITE, 10))
    booked = appointments.book_appointment(customer, service, dakar(KORITE, 10))
    assert booked.id

    assert holidays.confirm_holiday(korite, by=manager) == 1  # the booking to warn
    assert korite.status is HolidayStatus.CLOSED and korite.decided_by == manager
    assert korite.closure.source is ClosureSource.HOLIDAY
    assert not _is_open(branch, dakar(KORITE, 10))
    with pytest.raises(SlotUnavailable):
        appointments.book_appointment(make_user(), service, dakar(KORITE, 11))


def test_moving_a_holiday_closes_the_announced_day_instead(db, frozen, make_branch):
    branch = make_branch()
    holidays.prefill_holidays(branch, 2027)
    korite = _holiday(branch, 2027, "eid_al_fitr")
    holidays.confirm_holiday(korite, date(2027, 3, 10), by=None)
    assert KORITE not in _closed_days(branch)
    assert date(2027, 3, 10) in _closed_days(branch)
    # Moved back once more: still one closure for it, on the new day.
    holidays.confirm_holiday(korite, KORITE, by=None)
    assert KORITE in _closed_days(branch)
    assert date(2027, 3, 10) not in _closed_days(branch)


def test_confirming_refuses_fixed_holidays_and_far_or_past_dates(
    db, frozen, make_branch
):
    branch = make_branch()
    holidays.prefill_holidays(branch, 2027)
    korite = _holiday(branch, 2027, "eid_al_fitr")
    with pytest.raises(HolidayError, match="10 jours au plus"):
        holidays.confirm_holiday(korite, date(2027, 4, 9), by=None)
    with pytest.raises(HolidayError, match="date fixe"):
        holidays.confirm_holiday(_holiday(branch, 2027, "labor_day"), by=None)
    frozen.set(dakar(date(2027, 3, 8), 10))
    with pytest.raises(HolidayError, match="déjà passée"):
        holidays.confirm_holiday(korite, date(2027, 3, 7), by=None)
    db.session.rollback()
    assert _holiday(branch, 2027, "eid_al_fitr").status is HolidayStatus.PROPOSED


def test_a_deleted_holiday_closure_stays_dismissed(db, frozen, make_branch, make_user):
    branch = make_branch()
    manager = make_user(role="branch_manager", branch=branch)
    holidays.prefill_holidays(branch, 2026)
    christmas = db.session.scalar(
        select(BranchClosure).where(
            BranchClosure.branch_id == branch.id, BranchClosure.date == CHRISTMAS
        )
    )
    ops.remove_closure(christmas, by=manager)  # a private bank opens on Christmas
    holidays.prefill_holidays(branch, 2026)
    assert CHRISTMAS not in _closed_days(branch)
    holiday = _holiday(branch, 2026, "christmas_day")
    assert holiday.status is HolidayStatus.DISMISSED and holiday.decided_by == manager

    holidays.restore_holiday(holiday, by=manager)
    assert CHRISTMAS in _closed_days(branch)


def test_a_dismissed_estimated_holiday_stays_dismissed(db, frozen, make_branch):
    branch = make_branch()
    holidays.prefill_holidays(branch, 2027)
    holidays.dismiss_holiday(_holiday(branch, 2027, "ashura"), by=None)
    holidays.prefill_holidays(branch, 2027)
    assert _holiday(branch, 2027, "ashura").status is HolidayStatus.DISMISSED
    assert date(2027, 6, 15) not in _closed_days(branch)
    with pytest.raises(HolidayError, match="rétablissez"):
        holidays.confirm_holiday(_holiday(branch, 2027, "ashura"), by=None)


def test_a_manual_closure_on_a_holiday_is_kept_as_it_is(db, frozen, make_branch):
    branch = make_branch()
    ops.add_closure(branch, CHRISTMAS, "Inventaire")
    holidays.prefill_holidays(branch, 2026)
    closure = db.session.scalar(
        select(BranchClosure).where(BranchClosure.branch_id == branch.id)
    )
    assert (closure.reason, closure.source) == ("Inventaire", ClosureSource.MANUAL)
    assert _holiday(branch, 2026, "christmas_day").closure == closure


def test_a_new_branch_gets_this_year_and_next_years_holidays(db, frozen, make_org):
    from tests.orgs.test_operations import _place

    branch = ops.create_branch(
        make_org(), name="Agence Médina", address="Rue 6", **_place(db)
    )
    years = set(
        db.session.scalars(
            select(BranchHoliday.year).where(BranchHoliday.branch_id == branch.id)
        )
    )
    assert years == {2026, 2027}
    assert {CHRISTMAS, date(2027, 1, 1)} <= _closed_days(branch)


def test_periodic_job_fills_due_branches_once_and_spares_round_the_clock_ones(
    db, frozen, make_branch
):
    office, emergencies = make_branch(), make_branch()
    emergencies.opening_hours.clear()
    db.session.flush()
    for day in range(7):
        emergencies.opening_hours.append(
            OpeningHours(weekday=day, opens_at=time(0), closes_at=time(0))
        )
    db.session.commit()
    assert holidays.prefill_due_branches() >= 1
    assert holidays.prefill_due_branches() == 0
    assert {CHRISTMAS, date(2027, 12, 25)} <= _closed_days(office)
    assert _closed_days(emergencies) == set()
    # Before December only the current year is due.
    frozen.set(at(1, 10).replace(year=2027, month=6))
    late = make_branch()
    holidays.prefill_due_branches()
    years = set(
        db.session.scalars(
            select(BranchHoliday.year).where(BranchHoliday.branch_id == late.id)
        )
    )
    assert years == {2027}


def test_tabaski_on_a_sunday_closes_the_monday_too(db, frozen, make_branch):
    branch = make_branch()
    holidays.prefill_holidays(branch, 2027)
    tabaski = _holiday(branch, 2027, "eid_al_adha")
    assert tabaski.listed_date == date(2027, 5, 16)  # a Sunday, Monday estimated too
    holidays.confirm_holiday(tabaski, by=None)
    assert {date(2027, 5, 16), date(2027, 5, 17)} <= _closed_days(branch)
    monday = _holiday(branch, 2027, "eid_al_adha_observed")
    assert monday.status is HolidayStatus.CLOSED
    # Announced for Monday instead: no Monday-after-Sunday any more; Whit Monday stays.
    holidays.confirm_holiday(tabaski, date(2027, 5, 17), by=None)
    assert date(2027, 5, 16) not in _closed_days(branch)
    assert date(2027, 5, 17) in _closed_days(branch)
    db.session.expire_all()
    assert monday.status is HolidayStatus.DISMISSED and monday.closure is None
    assert _holiday(branch, 2027, "pentecost_monday").closure == tabaski.closure
