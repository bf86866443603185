"""The period a manager asks for (a day, a week, a month, a range of Dakar days), read
from a query string the same way by the pages and the exports."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from ..errors import DomainError

KINDS = ("day", "week", "month", "year", "range")
LONGEST_RANGE_DAYS = 400
EARLIEST = date(2020, 1, 1)


class BadPeriod(DomainError):
    """A period that cannot be read: a wrong date, an end before its start..."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same length just before (a month: the month before)."""
        if self.kind == "month":
            return month_of(self.start - timedelta(days=1))
        if self.kind == "year":
            return year_of(self.start - timedelta(days=1))
        return Period(
            self.kind,
            self.start - timedelta(days=self.days),
            self.start - timedelta(days=1),
        )

    def query(self) -> dict[str, str]:
        """The query string that asks for this period again (links, exports)."""
        if self.kind == "range":
            return {
                "period": "range",
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
            }
        return {"period": self.kind, "start": self.start.isoformat()}


def month_of(day: date) -> Period:
    last = calendar.monthrange(day.year, day.month)[1]
    return Period("month", day.replace(day=1), day.replace(day=last))


def year_of(day: date) -> Period:
    return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadPeriod(
            _l("Cette date n'est pas valable : écrivez-la AAAA-MM-JJ."), field
        ) from None
    if day < EARLIEST:
        raise BadPeriod(_l("Cette date est trop ancienne."), field)
    return day


def period_from(args, today: date) -> Period:
    """The period `args` (a request's query string) asks for; yesterday when it asks for
    none (a manager's first question). Raises BadPeriod with a message for the user."""
    kind = (args.get("period") or "day").strip()
    if kind not in KINDS:
        raise BadPeriod(_l("Cette période n'existe pas."), "period")
    start = _date(args.get("start"), "start")
    if kind == "range":
        end = _date(args.get("end"), "end")
        if start is None or end is None:
            raise BadPeriod(
                _l("Donnez le premier et le dernier jour de la période."), "end"
            )
        if end < start:
            raise BadPeriod(_l("La fin de la période est avant son début."), "end")
        if (end - start).days + 1 > LONGEST_RANGE_DAYS:
            raise BadPeriod(
                _l(
                    "Choisissez une période de %(days)s jours au plus.",
                    days=LONGEST_RANGE_DAYS,
                ),
                "end",
            )
        period = Period("range", start, end)
    elif kind == "day":
        day = start or today - timedelta(days=1)
        period = Period("day", day, day)
    elif kind == "week":
        day = start or today
        monday = day - timedelta(days=day.weekday())
        period = Period("week", monday, monday + timedelta(days=6))
    elif kind == "month":
        period = month_of(start or today)
    else:
        period = year_of(start or today)
    if period.start > today:
        raise BadPeriod(_l("Cette période n'a pas encore commencé."), "start")
    return period
