"""Reads of a branch's closures and public holidays (the manage closures page)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Appointment, Branch, BranchClosure
from ..models.appointments import UPCOMING_STATUSES
from ..models.orgs import BranchHoliday, HolidayStatus
from .holiday_calendar import holiday_name, list_public_holidays, prefill_years


def count_appointments_on(branch_id: int, days) -> dict[date, int]:
    """Appointments still to come at a branch on each of `days` (a closed day needs
    the manager to warn those customers)."""
    days = list(days)
    if not days:
        return {}
    return dict(
        db.session.execute(
            select(Appointment.day, func.count(Appointment.id))
            .where(
                Appointment.branch_id == branch_id,
                Appointment.day.in_(days),
                Appointment.status.in_(UPCOMING_STATUSES),
            )
            .group_by(Appointment.day)
        ).all()
    )


def get_branch_holiday(branch: Branch, holiday_id) -> BranchHoliday | None:
    """One of the branch's holidays (None for another branch's)."""
    try:
        holiday_id = int(holiday_id)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(
        select(BranchHoliday).where(
            BranchHoliday.id == holiday_id, BranchHoliday.branch_id == branch.id
        )
    )


@dataclass
class Entry:
    """One line of the closures page: a closed day, or a holiday waiting for a date."""

    day: date
    closure: BranchClosure | None
    holidays: list[BranchHoliday]
    appointments: int = 0

    @property
    def proposed(self) -> bool:
        return self.closure is None

    @property
    def names(self) -> list[str]:
        return [holiday_name(h.key, h.name) for h in self.holidays]


@dataclass
class Year:
    year: int
    entries: list[Entry]
    dismissed: list[Entry]  # holidays a manager removed: the branch opens
    missing: int  # holidays still to come that the branch has no row for
    can_prefill: bool


def list_closure_years(branch: Branch) -> list[Year]:
    """The branch's closures and holidays from today on, by year; this year and the
    next are always there (with what their pre-fill would add)."""
    today = clock.today()
    closures = list(
        db.session.scalars(
            select(BranchClosure)
            .where(BranchClosure.branch_id == branch.id, BranchClosure.date >= today)
            .order_by(BranchClosure.date)
        )
    )
    holidays = list(
        db.session.scalars(
            select(BranchHoliday)
            .where(
                BranchHoliday.branch_id == branch.id,
                BranchHoliday.year >= today.year,
                BranchHoliday.status != HolidayStatus.PASSED,
            )
            .order_by(BranchHoliday.listed_date)
        )
    )
    by_closure: dict[int, list[BranchHoliday]] = {}
    for h in holidays:
        if h.closure_id is not None:
            by_closure.setdefault(h.closure_id, []).append(h)
    entries = [Entry(c.date, c, by_closure.get(c.id, [])) for c in closures]
    entries += [
        Entry(h.listed_date, None, [h])
        for h in holidays
        if h.status is HolidayStatus.PROPOSED and h.listed_date >= today
    ]
    counts = count_appointments_on(branch.id, {e.day for e in entries if e.closure})
    for entry in entries:
        if entry.closure is not None:
            entry.appointments = counts.get(entry.day, 0)
    years = sorted({*prefill_years(today), *(e.day.year for e in entries)})
    known = {(h.year, h.key) for h in holidays}
    result = []
    for year in years:
        missing = sum(
            1
            for listed in list_public_holidays(year)
            if (year, listed.key) not in known and listed.day >= today
        )
        result.append(
            Year(
                year,
                sorted(
                    (e for e in entries if e.day.year == year),
                    key=lambda e: (e.day, e.closure is None),
                ),
                [
                    Entry(h.listed_date, None, [h])
                    for h in holidays
                    if h.year == year
                    and h.status is HolidayStatus.DISMISSED
                    and h.listed_date >= today
                ],
                missing,
                year in prefill_years(today),
            )
        )
    return result
