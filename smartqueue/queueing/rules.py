"""Limits and opening checks applied when a ticket is issued, and a branch's open or
closed state with its next opening (what the customer screens say before any tap).

Hours (models.OpeningHours): a weekday's span starts that day at `opens` and ends at
`closes` the same day, or the next morning when `closes < opens` (20:00-02:00), or lasts
the whole day when both are 00:00 ("24 h/24"). The part after midnight belongs to the
day it started: a closure date cancels the spans that start that day, not the tail of
the night before. Ticket numbers still restart at midnight (the Dakar calendar day,
clock.today()), even inside an overnight shift: a ticket taken at 00:30 is the new
day's 001; the expiry job keeps the previous day's tickets until the shift ends.
"""

from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..models import BranchClosure, OpeningHours
from ..orgs.plans import PLANS

CUSTOMER_TICKETS_PER_DAY = 5
MAX_RECALLS = 3
MAX_PASSES = 2
PASS_PLACES = 3
# Tickets per organization per day (the plans' table, orgs/plans.py); None = unlimited.
PLAN_TICKETS_PER_DAY = {plan: terms.tickets_per_day for plan, terms in PLANS.items()}


MIDNIGHT = time(0)


class Span(NamedTuple):
    """One weekday's hours as read from its row."""

    opens: time
    closes: time

    @property
    def around_the_clock(self) -> bool:
        return self.opens == self.closes

    @property
    def past_midnight(self) -> bool:
        """Still open after midnight (into the next calendar day)."""
        return self.closes < self.opens and self.closes != MIDNIGHT


def open_at(
    at: time,
    today: Span | None,
    closed_today: bool,
    yesterday: Span | None = None,
    closed_yesterday: bool = False,
) -> bool:
    """Whether a branch is open at `at` (Dakar time) given that day's and the day
    before's hours (None: no hours) and closure days."""
    if (
        yesterday is not None
        and not closed_yesterday
        and yesterday.past_midnight
        and at < yesterday.closes
    ):
        return True
    if today is None or closed_today:
        return False
    if today.opens < today.closes:
        return today.opens <= at < today.closes
    return today.opens <= at  # closes after midnight, or 24 h


def hours_text(span: Span) -> str:
    if span.around_the_clock:
        return _l("L'agence est ouverte 24 h/24.")
    return _l(
        "L'agence est ouverte de %(opens)s à %(closes)s.",
        opens=span.opens.strftime("%H:%M"),
        closes=span.closes.strftime("%H:%M"),
    )


def closed_reason_for(
    local: datetime,
    opens: time | None,
    closes: time | None,
    closed_today: bool,
    yesterday: Span | None = None,
    closed_yesterday: bool = False,
) -> str | None:
    """Why a branch with these hours that day (None: no hours) is closed at `local`."""
    today = Span(opens, closes) if opens is not None else None
    if open_at(local.time(), today, closed_today, yesterday, closed_yesterday):
        return None
    if closed_today or today is None:
        return _l("L'agence est fermée aujourd'hui.")
    return hours_text(today)


# One sentence per weekday, so each language can decline it its own way.
_OPENS_ON = [
    lambda at: _l("Fermé · ouvre lundi à %(time)s", time=at),
    lambda at: _l("Fermé · ouvre mardi à %(time)s", time=at),
    lambda at: _l("Fermé · ouvre mercredi à %(time)s", time=at),
    lambda at: _l("Fermé · ouvre jeudi à %(time)s", time=at),
    lambda at: _l("Fermé · ouvre vendredi à %(time)s", time=at),
    lambda at: _l("Fermé · ouvre samedi à %(time)s", time=at),
    lambda at: _l("Fermé · ouvre dimanche à %(time)s", time=at),
]
# How far the next opening is looked for; beyond it the branch reads "closed today".
LOOKAHEAD_DAYS = 7


