"""The minute job that expires what is due: tickets still waiting or called after their
day, after their branch's closing time (or on a day it is closed), or older than their
queue's expiry.

What is due is found by one read that locks nothing and touches only due rows (each rule
reads an index); then each branch's due tickets are expired in small batches, each a
short unit of work holding only its own rows. Everyone else's line stays callable while
the job runs: it never holds a ticket that is not due.
"""

import functools
from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import (
    and_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from .. import clock
from ..events import announce_tickets
from ..extensions import db
from ..models import (
    Branch,
    BranchClosure,
    Counter,
    OpeningHours,
    Queue,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from ..models.base import UTCDateTime
from ..work import begin_write

# Tickets per unit of work: how long a batch holds its rows (and SQLite's write lock).
BATCH_SIZE = 100

_ticket = Ticket.__table__
_event = TicketEvent.__table__
_queue = Queue.__table__
_branch = Branch.__table__
_counter = Counter.__table__
_hours = OpeningHours.__table__
_closure = BranchClosure.__table__

# Literal (not bound) so that both planners see the partial indexes' own conditions.
_LIVE = text("ticket.status IN ('waiting', 'called')")


class minutes_before(FunctionElement):
    """`moment` minus `minutes` (a column), compared with UTC datetimes of either database."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(minutes_before)
def _minutes_before_postgresql(element, compiler, **kw):
    moment, minutes = (compiler.process(c, **kw) for c in element.clauses)
    return f"({moment} - make_interval(mins => {minutes}))"


@compiles(minutes_before, "sqlite")
def _minutes_before_sqlite(element, compiler, **kw):
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff': shift the whole seconds and keep the
    # fraction as written (strftime would round it to milliseconds).
    moment, minutes = (compiler.process(c, **kw) for c in element.clauses)
    return (
        f"(strftime('%Y-%m-%d %H:%M:%S', substr({moment}, 1, 19), "
        f"'-' || {minutes} || ' minutes') || substr({moment}, 20))"
    )


def _due_statement(one_branch: bool):
    """Ids and branches of the live tickets that are due, one part per rule, each with
    an index to read (so a waiting line of an open branch needs not be read at all)."""
    today = bindparam("today")
    branch_filter = (
        [_ticket.c.branch_id == bindparam("branch_id")] if one_branch else []
    )
    # The after-closing rule follows the hours' three shapes (rules.py): a span closing
    # after midnight keeps the day before's tickets live until it ends.
    at = bindparam("local_time")
    midnight = bindparam("midnight", type_=_hours.c.opens_at.type)
    h1, h0 = _hours.alias("hours_today"), _hours.alias("hours_before")
    c1, c0 = _closure.alias("closure_today"), _closure.alias("closure_before")
    today_on = and_(h1.c.id.is_not(None), c1.c.id.is_(None))
    before_on = and_(h0.c.id.is_not(None), c0.c.id.is_(None))
    in_tail = and_(before_on, h0.c.closes_at < h0.c.opens_at, at < h0.c.closes_at)
    in_today = and_(
        today_on,
        h1.c.opens_at <= at,
        or_(h1.c.closes_at <= h1.c.opens_at, at < h1.c.closes_at),
    )
    before_opening = and_(today_on, at < h1.c.opens_at)
    branch_days = (
        _branch.outerjoin(
            h1,
            and_(h1.c.branch_id == _branch.c.id, h1.c.weekday == bindparam("weekday")),
        )
        .outerjoin(c1, and_(c1.c.branch_id == _branch.c.id, c1.c.date == today))
        .outerjoin(
            h0,
            and_(
                h0.c.branch_id == _branch.c.id,
                h0.c.weekday == bindparam("weekday_before"),
            ),
        )
        .outerjoin(
            c0,
            and_(c0.c.branch_id == _branch.c.id, c0.c.date == bindparam("day_before")),
        )
    )
    # Past their closing time (not before the day's opening: checked-in appointments).
    closed_branches = (
        select(_branch.c.id)
        .select_from(branch_days)
        .where(~or_(in_tail, in_today, before_opening))
    )
    # Open now without a break since yesterday's span ran into midnight: yesterday's
    # tickets are still in their shift.
    carried_branches = (
        select(_branch.c.id)
        .select_from(branch_days)
        .where(
            before_on,
            h0.c.closes_at <= h0.c.opens_at,
            or_(in_tail, and_(in_today, h1.c.opens_at == midnight)),
        )
    )
    # Read only when the oldest live day (one probe of ix_ticket_live_day) is before
    # today: PostgreSQL cannot tell that live tickets are all from today (the column's
    # statistics are mostly history) and would read every live ticket to find none.
    oldest_live_day = select(func.min(_ticket.c.day)).where(_LIVE).scalar_subquery()
    past_day = select(_ticket.c.id, _ticket.c.branch_id).where(
        oldest_live_day < today,
        _LIVE,
        _ticket.c.day < today,
        or_(
            _ticket.c.day < bindparam("day_before"),
            _ticket.c.branch_id.not_in(carried_branches),
        ),
        *branch_filter,
    )
    after_closing = select(_ticket.c.id, _ticket.c.branch_id).where(
        _ticket.c.branch_id.in_(closed_branches),
        _ticket.c.day >= today,
        _LIVE,
        *branch_filter,
    )
    cutoff = minutes_before(
        bindparam("now", type_=UTCDateTime), _queue.c.expiry_minutes
    )
    # From each queue with an expiry down its line's (service, arrival) index...
    waiting_too_old = (
        select(_ticket.c.id, _ticket.c.branch_id)
        .select_from(_ticket.join(_queue, _queue.c.service_id == _ticket.c.service_id))
        .where(
            _queue.c.expiry_minutes > 0,
            text("ticket.status = 'waiting'"),
            _ticket.c.arrived_at < cutoff,
            *branch_filter,
        )
    )
    # ... and from each counter to the ticket it has called (the index of a counter's
    # current ticket), then to that ticket's queue.
    called_too_old = (
        select(_ticket.c.id, _ticket.c.branch_id)
        .select_from(
            _counter.join(
                _ticket,
                and_(
                    _ticket.c.counter_id == _counter.c.id,
                    text("ticket.status = 'called'"),
                ),
            ).join(_queue, _queue.c.service_id == _ticket.c.service_id)
        )
        .where(
            _queue.c.expiry_minutes > 0, _ticket.c.arrived_at < cutoff, *branch_filter
        )
    )
    due = union(past_day, after_closing, waiting_too_old, called_too_old).subquery()
    return select(due.c.id, due.c.branch_id).order_by(due.c.branch_id, due.c.id)


_due = functools.cache(_due_statement)  # built once per shape, bound per run

_LOCK_BATCH = (
    select(_ticket.c.id)
    .where(_ticket.c.id.in_(bindparam("ids", expanding=True)), _LIVE)
    .order_by(_ticket.c.id)
    .with_for_update(skip_locked=True)
)
_EVENT_COLUMNS = (
    "ticket_id",
    "from_status",
    "to_status",
    "action",
    "at",
    "by_user_id",
    "counter_id",
    "note",
)
_WRITE_EVENTS = insert(_event).from_select(
    _EVENT_COLUMNS,
    select(
        _ticket.c.id,
        _ticket.c.status,
        literal(TicketStatus.EXPIRED.value),
        literal("expire"),
        bindparam("now", type_=UTCDateTime),
        literal(None),
        literal(None),
        literal(None),
    ).where(_ticket.c.id.in_(bindparam("ids", expanding=True))),
)
_EXPIRE = (
    update(_ticket)
    .where(_ticket.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=TicketStatus.EXPIRED, finished_at=bindparam("now"))
)


def list_due(branch_id: int | None = None, now: datetime | None = None) -> dict:
    """{branch id: [ticket ids]} of the live tickets due to expire at `now`; locks nothing."""
    now = now or clock.now()
    local = clock.local(now)
    params = {
        "today": local.date(),
        "weekday": local.weekday(),
        "local_time": local.time(),
        "weekday_before": (local.weekday() - 1) % 7,
        "day_before": local.date() - timedelta(days=1),
        "midnight": time(0),
        "now": now,
    }
    if branch_id is not None:
        params["branch_id"] = branch_id
    due: dict[int, list[int]] = defaultdict(list)
    for ticket_id, branch in db.session.execute(_due(branch_id is not None), params):
        due[branch].append(ticket_id)
    return dict(due)


def expire_tickets(branch_id: int | None = None) -> int:
    """Expire what is due (past day, after closing time, past the queue's expiry), a
    branch and a small batch at a time; how many were expired."""
    now = clock.now()
    due = list_due(branch_id, now)
    db.session.commit()  # end the read before writing: nothing is held between batches
    expired = 0
    for branch, ids in due.items():
        for start in range(0, len(ids), BATCH_SIZE):
            expired += _expire_batch(branch, ids[start : start + BATCH_SIZE], now)
    return expired


def _expire_batch(branch_id: int, ids: list[int], now: datetime) -> int:
    """One unit of work: lock these tickets (skipping any a person is moving), expire
    those still live, record the move, commit, announce."""
    begin_write(db.session)
    try:
        conn = db.session.connection()
        locked = conn.execute(_LOCK_BATCH, {"ids": ids}).scalars().all()
        if locked:
            conn.execute(_WRITE_EVENTS, {"ids": locked, "now": now})
            conn.execute(_EXPIRE, {"ids": locked, "now": now})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if locked:
        announce_tickets(locked, branch_id, "expire")
    return len(locked)
