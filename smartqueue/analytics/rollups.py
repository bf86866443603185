"""The rollups' writes: a closed branch-day's figures (analytics/facts.py) written into the
rollup tables, once by the hourly job, again by a rebuild after a correction.

Each branch-day is one unit of work: its old rows deleted, its new rows inserted and its
RollupRun written together, so a reader sees the day whole or not at all.
"""

import logging
from datetime import date, timedelta

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import clock
from ..extensions import db
from ..models import (
    ACTIVE_STATUSES,
    Branch,
    RollupRun,
    Ticket,
    TicketRating,
)
from ..models.analytics import (
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
from ..work import begin_write, unit_of_work
from .facts import branch_days_with_activity, day_facts

ROLLUP_TABLES = (service_day, agent_day, commune_day)
MONTH_TABLES = (service_month, arrivals_month, agent_month, commune_month)
HOURS = tuple(f"h{hour}" for hour in range(24))
log = logging.getLogger(__name__)


@unit_of_work
def build_day(day: date, branch_id: int) -> int:
    """Write one branch-day's rollups in place of what was there; its tickets' count."""
    begin_write(db.session)
    # The build's start: a rating written while it reads is newer, and gets its day
    # built again (days_to_build), whatever the order of the two commits.
    started_at = clock.now()
    # Two builders of one branch-day would both delete, then collide inserting. FOR NO
    # KEY UPDATE: tickets still insert (their foreign key takes KEY SHARE on the branch).
    db.session.execute(
        select(Branch.id).where(Branch.id == branch_id).with_for_update(key_share=True)
    )
    facts = day_facts(day, branch_id)
    for table in ROLLUP_TABLES:
        db.session.execute(
            delete(table).where(table.c.day == day, table.c.branch_id == branch_id)
        )
    for table, rows in (
        (service_day, facts.service_rows),
        (agent_day, facts.agent_rows),
        (commune_day, facts.commune_rows),
    ):
        if rows:
            db.session.execute(insert(table), rows)
    _build_month(day.replace(day=1), branch_id)
    run = db.session.get(RollupRun, (day, branch_id))
    if run is None:
        run = RollupRun(day=day, branch_id=branch_id)
        db.session.add(run)
    run.tickets = facts.tickets
    run.built_at = started_at
    db.session.commit()
    return facts.tickets


def _month_end(month: date) -> date:
    return (month + timedelta(days=31)).replace(day=1) - timedelta(days=1)


def _build_month(month: date, branch_id: int) -> None:
    """The branch's month rows replaced by its day rows of that month summed: one
    INSERT ... SELECT ... GROUP BY per table, in the day's unit of work."""
    for table in MONTH_TABLES:
        db.session.execute(
            delete(table).where(table.c.month == month, table.c.branch_id == branch_id)
        )

    def summed(day_table, keys, columns):
        rows = (
            select(
                literal(month, type_=day_table.c.day.type).label("month"),
                *(day_table.c[key] for key in keys),
                *(func.sum(day_table.c[name]).label(name) for name in columns),
            )
            .where(
                day_table.c.branch_id == branch_id,
                day_table.c.day.between(month, _month_end(month)),
            )
            .group_by(*(day_table.c[key] for key in keys))
        )
        return ("month", *keys, *columns), rows

    owner = ("branch_id", "organization_id")
    for month_table, day_table, keys, columns in (
        (service_month, service_day, ("service_id", *owner), MONTH_SUMMED),
        (arrivals_month, service_day, ("service_id", "weekday", *owner), HOURS),
        (
            agent_month,
            agent_day,
            ("service_id", *owner, "counter_id", "agent_id"),
            AGENT_MONTH_SUMMED,
        ),
        (
            commune_month,
            commune_day,
            ("service_id", "commune_id", *owner),
            ("tickets",),
        ),
    ):
        names, rows = summed(day_table, keys, columns)
        db.session.execute(month_table.insert().from_select(names, rows))


def _days_with_activity(
    start: date, end: date, branch_ids=None, skip=frozenset()
) -> set[tuple]:
    """(day, branch_id) pairs with tickets or appointments from start to end, but
    those in `skip` (days rolled up already), probing the (branch, day) indexes."""
    if branch_ids is None:
        branch_ids = db.session.scalars(select(Branch.id)).all()
    wanted = {}
    day = start
    while day <= end:
        wanted[day] = {b for b in branch_ids if (day, b) not in skip}
        day += timedelta(days=1)
    return branch_days_with_activity(wanted)


def _runs(
    start: date, end: date, branch_ids=None, with_tickets: bool = False
) -> dict[tuple, object]:
    query = select(RollupRun.day, RollupRun.branch_id, RollupRun.built_at).where(
        RollupRun.day.between(start, end)
    )
    if with_tickets:  # not the quiet days marked with nothing in them
        query = query.where(RollupRun.tickets > 0)
    if branch_ids is not None:
        query = query.where(RollupRun.branch_id.in_(branch_ids))
    return {(day, branch): built for day, branch, built in db.session.execute(query)}


def _still_open(start: date, end: date) -> set[tuple]:
    """Branch-days with tickets still in line: not closed until the expiry job has
    ended them (just after midnight, or a branch left open)."""
    query = (
        select(Ticket.day, Ticket.branch_id)
        .where(Ticket.day.between(start, end), Ticket.status.in_(ACTIVE_STATUSES))
        .distinct()
    )
    return {tuple(row) for row in db.session.execute(query)}


def _rated_since_built(start: date, end: date) -> set[tuple]:
    """Built branch-days that received ratings after their build (a customer rates
    the evening after, or the next morning)."""
    query = (
        select(TicketRating.day, TicketRating.branch_id)
        .join(
            RollupRun,
            (RollupRun.day == TicketRating.day)
            & (RollupRun.branch_id == TicketRating.branch_id),
        )
        .where(
            TicketRating.day.between(start, end),
            TicketRating.created_at > RollupRun.built_at,
        )
        .distinct()
    )
    return {tuple(row) for row in db.session.execute(query)}


def days_to_build(today: date, lookback: int = 7) -> list[tuple[date, int]]:
    """The closed branch-days (today-lookback .. yesterday) with activity and no
    rollup yet, or rated since theirs was built; oldest first. The quiet ones (no
    ticket, no appointment) are marked rolled up with nothing in them."""
    start, end = today - timedelta(days=lookback), today - timedelta(days=1)
    built = set(_runs(start, end))
    active = _days_with_activity(start, end, skip=built)
    still_open = _still_open(start, end)
    _mark_quiet(start, end, None, built | active | still_open)
    due = (active | _rated_since_built(start, end)) - still_open
    db.session.commit()  # end the reads' transaction: each build is a unit of its own
    return sorted(due)


def _mark_quiet(start: date, end: date, branch_ids, not_quiet: set[tuple]) -> None:
    """A RollupRun with no tickets for each branch-day from start to end not in
    `not_quiet` (Sundays, holidays, a branch not open yet): the period reports then know
    the day is rolled up without probing its tickets again."""
    if branch_ids is None:
        branch_ids = db.session.scalars(select(Branch.id)).all()
    quiet = []
    day = start
    while day <= end:
        quiet += [
            {"day": day, "branch_id": b, "tickets": 0, "built_at": clock.now()}
            for b in branch_ids
            if (day, b) not in not_quiet
        ]
        day += timedelta(days=1)
    if quiet:
        # Two jobs at once may mark the same day: the second one's marks are no-ops.
        dialect = db.session.get_bind().dialect.name
        upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(upsert(RollupRun).on_conflict_do_nothing(), quiet)


def build_closed_days(today: date, lookback: int = 7) -> list[tuple[date, int, int]]:
    """Build every closed branch-day due (see days_to_build); (day, branch, tickets)
    of each built. Idempotent: a second run finds nothing due. A branch-day that fails
    is logged and left due for the next run; the others are built."""
    built = []
    for day, branch_id in days_to_build(today, lookback):
        try:
            built.append((day, branch_id, build_day(day, branch_id)))
        except Exception:
            db.session.rollback()
            log.exception("rollup of branch %s on %s failed", branch_id, day)
    return built


def rebuild(start: date, end: date, branch_ids=None) -> list[tuple[date, int, int]]:
    """Build again every branch-day from start to end (inclusive) that had activity or
    a rollup with tickets (a day whose tickets were all removed is emptied), and mark the
    quiet closed ones; (day, branch, tickets) of each built."""
    runs = set(_runs(start, end, branch_ids, with_tickets=True))
    pairs = _days_with_activity(start, end, branch_ids) | runs
    closed_end = min(end, clock.today() - timedelta(days=1))
    if closed_end >= start:
        marked = set(_runs(start, closed_end, branch_ids))
        _mark_quiet(
            start,
            closed_end,
            branch_ids,
            pairs | marked | _still_open(start, closed_end),
        )
    db.session.commit()
    return [
        (day, branch_id, build_day(day, branch_id)) for day, branch_id in sorted(pairs)
    ]


def built_days(branch_ids, start: date, end: date) -> set[tuple[date, int]]:
    """(day, branch_id) pairs rolled up from start to end, for the given branches
    (None: every branch)."""
    return set(_runs(start, end, branch_ids))
