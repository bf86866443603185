"""Senegal's public holidays as branch closures, pre-filled from the `holidays` library.

Fixed-date holidays (1 January, 4 April, Easter Monday...) close the branch at once.
The moving Muslim holidays (Korité, Tabaski, Tamkharit, Maouloud, the Grand Magal) are
listed by the library at estimated dates: they stay *proposed* (the branch can still
be booked that day) until a manager confirms the date or moves it to the announced one.
A holiday a manager removes is *dismissed* and the pre-fill never brings it back.

Each (branch, year, holiday) is one BranchHoliday row: the pre-fill adds the missing
rows only, so running it again adds nothing. The library's side is holiday_calendar, the
page's reads holiday_queries.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError

from .. import clock, events
from ..extensions import db
from ..models import Branch, BranchClosure, OpeningHours, User, utcnow
from ..models.orgs import BranchHoliday, ClosureSource, HolidayStatus
from .errors import OrgError
from .holiday_calendar import OBSERVED, list_public_holidays, prefill_years
from .holiday_queries import count_appointments_on

# An announced date differs from the estimate by a day or two (moon sighting); further
# away is a typo (a wrong month or year).
MOVE_LIMIT_DAYS = 10
# Branches pre-filled per unit of work by the periodic job.
BATCH = 50

# Law 74-52 (as the library applies it): Korité or Tabaski on a Sunday gives the Monday off.
SUNDAY_GIVES_MONDAY = {"eid_al_fitr", "eid_al_adha"}


class HolidayError(OrgError):
    pass


def _closure_on(branch: Branch, day: date, reason: str) -> BranchClosure:
    """The branch's closure on `day`, made for the holiday if the day is not closed yet
    (a manager's own closure that day is kept as it is)."""
    closure = next((c for c in branch.closures if c.date == day), None)
    if closure is None:
        closure = BranchClosure(
            branch=branch, date=day, reason=reason, source=ClosureSource.HOLIDAY
        )
    return closure


def _release(holiday: BranchHoliday) -> None:
    """Unlink a holiday from its closure, deleting the closure if the holiday made it
    and no other holiday shares it."""
    closure, holiday.closure = holiday.closure, None
    if closure is None or closure.source is not ClosureSource.HOLIDAY:
        return
    shared = db.session.scalar(
        select(func.count(BranchHoliday.id)).where(
            BranchHoliday.closure_id == closure.id, BranchHoliday.id != holiday.id
        )
    )
    if not shared:
        closure.branch.closures.remove(closure)
        db.session.delete(closure)


def add_public_holidays(branch: Branch, year: int) -> list[BranchHoliday]:
    """Add the year's holidays the branch has no row for (no commit: part of the
    caller's unit of work). Past ones are recorded as passed, estimated ones proposed,
    the others closed."""
    known = set()
    if branch.id is not None:
        known = set(
            db.session.scalars(
                select(BranchHoliday.key).where(
                    BranchHoliday.branch_id == branch.id, BranchHoliday.year == year
                )
            )
        )
    today = clock.today()
    added = []
    for listed in list_public_holidays(year):
        if listed.key in known:
            continue
        known.add(listed.key)
        holiday = BranchHoliday(
            branch=branch,
            year=year,
            key=listed.key,
            name=listed.name,
            listed_date=listed.day,
            is_estimated=listed.is_estimated,
        )
        if listed.day < today:
            holiday.status = HolidayStatus.PASSED
        elif listed.is_estimated:
            holiday.status = HolidayStatus.PROPOSED
        else:
            holiday.status = HolidayStatus.CLOSED
            holiday.closure = _closure_on(branch, listed.day, listed.name)
        db.session.add(holiday)
        added.append(holiday)
    return added


@dataclass
class Prefilled:
    """What a pre-fill added: closed days and proposed (estimated) holidays."""

    closed: list[BranchHoliday] = field(default_factory=list)
    proposed: list[BranchHoliday] = field(default_factory=list)


def prefill_holidays(branch: Branch, year: int, *, by: User | None = None) -> Prefilled:
    """Add a year's public holidays to a branch; idempotent (a rerun adds nothing)."""
    if year not in prefill_years(clock.today()):
        raise HolidayError(
            _l("Les jours fériés s'ajoutent pour cette année ou la suivante.")
        )
    added = add_public_holidays(branch, year)
    try:
        db.session.commit()
    except IntegrityError:
        # Another pre-fill of the same branch and year won the race: it added them.
        db.session.rollback()
        return Prefilled()
    events.announce(events.hours_changed, branch_id=branch.id)
    return Prefilled(
        closed=[h for h in added if h.status is HolidayStatus.CLOSED],
        proposed=[h for h in added if h.status is HolidayStatus.PROPOSED],
    )


def _check_decidable(holiday: BranchHoliday) -> None:
    if holiday.status is HolidayStatus.PASSED or holiday.listed_date < clock.today():
        raise HolidayError(_l("Ce jour férié est déjà passé."))


def _decided(holiday: BranchHoliday, by: User | None) -> None:
    holiday.decided_by = by
    holiday.decided_at = utcnow()


def _commit(branch_id: int) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise HolidayError(
            _l("Cette date vient d'être modifiée : rechargez la page."), field="date"
        ) from None
    events.announce(events.hours_changed, branch_id=branch_id)


def confirm_holiday(
    holiday: BranchHoliday, day: date | None = None, *, by: User | None
) -> int:
    """Close the branch on an estimated holiday, at its listed date or at the date
    announced (`day`); returns the appointments already booked that day."""
    _check_decidable(holiday)
    if not holiday.is_estimated:
        raise HolidayError(_l("Ce jour férié a une date fixe : rien à confirmer."))
    if holiday.status is HolidayStatus.DISMISSED:
        raise HolidayError(_l("Ce jour férié a été retiré : rétablissez-le d'abord."))
    day = day or holiday.listed_date
    if day < clock.today():
        raise HolidayError(_l("Cette date est déjà passée."), field="date")
    if abs((day - holiday.listed_date).days) > MOVE_LIMIT_DAYS:
        raise HolidayError(
            _l(
                "La date annoncée doit être à %(n)s jours au plus de la date estimée.",
                n=MOVE_LIMIT_DAYS,
            ),
            field="date",
        )
    if holiday.closure is None or holiday.closure.date != day:
        _release(holiday)
        db.session.flush()
        holiday.closure = _closure_on(holiday.branch, day, holiday.name)
    holiday.status = HolidayStatus.CLOSED
    _decided(holiday, by)
    monday = _follow_sunday(holiday, day, by)
    _commit(holiday.branch_id)
    days = [day] + ([monday] if monday else [])
    return sum(count_appointments_on(holiday.branch_id, days).values())


def _follow_sunday(holiday: BranchHoliday, day: date, by: User | None) -> date | None:
    """Korité or Tabaski confirmed on a Sunday closes the Monday too; on another day, the
    Monday estimated with it is dropped. Returns the Monday closed, if any."""
    if holiday.key not in SUNDAY_GIVES_MONDAY:
        return None
    key = holiday.key + OBSERVED
    companion = db.session.scalar(
        select(BranchHoliday).where(
            BranchHoliday.branch_id == holiday.branch_id,
            BranchHoliday.year == holiday.year,
            BranchHoliday.key == key,
        )
    )
    if day.weekday() != 6:
        if companion is not None and companion.status in (
            HolidayStatus.PROPOSED,
            HolidayStatus.CLOSED,
        ):
            _release(companion)
            companion.status = HolidayStatus.DISMISSED
            _decided(companion, by)
        return None
    monday = day + timedelta(days=1)
    if companion is None:
        companion = BranchHoliday(
            branch=holiday.branch,
            year=holiday.year,
            key=key,
            name=f"{holiday.name} (observé)"[:120],
            is_estimated=True,
        )
        db.session.add(companion)
    if companion.closure is not None and companion.closure.date != monday:
        _release(companion)
        db.session.flush()
    companion.listed_date = monday
    companion.status = HolidayStatus.CLOSED
    companion.closure = _closure_on(holiday.branch, monday, companion.name)
    _decided(companion, by)
    return monday


def dismiss_holiday(holiday: BranchHoliday, *, by: User | None) -> None:
    """Keep the branch open on a holiday; the pre-fill will not add it again."""
    _check_decidable(holiday)
    _release(holiday)
    holiday.status = HolidayStatus.DISMISSED
    _decided(holiday, by)
    _commit(holiday.branch_id)


def dismiss_closure_holidays(closure: BranchClosure, by: User | None) -> None:
    """A holiday closure is being deleted: remember its holidays as dismissed (no commit)."""
    for holiday in db.session.scalars(
        select(BranchHoliday).where(BranchHoliday.closure_id == closure.id)
    ):
        holiday.closure = None
        holiday.status = HolidayStatus.DISMISSED
        _decided(holiday, by)


def restore_holiday(holiday: BranchHoliday, *, by: User | None) -> int:
    """Undo a dismissal: a fixed holiday closes again, an estimated one is proposed
    again; returns the appointments booked on a day closed again."""
    _check_decidable(holiday)
    if holiday.status is not HolidayStatus.DISMISSED:
        return 0
    if holiday.is_estimated:
        holiday.status = HolidayStatus.PROPOSED
    else:
        holiday.status = HolidayStatus.CLOSED
        holiday.closure = _closure_on(holiday.branch, holiday.listed_date, holiday.name)
    _decided(holiday, by)
    _commit(holiday.branch_id)
    if holiday.status is not HolidayStatus.CLOSED:
        return 0
    day = holiday.listed_date
    return count_appointments_on(holiday.branch_id, [day]).get(day, 0)


def _due_branch_ids(year: int, limit: int) -> list[int]:
    """Active branches with no holiday of `year` yet, except those open around the
    clock all week (emergencies work on holidays; their manager may add them)."""
    around_the_clock = (
        select(func.count(OpeningHours.id))
        .where(
            OpeningHours.branch_id == Branch.id,
            OpeningHours.opens_at == OpeningHours.closes_at,
        )
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            select(Branch.id)
            .where(
                Branch.is_active,
                around_the_clock < 7,
                ~exists().where(
                    and_(
                        BranchHoliday.branch_id == Branch.id, BranchHoliday.year == year
                    )
                ),
            )
            .order_by(Branch.id)
            .limit(limit)
        )
    )


def prefill_due_branches(batch: int = BATCH) -> int:
    """Pre-fill this year's holidays where missing, and next year's from 1 December;
    idempotent. Returns the branches filled."""
    today = clock.today()
    years = prefill_years(today) if today.month == 12 else (today.year,)
    filled = 0
    for year in years:
        if not list_public_holidays(year):
            continue
        while ids := _due_branch_ids(year, batch):
            for branch in db.session.scalars(select(Branch).where(Branch.id.in_(ids))):
                add_public_holidays(branch, year)
            try:
                db.session.commit()
            except IntegrityError:
                # A manager's pre-fill raced us: the next run takes what is left
                # (never a loop on a batch that keeps failing).
                db.session.rollback()
                break
            filled += len(ids)
    return filled