class BranchState(NamedTuple):
    """A branch's state at one moment, for the customer screens."""

    open: bool
    # When closed: the next opening (Dakar time), None if none within LOOKAHEAD_DAYS.
    next_opening: datetime | None
    # When closed: why, as issuing would refuse ("L'agence est ouverte de ... à ...").
    reason: str | None
    local: datetime

    @property
    def label(self) -> str | None:
        """ "Fermé · ouvre lundi à 08:00" where the ticket button would be; None if open."""
        if self.open:
            return None
        if self.next_opening is None:
            return _l("Fermé aujourd'hui")
        at = self.next_opening.strftime("%H:%M")
        days = (self.next_opening.date() - self.local.date()).days
        if days == 0:
            return _l("Fermé · ouvre à %(time)s", time=at)
        if days == 1:
            return _l("Fermé · ouvre demain à %(time)s", time=at)
        return _OPENS_ON[self.next_opening.weekday()](at)


def next_opening(
    local: datetime, spans: dict[int, Span], closures: set[date]
) -> datetime | None:
    """The first start of a span after `local` within LOOKAHEAD_DAYS, skipping closures."""
    for ahead in range(LOOKAHEAD_DAYS + 1):
        day = local.date() + timedelta(days=ahead)
        span = spans.get(day.weekday())
        if span is None or day in closures:
            continue
        start = datetime.combine(day, span.opens, tzinfo=local.tzinfo)
        if start > local:
            return start
    return None


def branch_states(branch_ids, moment: datetime | None = None) -> dict[int, BranchState]:
    """Each branch's state at `moment` (now by default): two reads whatever the number
    of branches (their hours, and their closures from yesterday to a week ahead)."""
    ids = list(set(branch_ids))
    local = clock.local(moment or clock.now())
    if not ids:
        return {}
    spans: dict[int, dict[int, Span]] = {i: {} for i in ids}
    for branch_id, weekday, opens, closes in db.session.execute(
        select(
            OpeningHours.branch_id,
            OpeningHours.weekday,
            OpeningHours.opens_at,
            OpeningHours.closes_at,
        ).where(OpeningHours.branch_id.in_(ids))
    ):
        spans[branch_id][weekday] = Span(opens, closes)
    today = local.date()
    yesterday = today - timedelta(days=1)
    closures: dict[int, set[date]] = {i: set() for i in ids}
    for branch_id, day in db.session.execute(
        select(BranchClosure.branch_id, BranchClosure.date).where(
            BranchClosure.branch_id.in_(ids),
            BranchClosure.date.between(
                yesterday, today + timedelta(days=LOOKAHEAD_DAYS)
            ),
        )
    ):
        closures[branch_id].add(day)
    states = {}
    for i in ids:
        week, closed = spans[i], closures[i]
        span = week.get(today.weekday())
        is_open = open_at(
            local.time(),
            span,
            today in closed,
            week.get(yesterday.weekday()),
            yesterday in closed,
        )
        if is_open:
            states[i] = BranchState(True, None, None, local)
            continue
        if span is None or today in closed:
            reason = _l("L'agence est fermée aujourd'hui.")
        else:
            reason = hours_text(span)
        states[i] = BranchState(False, next_opening(local, week, closed), reason, local)
    return states


def next_change(branch_id: int, local: datetime) -> datetime:
    """The next moment the branch's open/closed state (or its label) may change: the next
    start or end of a span, or midnight ("ouvre demain" becomes "ouvre à", a closure date
    begins). What screens that hear no event for hours schedule their next look at;
    a moment where nothing changes after all (a closure, two spans that meet) costs them
    one needless look, no more."""
    spans = {
        weekday: Span(opens, closes)
        for weekday, opens, closes in db.session.execute(
            select(
                OpeningHours.weekday, OpeningHours.opens_at, OpeningHours.closes_at
            ).where(OpeningHours.branch_id == branch_id)
        )
    }
    moments = [
        datetime.combine(local.date() + timedelta(days=1), MIDNIGHT, local.tzinfo)
    ]
    for ahead in (-1, 0, 1):  # yesterday's span may end this morning
        day = local.date() + timedelta(days=ahead)
        span = spans.get(day.weekday())
        if span is None:
            continue
        ends_on = day if span.opens < span.closes else day + timedelta(days=1)
        moments.append(datetime.combine(day, span.opens, tzinfo=local.tzinfo))
        moments.append(datetime.combine(ends_on, span.closes, tzinfo=local.tzinfo))
    return min(m for m in moments if m > local)
