"""The booking calendar as a month of weeks (Monday first), from the core's availability."""

from dataclasses import dataclass
from datetime import date, timedelta

from ... import clock
from ...appointments import queries
from ...models import Service


@dataclass(frozen=True)
class CalendarDay:
    """One day cell: `state` is open (bookable), full, none (no time offered that day:
    closed, no slots, or past the notice) or out (before today or beyond the window)."""

    day: date
    free: int
    state: str


@dataclass(frozen=True)
class Month:
    first: date  # the 1st of the month
    weeks: list[list[CalendarDay | None]]  # None: a day of the month before or after
    previous: date | None  # the 1st of the previous month, if the window reaches it
    next: date | None
    has_room: bool


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _add_months(first: date, n: int) -> date:
    years, month = divmod(first.month - 1 + n, 12)
    return date(first.year + years, month + 1, 1)


def _cell(day: date, found) -> CalendarDay:
    if found is None:
        return CalendarDay(day, 0, "out")
    if not found.capacity:
        return CalendarDay(day, 0, "none")
    return CalendarDay(day, found.free, "open" if found.has_room else "full")


def month_of_window(service: Service, wanted: date | None = None) -> Month:
    """The month `wanted` of the booking window (clamped to it); by default the month of
    the first day with room."""
    days = {d.day: d for d in queries.list_available_days(service)}
    first_month = _month_of(clock.today())
    last_month = _month_of(max(days, default=clock.today()))
    if wanted is None:
        with_room = [d for d, found in days.items() if found.has_room]
        wanted = min(with_room, default=first_month)
    month = min(max(_month_of(wanted), first_month), last_month)
    following = _add_months(month, 1)
    weeks, day = [], month - timedelta(days=month.weekday())
    while day < following:
        week = []
        for _ in range(7):
            week.append(_cell(day, days.get(day)) if day.month == month.month else None)
            day += timedelta(days=1)
        weeks.append(week)
    return Month(
        first=month,
        weeks=weeks,
        previous=_add_months(month, -1) if month > first_month else None,
        next=following if month < last_month else None,
        has_room=any(c and c.state == "open" for week in weeks for c in week),
    )
